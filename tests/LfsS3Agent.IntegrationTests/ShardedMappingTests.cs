using LfsS3Agent.Core.Mapping;

namespace LfsS3Agent.IntegrationTests;

/// <summary>The mapping in shards on its branch, and repositories whose mapping an older release committed in their branches.</summary>
public sealed class ShardedMappingTests
{
    /// <summary>Commits the mapping as git-lfs-s3 0.1 did (one mapping.tsv in the branch) and removes the mapping branch.</summary>
    private static void ToOldLayout(Sandbox box, string work)
    {
        var entries = Sandbox.ReadMapping(work).Entries;
        File.WriteAllText(Path.Combine(work, ".lfs-s3", "mapping.tsv"), MappingFile.Format(entries));
        File.WriteAllText(Path.Combine(work, ".lfs-s3", ".gitattributes"), "* !filter !diff !merge text eol=lf\nmapping.tsv merge=union\n");
        box.CommitAll(work, "the layout of git-lfs-s3 0.1");
        box.Git(work, "push", "-q", "origin", "main").AssertOk();
        box.Git(work, "push", "-q", "origin", ":lfs-s3").AssertOk();
    }

    [Fact]
    public async Task Push_EntriesGoToTheirShardsOnTheBranchAndNothingIsStaged()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var oids = Enumerable.Range(0, 3).Select(i => Sandbox.Sha256(Sandbox.WriteRandom(work, $"f{i}.bin", 1000 + i, 100 + i))).ToList();

        box.CommitAndPush(work, "three");

        Assert.Equal("", box.Git(work, "status", "--porcelain").AssertOk().Stdout);
        foreach (var oid in oids)
        {
            Assert.Contains(oid, box.Git(box.Origin, "show", $"refs/heads/lfs-s3:{oid[..2]}.tsv").AssertOk().Stdout);
        }

        Assert.False(Directory.Exists(Path.Combine(work, ".lfs-s3", "mapping")));
    }

    [Fact]
    public async Task OldSingleFile_ClonesAsBeforeAndNothingWritesItAnyMore()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var first = Sandbox.WriteRandom(work, "a.bin", 3000, 110);
        box.CommitAndPush(work, "a");
        ToOldLayout(box, work);
        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", "--depth", "1", "file://" + box.Origin, clone).AssertOk();
        Assert.Equal(first, File.ReadAllBytes(Path.Combine(clone, "a.bin")));
        var legacy = File.ReadAllText(Path.Combine(clone, ".lfs-s3", "mapping.tsv"));

        var second = Sandbox.WriteRandom(clone, "b.bin", 4000, 111);
        box.CommitAndPush(clone, "b");

        Assert.Equal("", box.Git(clone, "status", "--porcelain").AssertOk().Stdout);
        Assert.Equal(legacy, File.ReadAllText(Path.Combine(clone, ".lfs-s3", "mapping.tsv")));
        Assert.Contains(Sandbox.Sha256(second), box.Git(box.Origin, "show", $"refs/heads/lfs-s3:{Sandbox.Sha256(second)[..2]}.tsv").AssertOk().Stdout);
    }

    [Fact]
    public async Task Merge_BranchOfAnOlderReleaseWithMain_NoConflictAndEveryObjectClones()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "base.bin", 2000, 120);
        box.CommitAndPush(work, "base");
        ToOldLayout(box, work);
        box.Git(work, "checkout", "-q", "-b", "old").AssertOk();
        // A teammate on an older git-lfs-s3: the new entry lands in the single file of the branch.
        var oldData = Sandbox.WriteRandom(work, "old.bin", 2100, 121);
        box.CommitAll(work, "old.bin");
        box.Git(work, "push", "-q", "origin", "old").AssertOk();
        var legacy = Path.Combine(work, ".lfs-s3", "mapping.tsv");
        File.WriteAllText(legacy, MappingFile.Format(Sandbox.ReadMapping(work).Entries));
        box.CommitAll(work, "old.bin mapping, old layout");
        box.Git(work, "push", "-q", "origin", "old").AssertOk();
        box.Git(work, "checkout", "-q", "main").AssertOk();
        Sandbox.WriteRandom(work, "new.bin", 2200, 122);
        box.CommitAndPush(work, "new.bin");

        box.Git(work, "merge", "-q", "--no-edit", "old").AssertOk();
        box.Git(work, "push", "-q", "origin", "main").AssertOk();

        Assert.Equal("", box.Git(work, "status", "--porcelain").AssertOk().Stdout);
        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();
        Assert.Equal(oldData, File.ReadAllBytes(Path.Combine(clone, "old.bin")));
        Assert.Equal(3, Sandbox.ReadMapping(clone).Entries.Select(e => e.Oid).Distinct().Count());
    }
}
