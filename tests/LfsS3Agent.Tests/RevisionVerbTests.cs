using LfsS3Agent.Commands;
using LfsS3Agent.Core.Git;

namespace LfsS3Agent.Tests;

/// <summary>The pieces url, publish and log share: durations, a commit's files and pointers, a path's history.</summary>
public sealed class RevisionVerbTests
{
    [Theory]
    [InlineData("90", 90)]
    [InlineData("90s", 90)]
    [InlineData("30m", 1800)]
    [InlineData("1h30m", 5400)]
    [InlineData("7d", 604800)]
    [InlineData("2W", 1209600)]
    public void Duration_Forms_Parsed(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), Duration.Parse("expires", text));

    [Theory]
    [InlineData("")]
    [InlineData("1 hour")]
    [InlineData("-5m")]
    [InlineData("1.5h")]
    public void Duration_NotADuration_UsageErrorNamingTheOption(string text) =>
        Assert.Contains("--expires", Assert.Throws<UsageException>(() => Duration.Parse("expires", text)).Message);

    [Fact]
    public async Task PointerAt_LfsFileGitFileMissingPathAndBadRevision_PointerOrOneLineReason()
    {
        using var repo = new TempGitRepo();
        var oid = new string('a', 64);
        repo.WriteFile("docs/a.bin", TempGitRepo.Pointer(oid, 12));
        repo.WriteFile("notes.txt", "plain\n");
        repo.Commit("one");
        var tree = new GitTree(repo.Cli);
        var commit = await tree.ResolveCommitAsync("main", default);

        Assert.Equal(new LfsPointer(oid, 12), await tree.PointerAtAsync(commit, "main", "docs/a.bin", default));
        Assert.Contains("not an LFS file", (await Assert.ThrowsAsync<Core.LfsS3Exception>(() => tree.PointerAtAsync(commit, "main", "notes.txt", default))).Message);
        Assert.Contains("does not exist at main", (await Assert.ThrowsAsync<Core.LfsS3Exception>(() => tree.PointerAtAsync(commit, "main", "x.bin", default))).Message);
        Assert.Contains("is not a file", (await Assert.ThrowsAsync<Core.LfsS3Exception>(() => tree.PointerAtAsync(commit, "main", "docs", default))).Message);
        Assert.Contains("\"nope\" does not exist", (await Assert.ThrowsAsync<Core.LfsS3Exception>(() => tree.ResolveCommitAsync("nope", default))).Message);
        Assert.Equal(["docs/a.bin", "notes.txt"], (await tree.FilesAsync(commit, null, default)).Select(f => f.Path));
    }

    [Fact]
    public async Task PathHistory_EditsThenRename_EveryWritingCommitNewestFirstUnderItsNameThen()
    {
        using var repo = new TempGitRepo();
        repo.WriteFile("old/x.bin", TempGitRepo.Pointer(new string('1', 64), 1));
        repo.WriteFile("other.bin", TempGitRepo.Pointer(new string('9', 64), 9));
        repo.Commit("add");
        repo.WriteFile("old/x.bin", TempGitRepo.Pointer(new string('2', 64), 2));
        repo.Commit("edit");
        repo.WriteFile("other.bin", TempGitRepo.Pointer(new string('8', 64), 8));
        repo.Commit("unrelated");
        repo.Git("mv", "old", "new");
        repo.Commit("rename");

        var changes = (await new PathHistory(repo.Cli).ChangesAsync(["new/x.bin"], false, default))["new/x.bin"];

        Assert.Equal(["rename", "edit", "add"], changes.Select(c => c.Commit.Subject));
        Assert.Equal(["new/x.bin", "old/x.bin", "old/x.bin"], changes.Select(c => c.Name));
        Assert.Equal([true, false, false], changes.Select(c => c.Renamed));
    }
}
