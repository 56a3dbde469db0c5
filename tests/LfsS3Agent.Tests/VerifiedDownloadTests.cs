using System.Security.Cryptography;
using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Core.Objects;

namespace LfsS3Agent.Tests;

/// <summary>The one "download and verify": size, hash, an early stop on oversized bodies, nothing left behind.</summary>
public sealed class VerifiedDownloadTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lfs-s3-vd-").FullName;

    /// <summary>A store whose one version has the given bytes, repeated <paramref name="repeat"/> times; counts what it wrote.</summary>
    private sealed class BytesStore(byte[] bytes, int repeat = 1) : IObjectStore
    {
        public long Written { get; private set; }

        public string Id => "bytes";

        public string Describe(string key) => "bytes://" + key;

        public string VersioningOffMessage(VersioningState state) => "";

        public async Task DownloadAsync(string key, string versionId, Stream destination, IProgressReporter progress, CancellationToken cancellationToken)
        {
            for (var i = 0; i < repeat; i++)
            {
                await destination.WriteAsync(bytes, cancellationToken);
                Written += bytes.Length;
            }
        }

        public Task<VersioningState> GetVersioningAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<string> UploadAsync(string key, string filePath, long size, string oid, IProgressReporter progress, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task<IReadOnlyList<StoredVersion>> ListVersionsAsync(string key, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<StoredVersion>?> ListFolderVersionsAsync(string folder, CancellationToken cancellationToken) =>
            throw new NotSupportedException();

        public Task<string?> GetOidAsync(string key, string versionId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task DeleteVersionAsync(string key, string versionId, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<string> PromoteAsync(string key, string versionId, CancellationToken cancellationToken) => throw new NotSupportedException();
    }

    private static string Oid(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static readonly MappingEntry Entry = new("unused", 0, "v1", "k/file.bin");

    [Fact]
    public async Task ToFile_RightBytes_ReturnsFileNamedAfterOidWithTheBytes()
    {
        var bytes = "hello"u8.ToArray();

        var path = await VerifiedDownload.ToFileAsync(new BytesStore(bytes), Entry, Oid(bytes), bytes.Length, _dir, NoProgress.Instance, CancellationToken.None);

        Assert.StartsWith(Oid(bytes) + "-", Path.GetFileName(path));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task ToFile_WrongBytesOfRightSize_IntegrityErrorAndNoFileLeft()
    {
        var bytes = "hello"u8.ToArray();

        var ex = await Assert.ThrowsAsync<LfsS3Exception>(() =>
            VerifiedDownload.ToFileAsync(new BytesStore("jelly"u8.ToArray()), Entry, Oid(bytes), 5, _dir, NoProgress.Instance, CancellationToken.None));

        Assert.Equal(ErrorCodes.IntegrityError, ex.Code);
        Assert.Contains("hashes to", ex.Message);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public async Task ToFile_ShorterVersion_IntegrityErrorNamingBothSizes()
    {
        var ex = await Assert.ThrowsAsync<LfsS3Exception>(() =>
            VerifiedDownload.ToFileAsync(new BytesStore("abc"u8.ToArray()), Entry, new string('a', 64), 10, _dir, NoProgress.Instance, CancellationToken.None));

        Assert.Equal(ErrorCodes.IntegrityError, ex.Code);
        Assert.Contains("has 3 bytes, expected 10", ex.Message);
    }

    [Fact]
    public async Task Check_VersionMuchLargerThanObject_StopsAtTheExpectedSize()
    {
        var store = new BytesStore(new byte[1 << 20], repeat: 300);

        var ex = await Assert.ThrowsAsync<LfsS3Exception>(() =>
            VerifiedDownload.CheckAsync(store, Entry, new string('a', 64), 2048, CancellationToken.None));

        Assert.Equal(ErrorCodes.IntegrityError, ex.Code);
        Assert.Contains("more than the expected 2048 bytes", ex.Message);
        Assert.Equal(0, store.Written);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
