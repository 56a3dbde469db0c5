using System.Security.Cryptography;

namespace LfsS3Agent.Tests.Shared;

/// <summary>
/// What every store must do, run against each store (the folder store in the fast tests, S3 against
/// radosgw in the integration tests): versioned writes under readable keys, exact-version reads, OID metadata.
/// </summary>
public abstract class ObjectStoreContract
{
    protected abstract Task<IObjectStore> CreateStoreAsync();

    /// <summary>A store of the same kind whose bucket or folder does not exist.</summary>
    protected abstract IObjectStore CreateMissingStore();

    [Fact]
    public async Task Upload_NewKey_ReturnsVersionThatListsReadsAndCarriesOid()
    {
        var store = await CreateStoreAsync();
        var (file, data, oid) = RandomFile(70_000, 1);
        var progress = new RecordingProgress();

        var version = await store.UploadAsync("docs/a file ü.pdf", file, data.Length, oid, progress, default);

        var listed = Assert.Single(await store.ListVersionsAsync("docs/a file ü.pdf", default));
        Assert.Equal(new StoredVersion("docs/a file ü.pdf", version, data.Length, true), listed with { Modified = null });
        Assert.InRange(listed.Modified!.Value, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
        Assert.Equal(oid, await store.GetOidAsync("docs/a file ü.pdf", version, default));
        Assert.Equal(data, await ReadAsync(store, "docs/a file ü.pdf", version));
        Assert.Equal(data.Length, progress.Max);
    }

    [Fact]
    public async Task CopyFrom_OldVersion_BecomesLatestElsewhereWithOidAndDeleteHidesIt()
    {
        var store = await CreateStoreAsync();
        var (file1, data1, oid1) = RandomFile(1500, 7);
        var (file2, data2, oid2) = RandomFile(1600, 8);
        var v1 = await store.UploadAsync("src/a.bin", file1, data1.Length, oid1, new RecordingProgress(), default);
        await store.UploadAsync("src/a.bin", file2, data2.Length, oid2, new RecordingProgress(), default);

        var target = store.Capability<IPublishTarget>();
        Assert.NotNull(target);
        await target.CopyFromAsync(store, "src/a.bin", v1, data1.Length, "site/x/a.bin", oid1, default);
        var copied = Assert.Single(await target.ListLatestAsync("site/", default));
        var copiedOid = await store.GetOidAsync(copied.Key, copied.VersionId, default);
        await target.DeleteAsync("site/x/a.bin", default);

        Assert.Equal(("site/x/a.bin", data1.LongLength), (copied.Key, copied.Size));
        Assert.Equal(oid1, copiedOid);
        Assert.Empty(await target.ListLatestAsync("site/", default));
        Assert.Equal(data2, await ReadAsync(store, "src/a.bin", ""));
    }

    [Fact]
    public async Task Upload_SameKeyTwice_KeepsBothVersionsNewestFirst()
    {
        var store = await CreateStoreAsync();
        var (file1, data1, oid1) = RandomFile(1000, 2);
        var (file2, data2, oid2) = RandomFile(2000, 3);

        var v1 = await store.UploadAsync("k.bin", file1, data1.Length, oid1, new RecordingProgress(), default);
        var v2 = await store.UploadAsync("k.bin", file2, data2.Length, oid2, new RecordingProgress(), default);

        Assert.NotEqual(v1, v2);
        var versions = await store.ListVersionsAsync("k.bin", default);
        Assert.Equal([v2, v1], versions.Select(v => v.VersionId));
        Assert.True(versions[0].IsLatest);
        Assert.False(versions[1].IsLatest);
        Assert.Equal(data1, await ReadAsync(store, "k.bin", v1));
        Assert.Equal(data2, await ReadAsync(store, "k.bin", v2));
        Assert.Equal(oid1, await store.GetOidAsync("k.bin", v1, default));
    }

    [Fact]
    public async Task Promote_OlderVersion_BecomesLatestWithItsBytesAndOid()
    {
        var store = await CreateStoreAsync();
        var (file1, data1, oid1) = RandomFile(1000, 12);
        var (file2, data2, oid2) = RandomFile(2000, 13);
        var v1 = await store.UploadAsync("p/k.bin", file1, data1.Length, oid1, new RecordingProgress(), default);
        await store.UploadAsync("p/k.bin", file2, data2.Length, oid2, new RecordingProgress(), default);

        var promoted = await store.PromoteAsync("p/k.bin", v1, default);

        var latest = (await store.ListVersionsAsync("p/k.bin", default))[0];
        Assert.Equal((promoted, true, data1.Length), (latest.VersionId, latest.IsLatest, latest.Size));
        Assert.Equal(data1, await ReadAsync(store, "p/k.bin", promoted));
        Assert.Equal(oid1, await store.GetOidAsync("p/k.bin", promoted, default));
    }

    [Fact]
    public async Task ListVersions_OnlyThatExactKey()
    {
        var store = await CreateStoreAsync();
        var (file, data, oid) = RandomFile(10, 4);
        await store.UploadAsync("dir/a.bin.bak", file, data.Length, oid, new RecordingProgress(), default);
        await store.UploadAsync("dir/a.binx", file, data.Length, oid, new RecordingProgress(), default);

        Assert.Empty(await store.ListVersionsAsync("dir/a.bin", default));
        Assert.Empty(await store.ListVersionsAsync("missing/key", default));
    }

    [Fact]
    public async Task ListFolderVersions_DirectChildrenOnly_WithEveryVersion()
    {
        var store = await CreateStoreAsync();
        var (file, data, oid) = RandomFile(10, 8);
        var v1 = await store.UploadAsync("f/a.bin", file, data.Length, oid, new RecordingProgress(), default);
        var v2 = await store.UploadAsync("f/a.bin", file, data.Length, oid, new RecordingProgress(), default);
        var v3 = await store.UploadAsync("f/b c.bin", file, data.Length, oid, new RecordingProgress(), default);
        await store.UploadAsync("f/sub/deeper.bin", file, data.Length, oid, new RecordingProgress(), default);
        await store.UploadAsync("top.bin", file, data.Length, oid, new RecordingProgress(), default);

        var listed = await store.ListFolderVersionsAsync("f/", default);

        Assert.NotNull(listed);
        Assert.Equal(new[] { ("f/a.bin", v1), ("f/a.bin", v2), ("f/b c.bin", v3) }.Order(), listed.Select(v => (v.Key, v.VersionId)).Order());
        Assert.Equal(["top.bin"], (await store.ListFolderVersionsAsync("", default))!.Select(v => v.Key));
        Assert.Empty((await store.ListFolderVersionsAsync("nothing/", default))!);
    }

    [Fact]
    public async Task MissingVersion_ReadOrMetadata_IsNotFound()
    {
        var store = await CreateStoreAsync();
        var (file, data, oid) = RandomFile(10, 5);
        await store.UploadAsync("x.bin", file, data.Length, oid, new RecordingProgress(), default);

        var read = await Assert.ThrowsAsync<StoreException>(() => ReadAsync(store, "x.bin", "no-such-version"));
        var meta = await Assert.ThrowsAsync<StoreException>(() => store.GetOidAsync("nope.bin", "no-such-version", default));

        Assert.Equal(ErrorCodes.NotFound, read.Code);
        Assert.Equal(ErrorCodes.NotFound, meta.Code);
    }

    [Fact]
    public async Task DeleteVersion_RemovesOnlyThatVersion()
    {
        var store = await CreateStoreAsync();
        var (file1, data1, oid1) = RandomFile(100, 6);
        var (file2, data2, oid2) = RandomFile(200, 7);
        var v1 = await store.UploadAsync("d.bin", file1, data1.Length, oid1, new RecordingProgress(), default);
        var v2 = await store.UploadAsync("d.bin", file2, data2.Length, oid2, new RecordingProgress(), default);

        await store.DeleteVersionAsync("d.bin", v2, default);

        Assert.Equal([v1], (await store.ListVersionsAsync("d.bin", default)).Select(v => v.VersionId));
        Assert.Equal(data1, await ReadAsync(store, "d.bin", v1));
    }

    [Fact]
    public async Task Versioning_TestStoreIsEnabled_MissingStoreIsNotFound()
    {
        var store = await CreateStoreAsync();
        var missing = CreateMissingStore();

        var state = await store.GetVersioningAsync(default);
        var ex = await Assert.ThrowsAsync<StoreException>(() => missing.GetVersioningAsync(default));

        Assert.Equal(VersioningState.Enabled, state);
        Assert.Equal(ErrorCodes.NotFound, ex.Code);
    }

    protected static (string Path, byte[] Data, string Oid) RandomFile(int size, int seed)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        var path = Path.Combine(Path.GetTempPath(), "lfs-s3-contract-" + Guid.NewGuid().ToString("N"));
        File.WriteAllBytes(path, data);
        return (path, data, Convert.ToHexStringLower(SHA256.HashData(data)));
    }

    protected static async Task<byte[]> ReadAsync(IObjectStore store, string key, string version)
    {
        var buffer = new MemoryStream();
        await store.DownloadAsync(key, version, buffer, new RecordingProgress(), default);
        return buffer.ToArray();
    }

    protected sealed class RecordingProgress : IProgressReporter
    {
        public long Max { get; private set; }

        public void Report(long bytesSoFar) => Max = Math.Max(Max, bytesSoFar);
    }
}
