using System.Text.Json;

namespace LfsS3Agent.IntegrationTests;

/// <summary>
/// What prune must see before it deletes (issue 21, cases 2-4): every ref of every remote, merges read like any other
/// commit, every stash entry, and what any clone's mapping branch recorded within the grace period.
/// </summary>
public sealed class PruneReachTests
{
    [Fact]
    public async Task Prune_SingleBranchCloneWithoutTheRemotesOtherBranchAndTag_KeepsTheirVersionsAndLeavesNoRefs()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "a.bin", 1000, 21);
        box.CommitAndPush(work, "a");
        box.Git(work, "checkout", "-q", "-b", "feature").AssertOk();
        var feature = Sandbox.WriteRandom(work, "f.bin", 1100, 22);
        box.CommitAll(work, "feature's f");
        box.Git(work, "push", "-q", "origin", "feature").AssertOk();
        box.Git(work, "checkout", "-q", "--detach", "main").AssertOk();
        var tagged = Sandbox.WriteRandom(work, "t.bin", 1200, 23);
        box.CommitAll(work, "release only a tag carries");
        box.Git(work, "tag", "-a", "v1", "-m", "v1").AssertOk();
        box.Git(work, "push", "-q", "origin", "v1").AssertOk();
        box.Git(work, "checkout", "-q", "main").AssertOk();
        var single = Path.Combine(box.Root, "single");
        box.Git(box.Root, "clone", "-q", "--single-branch", "--branch", "main", box.Origin, single).AssertOk();
        var refsBefore = Refs(box, single);
        var before = await TestEnvironment.VersionsAsync(bucket);

        var pruned = box.Agent(single, "prune", "--grace", "0", "--apply");

        pruned.AssertOk();
        Assert.Contains("deleted 0 versions", pruned.Stdout);
        Assert.Equal(before.Count, (await TestEnvironment.VersionsAsync(bucket)).Count);
        Assert.DoesNotContain(Refs(box, single).Except(refsBefore), r => r != "refs/remotes/origin/lfs-s3"); // the mapping branch's own place
        Assert.Empty(box.Git(single, "status", "--porcelain").AssertOk().Stdout);
        var full = Path.Combine(box.Root, "full");
        box.Git(box.Root, "clone", "-q", box.Origin, full).AssertOk();
        box.Git(full, "checkout", "-q", "origin/feature").AssertOk();
        Assert.Equal(feature, File.ReadAllBytes(Path.Combine(full, "f.bin")));
        box.Git(full, "checkout", "-q", "v1").AssertOk();
        Assert.Equal(tagged, File.ReadAllBytes(Path.Combine(full, "t.bin")));
    }

    [Fact]
    public async Task Prune_ShallowClone_RefusesAndDeletesNothing()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "a.bin", 1000, 24);
        box.CommitAndPush(work, "a v1");
        Sandbox.WriteRandom(work, "a.bin", 1000, 25);
        box.CommitAndPush(work, "a v2");
        var shallow = Path.Combine(box.Root, "shallow");
        box.Git(box.Root, "clone", "-q", "--depth", "1", "file://" + box.Origin, shallow).AssertOk();
        var before = await TestEnvironment.VersionsAsync(bucket);

        var result = box.Agent(shallow, "prune", "--grace", "0", "--apply");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("this clone is shallow", result.Stderr);
        Assert.Contains("git fetch --unshallow", result.Stderr);
        Assert.Equal(before.Count, (await TestEnvironment.VersionsAsync(bucket)).Count);
    }

    [Fact]
    public async Task Push_FileAddedOnlyInAMergeCommit_ReadableKeySeenByVerifyAndLogAndKeptByPrune()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "a.bin", 1000, 26);
        box.CommitAndPush(work, "a");
        box.Git(work, "checkout", "-q", "-b", "side").AssertOk();
        File.WriteAllText(Path.Combine(work, "side.txt"), "side\n");
        box.CommitAll(work, "side");
        box.Git(work, "checkout", "-q", "main").AssertOk();
        File.WriteAllText(Path.Combine(work, "main.txt"), "main\n");
        box.CommitAll(work, "main");
        box.Git(work, "merge", "-q", "--no-commit", "side").AssertOk();
        var merged = Sandbox.WriteRandom(work, "merged.bin", 1300, 27);
        box.Git(work, "add", "merged.bin").AssertOk();
        box.Git(work, "commit", "-q", "-m", "merge with a file of its own").AssertOk();

        box.Git(work, "push", "-q", "origin", "main").AssertOk();

        var keys = (await TestEnvironment.VersionsAsync(bucket)).Select(v => v.Key).ToList();
        Assert.Contains("my-repo/merged.bin", keys);
        Assert.DoesNotContain(keys, k => k.Contains("/.git/lfs/objects/", StringComparison.Ordinal));
        Assert.Contains("verified 2 LFS objects", box.Agent(work, "verify", "--all").AssertOk().Stdout);
        using (var log = JsonDocument.Parse(box.Agent(work, "log", "merged.bin", "--json").AssertOk().Stdout))
        {
            var row = Assert.Single(log.RootElement.EnumerateArray());
            Assert.Equal("merge with a file of its own", row.GetProperty("subject").GetString());
            Assert.True(row.GetProperty("stored").GetBoolean());
        }

        Assert.Contains("deleted 0 versions", box.Agent(work, "prune", "--grace", "0", "--apply").AssertOk().Stdout);
        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();
        Assert.Equal(merged, File.ReadAllBytes(Path.Combine(clone, "merged.bin")));
    }

    [Fact]
    public async Task Prune_StashEntriesHoldingPushedThenRewoundVersions_KeepsIndexWorkTreeAndUntrackedOfEveryEntry()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "a.bin", 1000, 28);
        box.CommitAndPush(work, "a v1");
        var a2 = Sandbox.WriteRandom(work, "a.bin", 1000, 29);
        var staged = Sandbox.WriteRandom(work, "staged.bin", 1100, 30);
        var untracked = Sandbox.WriteRandom(work, "untracked.bin", 1200, 31);
        box.CommitAndPush(work, "pushed, then taken back");
        box.Git(work, "reset", "-q", "HEAD~1").AssertOk(); // the work tree keeps all three
        box.Git(work, "push", "-q", "-f", "origin", "main").AssertOk();
        box.Git(work, "add", "staged.bin").AssertOk();
        box.Git(work, "stash", "push", "-q", "-u").AssertOk(); // work tree (a.bin), index (staged.bin), untracked (^3)
        Sandbox.WriteRandom(work, "a.bin", 1000, 32);
        box.Git(work, "stash", "push", "-q").AssertOk(); // a newer entry whose object was never pushed: no reason to refuse
        var before = await TestEnvironment.VersionsAsync(bucket);

        var pruned = box.Agent(work, "prune", "--grace", "0", "--apply");

        pruned.AssertOk();
        Assert.Contains("deleted 0 versions", pruned.Stdout);
        Assert.Equal(before.Count, (await TestEnvironment.VersionsAsync(bucket)).Count);
        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();
        foreach (var (path, bytes) in new[] { ("a.bin", a2), ("staged.bin", staged), ("untracked.bin", untracked) })
        {
            var oid = Sandbox.Sha256(bytes);
            File.WriteAllText(Path.Combine(clone, path), $"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {bytes.Length}\n");
            box.Git(clone, "add", path).AssertOk();
        }

        box.Git(clone, "commit", "-q", "-m", "the stashed versions, by pointer").AssertOk();
        Assert.Contains("verified 3 LFS objects", box.Agent(clone, "verify", "HEAD", "--content").AssertOk().Stdout);
    }

    [Fact]
    public async Task Prune_MappingRecordedByAnotherCloneWithinTheGracePeriod_SingleBranchCloneFetchesItAndKeepsTheVersion()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "a.bin", 1000, 33);
        box.CommitAndPush(work, "a");
        var single = Path.Combine(box.Root, "single");
        box.Git(box.Root, "clone", "-q", "--single-branch", "--branch", "main", box.Origin, single).AssertOk();
        var z = Sandbox.WriteRandom(work, "z.bin", 1400, 34);
        box.CommitAll(work, "z, pushed by LFS only: its commit is still on the way");
        // The version is older than the grace period (0s) but the other clone's mapping branch recorded it within it:
        // its commit is dated a day ahead, as a version stored long ago and recorded today would be.
        var tomorrow = DateTimeOffset.UtcNow.AddDays(1).ToUnixTimeSeconds() + " +0000";
        box.Run("git", work, ["lfs", "push", "origin", "main"], extraEnv: new Dictionary<string, string?> { ["GIT_COMMITTER_DATE"] = tomorrow }).AssertOk();
        Assert.Contains(Sandbox.Sha256(z), box.RemoteShard(work, Sandbox.Sha256(z)[..2] + ".tsv"));
        var before = await TestEnvironment.VersionsAsync(bucket);

        var pruned = box.Agent(single, "prune", "--grace", "0", "--apply");

        pruned.AssertOk();
        Assert.Contains("deleted 0 versions", pruned.Stdout);
        Assert.Equal(before.Count, (await TestEnvironment.VersionsAsync(bucket)).Count);
        Assert.Contains(await TestEnvironment.VersionsAsync(bucket), v => v.Key == "my-repo/z.bin");
    }

    private static List<string> Refs(Sandbox box, string repo) =>
        [.. box.Git(repo, "for-each-ref", "--format=%(refname)").AssertOk().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)];
}
