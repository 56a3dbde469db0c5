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

    [Fact]
    public async Task AcquireLock_EightRacersForOneKey_ExactlyOneGetsItsOwnRecordEveryRound()
    {
        var root = Directory.CreateTempSubdirectory("lfs-s3-folder-").FullName;
        var store = new FolderObjectStore(root);
        var doubleWins = 0;

        for (var round = 0; round < 150; round++)
        {
            var key = $"repo/.git/lfs-s3/locks/k{round}";
            using var start = new Barrier(8);
            var records = Enumerable.Range(0, 8).Select(w => System.Text.Encoding.UTF8.GetBytes($"{{\"racer\":{w},\"round\":{round}}}")).ToArray();
            // a thread each (not the pool's few), so all eight move at once
            var held = await Task.WhenAll(records.Select(record => Task.Factory.StartNew(() =>
            {
                start.SignalAndWait();
                return store.AcquireLockAsync(key, record, default).GetAwaiter().GetResult();
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));

            var winners = Enumerable.Range(0, 8).Where(w => held[w].Record.AsSpan().SequenceEqual(records[w])).ToList();
            if (winners.Count != 1)
            {
                doubleWins++;
                continue;
            }

            // everyone was told the same holder, and the file holds its record
            Assert.All(held, h => Assert.Equal(records[winners[0]], h.Record));
            Assert.Equal(records[winners[0]], (await store.ReadLockAsync(key, default))!.Record);
        }

        Assert.Equal(0, doubleWins);
    }

    [Fact]
    public async Task ReleaseLock_StaleReleasesRaceANewHolder_TheNewHoldersRecordStaysEveryRound()
    {
        // An owner's unlock and force unlocks of the same record, racing clients that take the path once it is free:
        // a release that read the old record must never delete the new holder's.
        var root = Directory.CreateTempSubdirectory("lfs-s3-folder-").FullName;
        var store = new FolderObjectStore(root);
        var lost = 0;

        for (var round = 0; round < 150; round++)
        {
            var key = $"repo/.git/lfs-s3/locks/k{round}";
            var old = await store.AcquireLockAsync(key, System.Text.Encoding.UTF8.GetBytes($"{{\"old\":{round}}}"), default);
            using var start = new Barrier(8);
            var records = Enumerable.Range(0, 4).Select(w => System.Text.Encoding.UTF8.GetBytes($"{{\"taker\":{w},\"round\":{round}}}")).ToArray();
            var releases = Enumerable.Range(0, 4).Select(_ => Task.Factory.StartNew(() =>
            {
                start.SignalAndWait();
                store.ReleaseLockAsync(old, default).GetAwaiter().GetResult();
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
            var takers = records.Select(record => Task.Factory.StartNew(() =>
            {
                start.SignalAndWait();
                for (var attempt = 0; ; attempt++)
                {
                    var held = store.AcquireLockAsync(key, record, default).GetAwaiter().GetResult();
                    if (!held.Record.AsSpan().SequenceEqual(old.Record) || attempt > 100_000)
                    {
                        return held;
                    }
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToList();
            await Task.WhenAll(releases);
            var taken = await Task.WhenAll(takers);

            var winners = Enumerable.Range(0, 4).Where(w => taken[w].Record.AsSpan().SequenceEqual(records[w])).ToList();
            Assert.Single(winners);
            if ((await store.ReadLockAsync(key, default))?.Record is not { } now || !now.AsSpan().SequenceEqual(records[winners[0]]))
            {
                lost++;
            }
        }

        Assert.Equal(0, lost);
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
