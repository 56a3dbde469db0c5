using LfsS3Agent.Core.Git;

namespace LfsS3Agent.Tests;

/// <summary>The door to git against real temporary repositories: one parser per output format, plumbing, remotes, the injected environment.</summary>
public sealed class GitCliTests
{
    private const string OidA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    [Fact]
    public async Task ReadObjectAsync_ManyObjectsThroughOneProcess_ExactBytesNullForMissingAndUsableAfterwards()
    {
        using var repo = new TempGitRepo();
        var contents = Enumerable.Range(0, 40).Select(i => string.Concat(Enumerable.Repeat($"line {i}\n", i * 50))).ToList();
        for (var i = 0; i < contents.Count; i++)
        {
            repo.WriteFile($"f{i}.txt", contents[i]);
        }

        repo.WriteFile("binary.bin", "a\0b\nc");
        repo.Commit("files");
        var git = repo.Cli;

        for (var i = 0; i < contents.Count; i++)
        {
            var id = repo.Git("rev-parse", $"HEAD:f{i}.txt").Trim();
            Assert.Equal(contents[i], System.Text.Encoding.UTF8.GetString((await git.ReadObjectAsync(id, default))!));
        }

        Assert.Null(await git.ReadObjectAsync(new string('0', 40), default));
        Assert.Equal("a\0b\nc"u8.ToArray(), await git.ReadObjectAsync(repo.Git("rev-parse", "HEAD:binary.bin").Trim(), default));
        Assert.Empty((await git.ReadObjectAsync(repo.Git("hash-object", "-w", "/dev/null").Trim(), default))!);
        await Assert.ThrowsAsync<ArgumentException>(() => git.ReadObjectAsync("HEAD\nHEAD", default));
    }

    [Fact]
    public async Task LogAsync_CommitsWithRenames_HeadersAndChangesNewestFirst()
    {
        using var repo = new TempGitRepo();
        repo.WriteFile("a.bin", TempGitRepo.Pointer(OidA, 1));
        repo.Commit("add");
        repo.Git("commit", "-q", "--allow-empty", "-m", "empty");
        repo.Git("mv", "a.bin", "b.bin");
        repo.Commit("rename");

        var log = await repo.Cli.LogAsync(new GitLogQuery { Revisions = ["HEAD"], Commits = true, Renames = true }, default);

        Assert.Equal(["rename", "empty", "add"], log.Select(e => e.Commit!.Subject));
        var rename = Assert.Single(log[0].Changes);
        Assert.Equal(('R', "a.bin", "b.bin"), (rename.Status, rename.From, rename.Path));
        Assert.Empty(log[1].Changes);
        Assert.Equal(('A', "a.bin", LfsPointer.BlobId(OidA, 1)), (log[2].Changes[0].Status, log[2].Changes[0].Path, log[2].Changes[0].NewBlob));
        Assert.Equal("Test <t@example.com>", log[2].Commit!.Author);
    }

    [Fact]
    public async Task LogAsync_ChangesOnlyFromStdinWithExclusion_OnlyNewCommitsAddedFiles()
    {
        using var repo = new TempGitRepo();
        repo.WriteFile("old.txt", "old\n");
        repo.Commit("one");
        var first = repo.Git("rev-parse", "HEAD").Trim();
        repo.WriteFile("new.txt", "new\n");
        repo.WriteFile("old.txt", "changed\n");
        repo.Commit("two");
        repo.Git("rm", "-q", "old.txt");
        repo.Commit("three");

        var log = await repo.Cli.LogAsync(new GitLogQuery { StdinRevisions = ["HEAD", "^" + first], DiffFilter = "AM" }, default);

        var entry = Assert.Single(log);
        Assert.Null(entry.Commit);
        Assert.Equal(["new.txt", "old.txt"], entry.Changes.Select(c => c.Path).Order());
        Assert.All(entry.Changes, c => Assert.True(c.IsRegular));
    }

    [Fact]
    public async Task LogAsync_MergeAddingAFileOfItsOwn_MergeShowsOnlyWhatItWrote()
    {
        using var repo = new TempGitRepo();
        repo.WriteFile("a.txt", "a\n");
        repo.Commit("one");
        var main = repo.Git("rev-parse", "--abbrev-ref", "HEAD").Trim();
        repo.Git("checkout", "-q", "-b", "side");
        repo.WriteFile("side.txt", "side\n");
        repo.Commit("side");
        repo.Git("checkout", "-q", main);
        repo.WriteFile("main.txt", "main\n");
        repo.Commit("main");
        repo.Git("merge", "-q", "--no-commit", "side");
        repo.WriteFile("merge.bin", TempGitRepo.Pointer(OidA, 1));
        repo.Commit("merge");

        var log = await repo.Cli.LogAsync(new GitLogQuery { Revisions = ["HEAD"], Commits = true, Renames = true, DiffFilter = "AM" }, default);

        var merge = Assert.Single(log, e => e.Commit!.Subject == "merge");
        var added = Assert.Single(merge.Changes);
        Assert.Equal(('A', "merge.bin", LfsPointer.BlobId(OidA, 1), "100644"), (added.Status, added.Path, added.NewBlob, added.NewMode));
        Assert.Equal(["side.txt"], log.Single(e => e.Commit!.Subject == "side").Changes.Select(c => c.Path));
    }

    [Fact]
    public void Log_CombinedChangesOfAnOctopusMerge_OneChangeEach()
    {
        var z = new string('0', 40);
        var output = "\x01" + new string('c', 40) + "\x022024-01-01T00:00:00+00:00\x02T <t@x>\x02octopus\0\n"
            + $":::100644 100644 100644 100644 {new string('1', 40)} {new string('2', 40)} {new string('3', 40)} {new string('4', 40)} MMM\0m.bin\0"
            + $":::000000 000000 000000 100644 {z} {z} {z} {new string('5', 40)} AAA\0new.bin\0";

        var entry = Assert.Single(GitOutput.Log(output));

        Assert.Equal([('M', "m.bin", new string('4', 40)), ('A', "new.bin", new string('5', 40))], entry.Changes.Select(c => (c.Status, c.Path, c.NewBlob)));
    }

    [Fact]
    public void LsTree_WithAndWithoutSizes_ModeTypeIdSizeAndPath()
    {
        var files = GitOutput.LsTree("100644 blob 1111111111111111111111111111111111111111     123\tdir/a b.bin\0"
            + "160000 commit 2222222222222222222222222222222222222222       -\tsub\0"
            + "100755 blob 3333333333333333333333333333333333333333\trun.sh\0");

        Assert.Equal(
            [
                new TreeFile("100644", new string('1', 40), "dir/a b.bin", 123),
                new TreeFile("160000", new string('2', 40), "sub", -1, "commit"),
                new TreeFile("100755", new string('3', 40), "run.sh", -1),
            ],
            files);
        Assert.Equal([true, false, true], files.Select(f => f.IsRegular));
    }

    [Fact]
    public async Task Plumbing_BlobTreeCommitRef_ReadBackThroughLsTreeAndForEachRef()
    {
        using var repo = new TempGitRepo();
        var cli = repo.Cli;

        var blob = await cli.WriteBlobObjectAsync("line\n", default);
        var tree = await cli.MakeTreeAsync([new TreeFile("100644", blob, "ab.tsv", -1)], default);
        var commit = await cli.CommitTreeAsync(tree, [], "mapping", default);
        var created = await cli.UpdateRefAsync("refs/heads/lfs-s3-mapping", commit, new string('0', 40), default);
        var again = await cli.UpdateRefAsync("refs/heads/lfs-s3-mapping", commit, new string('0', 40), default);
        var child = await cli.CommitTreeAsync(tree, [commit], "second", default);

        Assert.True(created);
        Assert.False(again);
        Assert.Equal([("ab.tsv", blob)], (await cli.LsTreeAsync("refs/heads/lfs-s3-mapping", null, new LsTreeOptions(), default)).Select(f => (f.Path, f.Blob)));
        Assert.Equal("line\n", await cli.ReadBlobAsync(blob, default));
        Assert.Equal([$"{commit} refs/heads/lfs-s3-mapping"], await cli.ForEachRefAsync("%(objectname) %(refname)", ["refs/heads/lfs-s3-*"], default));
        Assert.Equal(commit, await cli.RevParseAsync(child + "^", default));
        Assert.Empty(await cli.LsTreeAsync("refs/heads/missing", null, new LsTreeOptions(EmptyOnFailure: true), default));
        await Assert.ThrowsAsync<GitException>(() => cli.LsTreeAsync("refs/heads/missing", null, new LsTreeOptions(), default));
    }

    [Fact]
    public async Task PushAndFetch_OneBranchWithCallEnvironment_ArrivesAndFailureSaysWhy()
    {
        using var repo = new TempGitRepo();
        using var other = new TempGitRepo();
        var bare = Path.Combine(repo.Root, "..", Path.GetFileName(repo.Root) + "-origin.git");
        repo.Git("init", "-q", "--bare", bare);
        repo.Git("remote", "add", "origin", bare);
        repo.WriteFile("a.txt", "a\n");
        repo.Commit("one");
        var noPrompt = new Dictionary<string, string> { ["GIT_TERMINAL_PROMPT"] = "0" };
        try
        {
            var pushed = await repo.Cli.PushAsync("origin", ["HEAD:refs/heads/side"], noPrompt, default);
            other.Git("remote", "add", "origin", bare);
            var fetched = await other.Cli.FetchAsync("origin", ["refs/heads/side:refs/remotes/origin/side"], noPrompt, default);
            var failed = await repo.Cli.FetchAsync(Path.Combine(repo.Root, "nowhere.git"), [], noPrompt, default);

            Assert.True(pushed.Succeeded, pushed.Error);
            Assert.True(fetched.Succeeded, fetched.Error);
            Assert.Equal([repo.Git("rev-parse", "HEAD").Trim()], await other.Cli.ForEachRefAsync("%(objectname)", ["refs/remotes/*/side"], default));
            Assert.False(failed.Succeeded);
            Assert.Contains("nowhere.git", failed.Error);
            Assert.Equal(["origin"], await repo.Cli.RemotesAsync(default));
        }
        finally
        {
            Directory.Delete(bare, recursive: true);
        }
    }

    [Fact]
    public async Task Config_FileSource_SetGetRegexpUnsetAndRemoveSection()
    {
        using var repo = new TempGitRepo();
        var file = GitConfigSource.File(Path.Combine(repo.Root, "test.config"));
        var cli = repo.Cli;

        await cli.ConfigSetAsync(file, "lfs-s3.Bucket", "b", default);
        await cli.ConfigSetAsync(file, "lfs-s3.prefix", "p", default);
        var got = await cli.ConfigGetAsync(file, "lfs-s3.bucket", default);
        var all = await cli.ConfigGetRegexpAsync(file, @"^lfs-s3\.", default);
        var unset = await cli.ConfigUnsetAllAsync(file, "lfs-s3.bucket", "^b$", default);
        var unsetAgain = await cli.ConfigUnsetAllAsync(file, "lfs-s3.bucket", null, default);
        var removed = await cli.ConfigRemoveSectionAsync(file, "lfs-s3", default);

        Assert.Equal("b", got);
        Assert.Equal(new Dictionary<string, string> { ["lfs-s3.bucket"] = "b", ["lfs-s3.prefix"] = "p" }, all);
        Assert.True(unset);
        Assert.False(unsetAgain);
        Assert.True(removed);
        Assert.Null(await cli.ConfigGetAsync(file, "lfs-s3.prefix", default));
    }

    [Fact]
    public async Task LfsVersionAsync_InjectedPathWithOrWithoutGitLfs_VersionOrNull()
    {
        using var repo = new TempGitRepo();

        var installed = await repo.Cli.LfsVersionAsync(default);
        var hidden = await new GitCli(repo.Root, new Dictionary<string, string> { ["HOME"] = repo.Root, ["PATH"] = "" }).LfsVersionAsync(default);

        Assert.NotNull(installed);
        Assert.StartsWith("git-lfs/", installed.Text);
        Assert.True(installed.IsSupported);
        Assert.Null(hidden);
    }
}
