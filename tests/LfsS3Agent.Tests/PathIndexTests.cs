using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.LocalState;

namespace LfsS3Agent.Tests;

public sealed class PathIndexTests
{
    private static readonly string OidA = new('a', 64);
    private static readonly string OidB = new('b', 64);

    [Fact]
    public async Task FindPath_PointersInHistory_FoundAtTheirPaths()
    {
        using var repo = new TempGitRepo();
        repo.WriteFile("docs/contracts/lease one.pdf", TempGitRepo.Pointer(OidA, 100));
        repo.WriteFile("plain.txt", "not a pointer");
        repo.Commit("one");
        var (index, cache) = await OpenAsync(repo);

        Assert.Equal("docs/contracts/lease one.pdf", (await index.UploadPathsAsync(OidA, 100, default)).FirstOrDefault());
        Assert.Null((await index.UploadPathsAsync(OidB, 100, default)).FirstOrDefault());
        cache.Dispose();
    }

    [Fact]
    public async Task FindPath_NewCommitAfterFirstScan_FoundByIncrementalScan()
    {
        using var repo = new TempGitRepo();
        repo.WriteFile("a.bin", TempGitRepo.Pointer(OidA, 1));
        repo.Commit("one");
        var (first, cache) = await OpenAsync(repo);
        await first.UpdateAsync(default);
        repo.WriteFile("ünï/b file.bin", TempGitRepo.Pointer(OidB, 2));
        repo.Commit("two");

        var (second, cache2) = await OpenAsync(repo);

        Assert.Equal("ünï/b file.bin", (await second.UploadPathsAsync(OidB, 2, default)).FirstOrDefault());
        Assert.Equal("a.bin", (await second.UploadPathsAsync(OidA, 1, default)).FirstOrDefault());
        cache.Dispose();
        cache2.Dispose();
    }

    [Fact]
    public async Task FindPath_SameContentCopiedLater_KeepsFirstPath()
    {
        using var repo = new TempGitRepo();
        repo.WriteFile("original.bin", TempGitRepo.Pointer(OidA, 1));
        repo.Commit("one");
        var (index, cache) = await OpenAsync(repo);
        await index.UpdateAsync(default);
        repo.WriteFile("copy.bin", TempGitRepo.Pointer(OidA, 1));
        repo.Commit("two");

        var (again, cache2) = await OpenAsync(repo);
        await again.UpdateAsync(default);

        Assert.Equal("original.bin", (await again.UploadPathsAsync(OidA, 1, default)).FirstOrDefault());
        cache.Dispose();
        cache2.Dispose();
    }

    [Fact]
    public async Task FindPaths_FileRenamed_KnowsOldAndNewName()
    {
        using var repo = new TempGitRepo();
        repo.WriteFile("old/name.bin", TempGitRepo.Pointer(OidA, 1));
        repo.Commit("one");
        repo.Git("mv", "old/name.bin", "new name.bin");
        repo.Commit("rename");

        var (index, cache) = await OpenAsync(repo);

        Assert.Equal(["new name.bin", "old/name.bin"], (await index.FindPathsAsync(OidA, default)).Order(StringComparer.Ordinal));
        cache.Dispose();
    }

    [Fact]
    public async Task UploadPaths_RenamedOnAnUnpushedBranch_HeadsPathFirst()
    {
        using var repo = new TempGitRepo();
        repo.WriteFile("final/x.bin", TempGitRepo.Pointer(OidA, 7));
        repo.Commit("final");
        repo.Git("checkout", "-q", "-b", "exp");
        repo.Git("mv", "final/x.bin", "scratch.bin");
        repo.Commit("experiment");
        var (scan, cache) = await OpenAsync(repo);
        await scan.UpdateAsync(default);
        repo.Git("checkout", "-q", "main");

        var (index, cache2) = await OpenAsync(repo);

        Assert.Equal(["final/x.bin", "scratch.bin"], await index.UploadPathsAsync(OidA, 7, default));
        cache.Dispose();
        cache2.Dispose();
    }

    [Fact]
    public async Task UploadPaths_CommitAmendedToAnotherPath_OldPathForgotten()
    {
        using var repo = new TempGitRepo();
        repo.WriteFile("base.txt", "base");
        repo.Commit("base");
        repo.WriteFile("first/name.bin", TempGitRepo.Pointer(OidA, 3));
        repo.Commit("add");
        var (scan, cache) = await OpenAsync(repo);
        await scan.UpdateAsync(default);
        repo.Git("mv", "first/name.bin", "second.bin");
        repo.Git("commit", "-q", "--amend", "-m", "add");

        var (index, cache2) = await OpenAsync(repo);

        Assert.Equal(["second.bin"], await index.UploadPathsAsync(OidA, 3, default));
        Assert.DoesNotContain(index.AllPointers(), p => p.Paths.Contains("first/name.bin"));
        cache.Dispose();
        cache2.Dispose();
    }

    [Fact]
    public void LfsPointer_BlobId_IsGitsIdOfTheCanonicalPointer()
    {
        using var repo = new TempGitRepo();
        repo.WriteFile("p", TempGitRepo.Pointer(OidB, 42));

        Assert.Equal(repo.Git("hash-object", "p").Trim(), LfsPointer.BlobId(OidB, 42));
    }

    [Fact]
    public void LfsPointer_Parse_ReadsOidAndSize()
    {
        var pointer = LfsPointer.TryParse(System.Text.Encoding.ASCII.GetBytes(TempGitRepo.Pointer(OidB, 123456)));

        Assert.Equal(new LfsPointer(OidB, 123456), pointer);
        Assert.Null(LfsPointer.TryParse("version x\nnot a pointer"u8));
    }

    private static async Task<(PathIndex, LocalDatabase)> OpenAsync(TempGitRepo repo)
    {
        var repository = await GitRepository.DiscoverAsync(repo.Cli);
        var database = new LocalDatabase(LocalDatabase.DefaultPath(repository.StateDir));
        return (new PathIndex(repository, database, Path.Combine(repository.StateDir, "scan.lock")), database);
    }
}
