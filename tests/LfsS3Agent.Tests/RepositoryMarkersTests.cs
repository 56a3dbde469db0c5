using LfsS3Agent.Core.Objects;

namespace LfsS3Agent.Tests;

/// <summary>Repository markers (issue 21): which keys are markers, and whose.</summary>
public sealed class RepositoryMarkersTests
{
    [Theory]
    [InlineData(".git/lfs-s3/repositories/abc.json", "", "abc")]
    [InlineData("y/.git/lfs-s3/repositories/abc.json", "y", "abc")]
    [InlineData("a/b/.git/lfs-s3/repositories/f00.json", "a/b", "f00")]
    [InlineData("y/.git/lfs-s3/repositories/sub/abc.json", null, null)]
    [InlineData("y/.git/lfs-s3/repositories/.json", null, null)]
    [InlineData("y/.git/lfs-s3/locks/abc.json", null, null)]
    [InlineData("y/docs/.git-lfs-s3/repositories/abc.json", null, null)]
    public void ParseMarker_Keys_PrefixAndFingerprintOnlyForMarkers(string key, string? prefix, string? fingerprint)
    {
        var parsed = KeyLayout.ParseMarker(key);

        Assert.Equal(prefix, parsed?.Prefix);
        Assert.Equal(fingerprint, parsed?.Fingerprint);
    }

    [Fact]
    public void MarkerKey_AnyPrefix_ParsesBack()
    {
        Assert.Equal(("team/x", "f1"), KeyLayout.ParseMarker(new KeyLayout("/team/x/").MarkerKey("f1")));
        Assert.Equal(("", "f1"), KeyLayout.ParseMarker(new KeyLayout("").MarkerKey("f1")));
    }

    [Fact]
    public void NestedPrefixes_ListingOfTheRoot_OnlyMarkersBelowThePrefix()
    {
        string[] keys = ["a.bin", ".git/lfs-s3/repositories/me.json", "y/.git/lfs-s3/repositories/other.json", "y/a.bin",
            "deep/er/.git/lfs-s3/repositories/1.json", "deep/er/.git/lfs-s3/repositories/2.json", "yy/file"];

        Assert.Equal(["deep/er", "y"], RepositoryMarkers.NestedPrefixes(keys, ""));
        Assert.Equal(["deep/er"], RepositoryMarkers.NestedPrefixes(keys, "deep"));
        Assert.Empty(RepositoryMarkers.NestedPrefixes(keys, "y"));
    }

    [Fact]
    public void IsUnder_SiblingWithTheSameStart_NotUnder()
    {
        Assert.True(RepositoryMarkers.IsUnder("y/a.bin", ["y"]));
        Assert.False(RepositoryMarkers.IsUnder("yy/a.bin", ["y"]));
        Assert.True(RepositoryMarkers.IsUnder("anything", [""]));
    }

    [Fact]
    public void Ancestors_DeepPrefix_RootFirstWithoutItself()
    {
        Assert.Equal(["", "a", "a/b"], RepositoryMarkers.Ancestors("a/b/c"));
        Assert.Empty(RepositoryMarkers.Ancestors(""));
    }

    [Fact]
    public void Classify_OwnAndForeignAtThePrefix_OwnMarkedAndTheOtherIsSame()
    {
        var survey = RepositoryMarkers.Classify("p", "me", [("p", "me"), ("p", "them"), ("", "root")], ["p/q"]);

        Assert.True(survey.OwnMarked);
        Assert.Equal([new ForeignMarker("", MarkerPlace.Ancestor), new ForeignMarker("p", MarkerPlace.Same), new ForeignMarker("p/q", MarkerPlace.Nested)],
            survey.Foreign.OrderBy(f => f.Prefix, StringComparer.Ordinal));
        Assert.Equal(2, survey.Enclosing.Count());
    }

    [Fact]
    public void Classify_UnknownOwnId_EveryMarkerAtThePrefixIsAnothers()
    {
        var survey = RepositoryMarkers.Classify("p", null, [("p", "me")], []);

        Assert.False(survey.OwnMarked);
        Assert.Equal(MarkerPlace.Same, Assert.Single(survey.Enclosing).Place);
    }

    [Fact]
    public void Fingerprint_SameIdAnywhere_SameAndNotTheId()
    {
        Assert.Equal(RepositoryMarkers.Fingerprint("abc"), RepositoryMarkers.Fingerprint(" abc\n"));
        Assert.NotEqual(RepositoryMarkers.Fingerprint("abc"), RepositoryMarkers.Fingerprint("abd"));
        Assert.DoesNotContain("abc", RepositoryMarkers.Fingerprint("abc"), StringComparison.Ordinal);
        Assert.Equal(32, RepositoryMarkers.Fingerprint("abc").Length);
    }
}
