using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Tests.Shared;

namespace LfsS3Agent.IntegrationTests;

/// <summary>
/// Issue 20: the mapping lives on a branch of its own (<c>lfs-s3</c> on the remote), written with plumbing by the
/// push itself, so git's own loop (push, rejected, pull, push) never meets a file of ours.
/// </summary>
public sealed class MappingBranchTests
{
    private static string Head(Sandbox box, string repo) => box.Git(repo, "rev-parse", "HEAD").AssertOk().Stdout.Trim();

    private static string Clone(Sandbox box, string name, params string[] extra)
    {
        var path = Path.Combine(box.Root, name);
        box.Git(box.Root, ["clone", "-q", .. extra, "file://" + box.Origin, path]).AssertOk();
        return path;
    }

    /// <summary>The mapping entries on the remote's mapping branch, read from the bare origin.</summary>
    private static List<MappingEntry> RemoteMapping(Sandbox box, string origin)
    {
        var files = box.Git(origin, "ls-tree", "-r", "--name-only", "refs/heads/lfs-s3").AssertOk().Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(f => f.EndsWith(".tsv", StringComparison.Ordinal));
        return files.SelectMany(f => MappingFile.Parse(box.Git(origin, "show", "refs/heads/lfs-s3:" + f).AssertOk().Stdout).Entries).ToList();
    }

    [Fact]
    public async Task Push_StatusStaysCleanHeadUnmovedAndTheMappingIsOnItsBranch()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var oid = Sandbox.Sha256(Sandbox.WriteRandom(work, "data/a.bin", 5000, 1));
        box.CommitAll(work, "a");
        var head = Head(box, work);

        box.Git(work, "push", "-q", "origin", "main").AssertOk();

        Assert.Equal("", box.Git(work, "status", "--porcelain").AssertOk().Stdout);
        Assert.Equal(head, Head(box, work));
        Assert.Contains(RemoteMapping(box, box.Origin), e => e.Oid == oid && e.Key == "my-repo/data/a.bin");
        Assert.Contains("[skip ci]", box.Git(box.Origin, "log", "-1", "--format=%B", "refs/heads/lfs-s3").AssertOk().Stdout);
        Assert.DoesNotContain(".lfs-s3/mapping", box.Git(work, "ls-tree", "-r", "--name-only", "HEAD").Stdout);
        Assert.DoesNotContain("lfs-s3", box.Git(work, "branch", "--list").Stdout);
        Assert.Contains("everything is in sync", box.Agent(work, "status").AssertOk().Stdout);
    }

    [Theory]
    [InlineData("rebase")]
    [InlineData("merge")]
    public async Task RejectedPush_ThenThePullGitSuggests_ThenPush_Works(string how)
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        box.Git(work, "push", "-q", "origin", "main").AssertOk();
        var alice = Clone(box, "alice");
        var bob = Clone(box, "bob");
        var a = Sandbox.WriteRandom(alice, "alice.bin", 3000, 2);
        box.CommitAll(alice, "alice");
        var b = Sandbox.WriteRandom(bob, "bob.bin", 3001, 3);
        box.CommitAndPush(bob, "bob");
        var head = Head(box, alice);

        var rejected = box.Git(alice, "push", "origin", "main");

        Assert.NotEqual(0, rejected.ExitCode);
        Assert.Contains("rejected", rejected.All);
        Assert.Equal("", box.Git(alice, "status", "--porcelain").AssertOk().Stdout);
        Assert.Equal(head, Head(box, alice));
        (how == "rebase"
            ? box.Git(alice, "pull", "-q", "--rebase", "origin", "main")
            : box.Git(alice, "-c", "pull.rebase=false", "pull", "-q", "--no-edit", "origin", "main")).AssertOk();
        box.Git(alice, "push", "-q", "origin", "main").AssertOk();
        Assert.Equal("", box.Git(alice, "status", "--porcelain").AssertOk().Stdout);

        var carol = Clone(box, "carol");
        Assert.Equal(a, File.ReadAllBytes(Path.Combine(carol, "alice.bin")));
        Assert.Equal(b, File.ReadAllBytes(Path.Combine(carol, "bob.bin")));
        Assert.Superset(new[] { Sandbox.Sha256(a), Sandbox.Sha256(b) }.ToHashSet(), RemoteMapping(box, box.Origin).Select(e => e.Oid).ToHashSet());
    }

    [Fact]
    public async Task RejectedPushMergedTakingTheirs_LatestVersionFollowsTheDefaultBranch()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "x.bin", 2000, 4);
        box.CommitAndPush(work, "x");
        var alice = Clone(box, "alice");
        var bob = Clone(box, "bob");
        Sandbox.WriteRandom(alice, "x.bin", 2001, 5);
        box.CommitAll(alice, "alice's x");
        var theirs = Sandbox.WriteRandom(bob, "x.bin", 2002, 6);
        box.CommitAndPush(bob, "bob's x");
        Assert.NotEqual(0, box.Git(alice, "push", "-q", "origin", "main").ExitCode);

        box.Git(alice, "-c", "pull.rebase=false", "pull", "-q", "--no-edit", "origin", "main");
        box.Git(alice, "checkout", "--theirs", "--", "x.bin").AssertOk();
        box.Git(alice, "add", "x.bin").AssertOk();
        box.Git(alice, "commit", "-q", "--no-edit").AssertOk();
        box.Git(alice, "push", "-q", "origin", "main").AssertOk();

        using var latest = await TestEnvironment.Admin.GetObjectAsync(bucket, "my-repo/x.bin");
        var bytes = new MemoryStream();
        await latest.ResponseStream.CopyToAsync(bytes);
        Assert.Equal(Sandbox.Sha256(theirs), Sandbox.Sha256(bytes.ToArray()));
    }

    [Fact]
    public async Task FileTakenBackToEarlierContent_PushMakesThatVersionTheLatestAgain()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var first = Sandbox.WriteRandom(work, "x.bin", 3000, 7);
        box.CommitAndPush(work, "first");
        Sandbox.WriteRandom(work, "x.bin", 3001, 8);
        box.CommitAndPush(work, "second");

        // The first content again: git-lfs sends an object the bucket already holds, as an older version of the key.
        File.WriteAllBytes(Path.Combine(work, "x.bin"), first);
        box.CommitAndPush(work, "back to the first");

        using var latest = await TestEnvironment.Admin.GetObjectAsync(bucket, "my-repo/x.bin");
        var bytes = new MemoryStream();
        await latest.ResponseStream.CopyToAsync(bytes);
        Assert.Equal(Sandbox.Sha256(first), Sandbox.Sha256(bytes.ToArray()));
        Assert.Equal(3, (await TestEnvironment.VersionsAsync(bucket)).Count(v => v.Key == "my-repo/x.bin"));
    }

    [Fact]
    public async Task ThirdDevelopersClone_DownloadsEveryObjectWithoutListingTheBucket()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var files = Enumerable.Range(0, 6).ToDictionary(i => $"d{i % 2}/f{i}.bin", i => Sandbox.WriteRandom(work, $"d{i % 2}/f{i}.bin", 1500 + i, 10 + i));
        box.CommitAndPush(work, "six");
        Sandbox.WriteRandom(work, "d0/f0.bin", 1400, 20);
        box.CommitAndPush(work, "edit");
        using var proxy = new FaultProxy(TestEnvironment.Endpoint, _ => ProxyAction.Forward);

        var clone = Path.Combine(box.Root, "carol");
        box.Run("git", box.Root, ["clone", "-q", box.Origin, clone], extraEnv: new Dictionary<string, string?> { ["LFS_S3_ENDPOINT"] = proxy.Url }).AssertOk();

        foreach (var (path, data) in files.Where(f => f.Key != "d0/f0.bin"))
        {
            Assert.Equal(data, File.ReadAllBytes(Path.Combine(clone, path)));
        }

        var requests = proxy.Requests;
        Assert.DoesNotContain(requests, r => r.Target.Contains("versions", StringComparison.Ordinal) || r.Target.Contains("list-type", StringComparison.Ordinal)
            || r.Method == "GET" && r.Path.TrimEnd('/') == "/" + bucket);
        Assert.DoesNotContain(requests, r => r.Method == "HEAD");
        Assert.Equal(6, requests.Count(r => r.Method == "GET"));
    }

    [Fact]
    public async Task CloneThatKnowsNoVersion_ManySmallFilesInOneFolder_OneGetPerObjectAndOneSharedListing()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var files = Enumerable.Range(0, 24).ToDictionary(i => $"assets/f{i}.bin", i => Sandbox.WriteRandom(work, $"assets/f{i}.bin", 2000 + i, 50 + i));
        box.CommitAndPush(work, "many");
        // The mapping never reached this remote (pushed by an older release, or a fork's contribution): no clone knows a version.
        box.Git(box.Origin, "update-ref", "-d", "refs/heads/lfs-s3").AssertOk();
        using var proxy = new FaultProxy(TestEnvironment.Endpoint, _ => ProxyAction.Forward);

        var clone = Path.Combine(box.Root, "carol");
        box.Run("git", box.Root, ["clone", "-q", box.Origin, clone], extraEnv: new Dictionary<string, string?> { ["LFS_S3_ENDPOINT"] = proxy.Url }).AssertOk();

        foreach (var (path, data) in files)
        {
            Assert.Equal(data, File.ReadAllBytes(Path.Combine(clone, path)));
        }

        var requests = proxy.Requests;
        var objectGets = requests.Where(r => r.Method == "GET" && r.Path.EndsWith(".bin", StringComparison.Ordinal)).GroupBy(r => r.Path).ToList();
        Assert.Equal(files.Count, objectGets.Count);
        Assert.All(objectGets, g => Assert.Single(g));
        // The eight agent processes share one listing of the folder; the listing tells each object's version (one of its size).
        Assert.Single(requests, r => r.Target.Contains("versions", StringComparison.Ordinal));
        Assert.DoesNotContain(requests, r => r.Method == "HEAD");
    }

    [Fact]
    public async Task ShallowSingleBranchClone_AndCloneOfAPushedNonHeadBranch_GetEveryFile()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        box.Git(work, "push", "-q", "origin", "main").AssertOk();
        // The same content at one path on the unpushed HEAD and at another on the pushed branch: the upload's key
        // comes from HEAD, which the teammate never sees; only the mapping tells where it went.
        box.Git(work, "checkout", "-q", "-b", "feature").AssertOk();
        var data = Sandbox.WriteRandom(work, "feature/only.bin", 4000, 30);
        box.CommitAll(work, "feature");
        box.Git(work, "checkout", "-q", "main").AssertOk();
        File.WriteAllBytes(Path.Combine(work, "main-name.bin"), data);
        box.CommitAll(work, "same bytes on main, not pushed");
        box.Git(work, "push", "-q", "origin", "feature").AssertOk();
        Assert.Equal("", box.Git(work, "status", "--porcelain").AssertOk().Stdout);

        var branchClone = Clone(box, "branch-clone", "--branch", "feature", "--single-branch");
        var shallow = Clone(box, "shallow", "--depth", "1", "--single-branch", "--branch", "feature");

        Assert.Equal(data, File.ReadAllBytes(Path.Combine(branchClone, "feature", "only.bin")));
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(shallow, "feature", "only.bin")));
        Assert.Equal("", box.Git(shallow, "status", "--porcelain").AssertOk().Stdout);
    }

    [Fact]
    public async Task ForkContribution_MergedUpstream_ClonesAndIsMappedUpstream()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        box.Git(work, "push", "-q", "origin", "main").AssertOk();
        var fork = Path.Combine(box.Root, "fork.git");
        box.Git(box.Root, "clone", "-q", "--bare", box.Origin, fork).AssertOk();
        var contributor = Path.Combine(box.Root, "contributor");
        box.Git(box.Root, "clone", "-q", fork, contributor).AssertOk();
        var data = Sandbox.WriteRandom(contributor, "contrib/new.bin", 3500, 40);
        box.CommitAndPush(contributor, "a contribution");

        // The maintainer fetches only the fork's main (not its mapping branch), merges and pushes upstream.
        box.Git(work, "fetch", "-q", fork, "main:refs/remotes/fork/main").AssertOk();
        box.Git(work, "merge", "-q", "--no-edit", "refs/remotes/fork/main").AssertOk();
        box.Git(work, "push", "-q", "origin", "main").AssertOk();

        var clone = Clone(box, "clone");
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(clone, "contrib", "new.bin")));
        Assert.Contains(RemoteMapping(box, box.Origin), e => e.Oid == Sandbox.Sha256(data));
    }

    [Fact]
    public async Task TwoClonesPushTheMappingBranchAtOnce_BothLand()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        box.Git(work, "push", "-q", "origin", "main").AssertOk();
        var clones = new[] { "alice", "bob" }.Select(n => Clone(box, n)).ToArray();
        var oids = new List<string>();
        for (var c = 0; c < 2; c++)
        {
            for (var i = 0; i < 4; i++)
            {
                oids.Add(Sandbox.Sha256(Sandbox.WriteRandom(clones[c], $"{c}/{i}.bin", 2500 + i, 50 + (c * 10) + i)));
            }

            // Each pushes its own branch, so both ref updates are accepted and only the mapping branch races.
            box.Git(clones[c], "checkout", "-q", "-b", "topic" + c).AssertOk();
            box.CommitAll(clones[c], "work " + c);
        }

        var pushes = clones.Select((c, i) => Task.Run(() => box.Git(c, "push", "-q", "origin", "topic" + i))).ToArray();
        foreach (var push in await Task.WhenAll(pushes))
        {
            push.AssertOk();
        }

        Assert.Superset(oids.ToHashSet(), RemoteMapping(box, box.Origin).Select(e => e.Oid).ToHashSet());
        foreach (var clone in clones)
        {
            Assert.Equal("", box.Git(clone, "status", "--porcelain").AssertOk().Stdout);
        }
    }

    [Fact]
    public async Task MappingOnlyInOldCommittedShards_StillClonesFromIt()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var data = Sandbox.WriteRandom(work, "old/place.bin", 3300, 60);
        box.CommitAndPush(work, "at its first path");
        box.Git(work, "mv", "old/place.bin", "new-place.bin").AssertOk();
        box.CommitAndPush(work, "renamed");
        // An older release kept the mapping in the branch itself; this repository has only that.
        var entries = RemoteMapping(box, box.Origin);
        Directory.CreateDirectory(Path.Combine(work, ".lfs-s3", "mapping"));
        foreach (var shard in entries.GroupBy(e => e.Oid[..2]))
        {
            File.WriteAllText(Path.Combine(work, ".lfs-s3", "mapping", shard.Key + ".tsv"), MappingFile.Format(shard));
        }

        box.CommitAll(work, "mapping as 0.x committed it");
        box.Git(work, "push", "-q", "origin", "main").AssertOk();
        box.Git(work, "push", "-q", "origin", ":lfs-s3").AssertOk();

        // A shallow clone knows no older path: only the committed shard says the object is at old/place.bin.
        var clone = Clone(box, "clone", "--depth", "1");

        Assert.Equal(data, File.ReadAllBytes(Path.Combine(clone, "new-place.bin")));
    }

    [Fact]
    public async Task MappingBranchRejected_UserPushStillSucceeds_PendingUntilSync()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var hook = Path.Combine(box.Origin, "hooks", "pre-receive");
        File.WriteAllText(hook, "#!/bin/sh\nwhile read old new ref; do [ \"$ref\" = refs/heads/lfs-s3 ] && { echo 'protected branch' >&2; exit 1; }; done; exit 0\n");
        box.Run("chmod", box.Root, ["+x", hook]).AssertOk();
        var oid = Sandbox.Sha256(Sandbox.WriteRandom(work, "p.bin", 2200, 70));

        box.CommitAndPush(work, "p");

        Assert.Equal("", box.Git(work, "status", "--porcelain").AssertOk().Stdout);
        var status = box.Agent(work, "status").AssertOk().Stdout;
        Assert.Contains("not yet on the mapping branch: 1", status);
        Assert.Contains("protected branch", box.Agent(work, "doctor").Stdout);
        File.Delete(hook);

        Assert.Contains("pushed 1", box.Agent(work, "sync").AssertOk().Stdout);

        Assert.Contains(RemoteMapping(box, box.Origin), e => e.Oid == oid);
        Assert.Contains("everything is in sync", box.Agent(work, "status").AssertOk().Stdout);
    }

    [Fact]
    public async Task CloneBeforeInstall_InstallNamesTheOneCommandThatRepairsIt()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var data = Sandbox.WriteRandom(work, "a.bin", 1800, 80);
        box.CommitAndPush(work, "a");
        using var newcomer = new Sandbox(install: false);
        var clone = Path.Combine(newcomer.Root, "clone");
        Assert.NotEqual(0, newcomer.Git(newcomer.Root, "clone", "-q", box.Origin, clone).ExitCode);

        var install = newcomer.Agent(clone, "install").AssertOk();

        Assert.Contains("git reset --hard", install.Stdout);
        newcomer.Git(clone, "reset", "-q", "--hard").AssertOk();
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(clone, "a.bin")));
        Assert.Equal("", newcomer.Git(clone, "status", "--porcelain").AssertOk().Stdout);
    }

    [Fact]
    public async Task EndpointOnlyInTheAwsProfile_InitCommitsIt_AndATeammateWithoutThatProfileClones()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        Directory.CreateDirectory(Path.Combine(box.Home, ".aws"));
        File.WriteAllText(Path.Combine(box.Home, ".aws", "config"), $"[default]\nendpoint_url = {TestEnvironment.Endpoint}\n");
        var work = box.CreateRepositoryWith("*.bin", "--bucket", bucket, "--prefix", "p");
        Assert.Contains(TestEnvironment.Endpoint, File.ReadAllText(Path.Combine(work, ".lfs-s3", "config")));
        var data = Sandbox.WriteRandom(work, "a.bin", 2100, 90);

        box.CommitAndPush(work, "a");

        using var teammate = new Sandbox();
        var clone = Path.Combine(teammate.Root, "clone");
        teammate.Git(teammate.Root, "clone", "-q", box.Origin, clone).AssertOk();
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(clone, "a.bin")));
    }
}
