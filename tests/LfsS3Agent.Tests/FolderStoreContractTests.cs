using LfsS3Agent.FolderStore;
using LfsS3Agent.Tests.Shared;

namespace LfsS3Agent.Tests;

/// <summary>The storage contract against the folder store, in a fresh temporary folder per test.</summary>
public sealed class FolderStoreContractTests : ObjectStoreContract
{
    protected override Task<IObjectStore> CreateStoreAsync() =>
        Task.FromResult<IObjectStore>(new FolderObjectStore(Directory.CreateTempSubdirectory("lfs-s3-folder-").FullName));

    protected override IObjectStore CreateMissingStore() =>
        new FolderObjectStore(Path.Combine(Path.GetTempPath(), "lfs-s3-missing-" + Guid.NewGuid().ToString("N")));

    [Fact]
    public void Capabilities_FolderStore_HasNoCompressedWritesButPublishesLocksAndLinks()
    {
        IObjectStore store = new FolderObjectStore(Directory.CreateTempSubdirectory("lfs-s3-folder-").FullName);

        Assert.Null(store.Capability<ICompressedWrites>());
        Assert.NotNull(store.Capability<IPublishTarget>());
        Assert.NotNull(store.Capability<ILockRecords>());
        Assert.NotNull(store.Capability<IStoreMaintenance>());
        Assert.NotNull(store.Capability<IStoreLinks>());
    }

    [Fact]
    public async Task Upload_LatestVersionIsReadableAtTheKeysOwnPath()
    {
        var root = Directory.CreateTempSubdirectory("lfs-s3-folder-").FullName;
        var store = new FolderObjectStore(root);
        var (file, data, oid) = RandomFile(500, 9);

        await store.UploadAsync("my-repo/documents/lease.pdf", file, data.Length, oid, NoProgress.Instance, default);

        Assert.Equal(data, File.ReadAllBytes(Path.Combine(root, "my-repo", "documents", "lease.pdf")));
    }

    [Theory]
    [InlineData("../outside")]
    [InlineData("a/../../b")]
    [InlineData("/etc/passwd")]
    [InlineData(".lfs-s3-versions/x")]
    public async Task Key_EscapingTheRoot_IsRefused(string key)
    {
        var store = new FolderObjectStore(Directory.CreateTempSubdirectory("lfs-s3-folder-").FullName);
        var (file, data, oid) = RandomFile(5, 10);

        await Assert.ThrowsAsync<StoreException>(() => store.UploadAsync(key, file, data.Length, oid, NoProgress.Instance, default));
    }
}
