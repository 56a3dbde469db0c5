using LfsS3Agent.Core.Git;

namespace LfsS3Agent.Tests;

/// <summary>The git plumbing import builds its commit with (issue 24): a scratch index, then a fast-forward move of the work tree.</summary>
public sealed class ImportPlumbingTests
{
    [Fact]
    public async Task ScratchIndex_AddReplaceRemove_TreeHasTheChangesAndTheUsersIndexIsUntouched()
    {
        using var repo = new TempGitRepo();
        repo.WriteFile("keep.txt", "keep\n");
        repo.WriteFile("dir/old.txt", "old\n");
        repo.WriteFile("gone.txt", "gone\n");
        repo.Commit("one");
        var head = repo.Git("rev-parse", "HEAD").Trim();
        var userIndex = File.ReadAllBytes(Path.Combine(repo.Root, ".git", "index"));
        var scratch = Path.Combine(repo.Root, ".git", "scratch.index");
        var blobs = await repo.Cli.WriteBlobObjectsAsync(["new\n", "changed\n"], default);

        await repo.Cli.ReadTreeIntoAsync(scratch, head, default);
        await repo.Cli.UpdateIndexAsync(scratch, [new TreeFile("100644", blobs[0], "a dir/new ü.txt", -1), new TreeFile("100644", blobs[1], "dir/old.txt", -1)],
            ["gone.txt"], default);
        var tree = await repo.Cli.WriteTreeAsync(scratch, default);

        var files = await repo.Cli.LsTreeAsync(tree, null, new LsTreeOptions(), default);
        Assert.Equal(["a dir/new ü.txt", "dir/old.txt", "keep.txt"], files.Select(f => f.Path));
        Assert.Equal(blobs[1], files[1].Blob);
        Assert.Equal(userIndex, File.ReadAllBytes(Path.Combine(repo.Root, ".git", "index")));
        Assert.Equal(new[] { "keep.txt", "dir/old.txt", "gone.txt" }.Order(), (await repo.Cli.LsFilesStagedAsync([], default)).Select(f => f.Path).Order());
    }

    [Fact]
    public async Task MoveWorkTree_LocalEditToAChangedPath_RefusedAndNothingChanged()
    {
        using var repo = new TempGitRepo();
        repo.WriteFile("a.txt", "one\n");
        repo.Commit("one");
        var first = repo.Git("rev-parse", "HEAD").Trim();
        repo.WriteFile("a.txt", "two\n");
        repo.Commit("two");
        var second = repo.Git("rev-parse", "HEAD").Trim();
        repo.Git("reset", "-q", "--hard", first);
        repo.WriteFile("a.txt", "mine\n");

        var changed = await repo.Cli.ChangedTrackedPathsAsync(default);
        var refused = await repo.Cli.MoveWorkTreeAsync(first, second, default);
        repo.Git("checkout", "-q", "--", "a.txt");
        var moved = await repo.Cli.MoveWorkTreeAsync(first, second, default);

        Assert.Equal(["a.txt"], changed);
        Assert.False(refused.Succeeded);
        Assert.True(moved.Succeeded, moved.Error);
        Assert.Equal("two\n", File.ReadAllText(Path.Combine(repo.Root, "a.txt")));
        Assert.Equal(first, repo.Git("rev-parse", "HEAD").Trim()); // the ref is the caller's to move
        Assert.True(await repo.Cli.IsValidBranchNameAsync("bucket-changes", default));
        Assert.False(await repo.Cli.IsValidBranchNameAsync("bad..name", default));
    }
    [Theory]
    [InlineData(3, false)]
    [InlineData(300, true)]
    public async Task WriteBlobObjects_FewLooseManyInOnePack_EachIdGitsOwnAndTheContentIntact(int count, bool packed)
    {
        using var repo = new TempGitRepo();
        var contents = Enumerable.Range(0, count).Select(i => i switch
        {
            0 => "",
            1 => "no newline at the end",
            2 => "ünïcödé\tlines\nand more\n",
            _ => $"{i:x64}\t16384\tversion{i}\tdir/f{i}.bin\n",
        }).ToList();

        var ids = await repo.Cli.WriteBlobObjectsAsync(contents, default);

        Assert.Equal(count, ids.Count);
        foreach (var i in new[] { 0, 1, 2, count - 1 })
        {
            var file = Path.Combine(repo.Root, ".git", "probe");
            File.WriteAllBytes(file, System.Text.Encoding.UTF8.GetBytes(contents[i]));
            Assert.Equal(repo.Git("hash-object", "--no-filters", file).Trim(), ids[i]);
            Assert.Equal(contents[i], repo.Git("cat-file", "blob", ids[i]));
        }

        var packs = Directory.GetFiles(Path.Combine(repo.Root, ".git", "objects", "pack"), "*.pack");
        Assert.Equal(packed ? 1 : 0, packs.Length);
        Assert.Equal("", repo.Git("status", "--porcelain"));
    }
}
