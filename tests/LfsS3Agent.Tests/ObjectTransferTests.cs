using System.Security.Cryptography;
using System.Text;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Transfer;
using Microsoft.Extensions.Logging.Abstractions;

namespace LfsS3Agent.Tests;

/// <summary>The transfer handler against a real folder store, real SQLite and real git history: keys, the end step, failures.</summary>
public sealed class ObjectTransferTests : IDisposable
{
    private readonly TempGitRepo _repo = new();
    private readonly string _storeDir;
    private readonly ProcessEnvironment _environment;
    private readonly string _origin;

    public ObjectTransferTests()
    {
        _storeDir = Directory.CreateDirectory(_repo.Root + "-store").FullName;
        _origin = _repo.Root + "-origin.git";
        _repo.Git("init", "-q", "--bare", _origin);
        _repo.Git("remote", "add", "origin", _origin);
        _environment = new ProcessEnvironment(_repo.Root, new Dictionary<string, string> { ["LFS_S3_STORE"] = new Uri(_storeDir).AbsoluteUri });
    }

    private ObjectTransfer Transfer() =>
        new(ct => Workspace.OpenAsync(_environment, new StoreFactory(), ct), "origin", NullLogger.Instance);

    /// <summary>Commits a pointer for <paramref name="text"/> at <paramref name="path"/> and writes the object as git-lfs keeps it.</summary>
    private (string Oid, long Size, string LocalPath) Commit(string path, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var oid = Convert.ToHexStringLower(SHA256.HashData(bytes));
        _repo.WriteFile(path, TempGitRepo.Pointer(oid, bytes.Length));
        _repo.Commit("add " + path);
        var local = Path.Combine(_repo.Root, ".git", "lfs", "objects", oid[..2], oid[2..4], oid);
        Directory.CreateDirectory(Path.GetDirectoryName(local)!);
        File.WriteAllBytes(local, bytes);
        return (oid, bytes.Length, local);
    }

    /// <summary>The mapping as the remote's mapping branch holds it ("" before the first push of it).</summary>
    private string MappingText()
    {
        string names;
        try
        {
            names = _repo.Git("--git-dir", _origin, "ls-tree", "--name-only", "refs/heads/lfs-s3");
        }
        catch (InvalidOperationException)
        {
            return "";
        }

        return string.Concat(names.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(n => n.EndsWith(".tsv", StringComparison.Ordinal))
            .Select(n => _repo.Git("--git-dir", _origin, "show", "refs/heads/lfs-s3:" + n)));
    }

    [Fact]
    public async Task Upload_CommittedPath_StoredUnderThePathAndOnTheRemotesMappingBranchOnlyAtTheEnd()
    {
        var (oid, size, local) = Commit("docs/a.txt", "the contract, every page");
        await using var transfer = Transfer();

        var result = await transfer.TransferAsync(new TransferItem(TransferDirection.Upload, oid, size, local), NoProgress.Instance, CancellationToken.None);
        var mappedBeforeEnd = MappingText();
        await transfer.EndAsync(CancellationToken.None);

        Assert.Null(result);
        Assert.Equal("the contract, every page", await File.ReadAllTextAsync(Path.Combine(_storeDir, "docs", "a.txt")));
        Assert.DoesNotContain(oid, mappedBeforeEnd);
        Assert.Contains(oid, MappingText());
    }

    [Fact]
    public async Task Download_AfterUpload_ReturnsAFileWithTheObjectsBytes()
    {
        var (oid, size, local) = Commit("data/b.csv", "a,b\n1,2\n");
        await using (var upload = Transfer())
        {
            await upload.TransferAsync(new TransferItem(TransferDirection.Upload, oid, size, local), NoProgress.Instance, CancellationToken.None);
            await upload.EndAsync(CancellationToken.None);
        }

        await using var download = Transfer();
        var path = await download.TransferAsync(new TransferItem(TransferDirection.Download, oid, size, null), NoProgress.Instance, CancellationToken.None);

        Assert.NotNull(path);
        Assert.StartsWith(Path.Combine(_repo.Root, ".git", "lfs", "tmp"), path);
        Assert.Equal("a,b\n1,2\n", await File.ReadAllTextAsync(path));
    }

    [Fact]
    public async Task Upload_LocalObjectMissing_NotFoundAndNothingStored()
    {
        var (oid, size, local) = Commit("docs/c.txt", "never written locally");
        File.Delete(local);
        await using var transfer = Transfer();

        var ex = await Assert.ThrowsAsync<LfsS3Exception>(() =>
            transfer.TransferAsync(new TransferItem(TransferDirection.Upload, oid, size, local), NoProgress.Instance, CancellationToken.None));
        await transfer.EndAsync(CancellationToken.None);

        Assert.Equal(ErrorCodes.NotFound, ex.Code);
        Assert.False(File.Exists(Path.Combine(_storeDir, "docs", "c.txt")));
        Assert.Equal("", MappingText());
    }

    [Fact]
    public async Task Download_ObjectNowhere_NotFound()
    {
        var (oid, size, _) = Commit("docs/d.txt", "only on the author's machine");
        await using var transfer = Transfer();

        var ex = await Assert.ThrowsAsync<LfsS3Exception>(() =>
            transfer.TransferAsync(new TransferItem(TransferDirection.Download, oid, size, null), NoProgress.Instance, CancellationToken.None));

        Assert.Equal(ErrorCodes.NotFound, ex.Code);
    }

    [Fact]
    public async Task End_NoTransferEver_DoesNothing()
    {
        var transfer = Transfer();

        await transfer.EndAsync(CancellationToken.None);
        await transfer.DisposeAsync();

        Assert.Equal("", MappingText());
        Assert.Empty(Directory.GetFileSystemEntries(_storeDir));
    }

    public void Dispose()
    {
        _repo.Dispose();
        try
        {
            Directory.Delete(_storeDir, recursive: true);
            Directory.Delete(_origin, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
