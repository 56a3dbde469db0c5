using LfsS3Agent.Core.Mapping;

namespace LfsS3Agent.IntegrationTests;

/// <summary>Issue 11: the mapping in shards, repositories with the old single file, and merges across the two layouts.</summary>
public sealed class ShardedMappingTests
{
    /// <summary>Turns the shards of the work tree back into the single mapping.tsv of older versions, and commits that.</summary>
    private static void ToOldLayout(Sandbox box, string work)
    {
        var entries = Sandbox.ReadMapping(work).Entries;
        Directory.Delete(Path.Combine(work, ".lfs-s3", "mapping"), recursive: true);
        File.WriteAllText(Path.Combine(work, ".lfs-s3", "mapping.tsv"), MappingFile.Format(entries));
        File.WriteAllText(Path.Combine(work, ".lfs-s3", ".gitattributes"), "* !filter !diff !merge text eol=lf\nmapping.tsv merge=union\n");
        box.CommitAll(work, "the layout of git-lfs-s3 0.1");
        box.Git(work, "push", "-q", "origin", "main").AssertOk();
    }

    [Fact]
    public async Task Push_EntriesGoToTheirShardsStagedForTheNextCommit()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var oids = Enumerable.Range(0, 3).Select(i => Sandbox.Sha256(Sandbox.WriteRandom(work, $"f{i}.bin", 1000 + i, 100 + i))).ToList();

        box.CommitAndPush(work, "three");

        var staged = box.Git(work, "diff", "--cached", "--name-only").AssertOk().Stdout;
        foreach (var oid in oids)
        {
            Assert.Contains($".lfs-s3/mapping/{oid[..2]}.tsv", staged);
            Assert.Contains(oid, File.ReadAllText(Sandbox.ShardPath(work, oid)));
        }

        Assert.False(File.Exists(Path.Combine(work, ".lfs-s3", "mapping.tsv")));
    }

    [Fact]
    public async Task OldSingleFile_ClonesAsBeforeAndTheNextPushMovesItIntoShards()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var first = Sandbox.WriteRandom(work, "a.bin", 3000, 110);
        box.CommitAndPush(work, "a");
        ToOldLayout(box, work);
        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();
        Assert.Equal(first, File.ReadAllBytes(Path.Combine(clone, "a.bin")));

        Sandbox.WriteRandom(clone, "b.bin", 4000, 111);
        box.CommitAndPush(clone, "b");
        box.CommitAll(clone, "mapping");

        var entries = Sandbox.ReadMapping(clone).Entries;
        Assert.Equal(2, entries.Count);
        Assert.All(entries, e => Assert.Contains(e.Oid, File.ReadAllText(Sandbox.ShardPath(clone, e.Oid))));
        Assert.Empty(MappingFile.Parse(box.Git(clone, "show", "HEAD:.lfs-s3/mapping.tsv").AssertOk().Stdout).Entries);
        Assert.Contains("mapping/*.tsv merge=union", File.ReadAllText(Path.Combine(clone, ".lfs-s3", ".gitattributes")));
    }

    [Fact]
    public async Task Merge_MigratedBranchWithUnmigratedBranch_NoConflictAndEveryEntryKept()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "base.bin", 2000, 120);
        box.CommitAndPush(work, "base");
        ToOldLayout(box, work);
        box.Git(work, "checkout", "-q", "-b", "old").AssertOk();
        // A teammate on an older git-lfs-s3: the new entry lands in the single file.
        var oldData = Sandbox.WriteRandom(work, "old.bin", 2100, 121);
        box.CommitAll(work, "old.bin");
        box.Git(work, "push", "-q", "origin", "old").AssertOk();
        var moved = MappingFile.Parse(File.ReadAllText(Sandbox.ShardPath(work, Sandbox.Sha256(oldData)))).Entries;
        Directory.Delete(Path.Combine(work, ".lfs-s3", "mapping"), recursive: true);
        var legacy = Path.Combine(work, ".lfs-s3", "mapping.tsv");
        File.WriteAllText(legacy, MappingFile.Format(MappingFile.Parse(File.ReadAllText(legacy)).Entries.Concat(moved)));
        box.CommitAll(work, "old.bin mapping, old layout");
        box.Git(work, "checkout", "-q", "main").AssertOk();
        Sandbox.WriteRandom(work, "new.bin", 2200, 122);
        box.CommitAndPush(work, "new.bin");
        box.CommitAll(work, "new.bin mapping, migrated");

        box.Git(work, "merge", "-q", "--no-edit", "old").AssertOk();
        box.Git(work, "push", "-q", "origin", "main").AssertOk();

        Assert.Equal(3, Sandbox.ReadMapping(work).Entries.Select(e => e.Oid).Distinct().Count());
        Sandbox.WriteRandom(work, "later.bin", 2300, 123);
        box.CommitAndPush(work, "later");
        Assert.Empty(MappingFile.Parse(File.ReadAllText(legacy)).Entries);
        Assert.Equal(4, Sandbox.ReadMapping(work).Entries.Select(e => e.Oid).Distinct().Count());
        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();
        Assert.Equal(oldData, File.ReadAllBytes(Path.Combine(clone, "old.bin")));
    }
}
