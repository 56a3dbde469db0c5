using System.Security.Cryptography;
using System.Text;
using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.LocalState;
using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Core.Objects;
using LfsS3Agent.FolderStore;
using Microsoft.Extensions.Logging.Abstractions;

namespace LfsS3Agent.Tests;

/// <summary>The one "where is this object stored" against a real folder store, real SQLite and real git history.</summary>
public sealed class ObjectLocatorTests : IDisposable
{
    private readonly TempGitRepo _repo = new();
    private readonly FolderObjectStore _store;
    private readonly KeyLayout _layout = new("pre");
    private LocalDatabase? _database;

    public ObjectLocatorTests() => _store = new FolderObjectStore(Directory.CreateDirectory(Path.Combine(_repo.Root, "..", Path.GetFileName(_repo.Root) + "-store")).FullName);

    private static (string Oid, byte[] Bytes) Content(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return (Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes);
    }

    private async Task<MappingEntry> PutAsync(string key, (string Oid, byte[] Bytes) content)
    {
        var file = Path.GetTempFileName();
        await File.WriteAllBytesAsync(file, content.Bytes);
        var version = await _store.UploadAsync(key, file, content.Bytes.Length, content.Oid, NoProgress.Instance, CancellationToken.None);
        File.Delete(file);
        return new MappingEntry(content.Oid, content.Bytes.Length, version, key);
    }

    private void CommitPointer(string path, (string Oid, byte[] Bytes) content)
    {
        _repo.WriteFile(path, TempGitRepo.Pointer(content.Oid, content.Bytes.Length));
        _repo.Commit("add " + path);
    }

    private async Task<(ObjectLocator Locator, ObjectCache Cache)> OpenAsync(bool folderListings = false)
    {
        var repository = await GitRepository.DiscoverAsync(_repo.Cli);
        _database ??= new LocalDatabase(LocalDatabase.DefaultPath(repository.StateDir));
        var cache = new ObjectCache(_database, _store.Id);
        var paths = new PathIndex(repository, _database, Path.Combine(repository.StateDir, "scan.lock"));
        return (new ObjectLocator(_store, cache, new SharedListings(_database, _store.Id), paths, _layout, new CommittedMapping(repository, _database, new MappingBranch(repository, "lfs-s3")),
            NullLogger.Instance, folderListings), cache);
    }

    private async Task<byte[]> DownloadAsync(ObjectLocator locator, (string Oid, byte[] Bytes) content)
    {
        var path = await locator.DownloadAsync(content.Oid, content.Bytes.Length, Path.Combine(_repo.Root, ".git", "lfs", "tmp"),
            NoProgress.Instance, CancellationToken.None);
        return await File.ReadAllBytesAsync(path);
    }

    [Fact]
    public async Task Locate_SmallerVersionWithTheOidButNoCompressedSize_IsNotTheObject()
    {
        var content = Content("the whole contract, every page of it");
        CommitPointer("docs/a.txt", content);
        // Someone stored a truncated copy labelled with the full object's OID: not a compressed form (no size recorded).
        var file = Path.GetTempFileName();
        await File.WriteAllBytesAsync(file, content.Bytes[..10]);
        await _store.UploadAsync("pre/docs/a.txt", file, 10, content.Oid, NoProgress.Instance, CancellationToken.None);
        File.Delete(file);
        var (locator, _) = await OpenAsync();

        var located = await locator.LocateAsync(content.Oid, content.Bytes.Length, null, CancellationToken.None);

        Assert.Null(located.Entry);
    }

    [Fact]
    public async Task Download_CacheHoldsOlderVersionOfKey_ReturnsThatVersionNotTheLatest()
    {
        var old = Content("first contract");
        var entry = await PutAsync("pre/docs/a.txt", old);
        await PutAsync("pre/docs/a.txt", Content("second contract"));
        var (locator, cache) = await OpenAsync();
        cache.Put(entry);

        Assert.Equal(old.Bytes, await DownloadAsync(locator, old));
    }

    [Fact]
    public async Task Download_StaleCacheEntry_FallsThroughToPathKeyAndRecachesTheRightVersion()
    {
        var content = Content("the bytes");
        CommitPointer("docs/a.txt", content);
        var stored = await PutAsync("pre/docs/a.txt", content);
        var (locator, cache) = await OpenAsync();
        cache.Put(stored with { VersionId = "20200101T000000.0000000Z-gone" });

        Assert.Equal(content.Bytes, await DownloadAsync(locator, content));
        Assert.Equal(stored, cache.Find(content.Oid));
    }

    [Fact]
    public async Task Download_TamperedMappingEntry_RejectedAndPathKeyUsed()
    {
        var content = Content("real bytes");
        var impostor = Content("fake bytes");
        CommitPointer("docs/a.txt", content);
        var wrong = await PutAsync("pre/elsewhere.txt", impostor);
        await PutAsync("pre/docs/a.txt", content);
        _repo.WriteFile(".lfs-s3/mapping.tsv", MappingFile.Format([wrong with { Oid = content.Oid }]));
        var (locator, _) = await OpenAsync();

        var candidates = await ListAsync(locator.CandidatesAsync(content.Oid, content.Bytes.Length));

        Assert.Equal(CandidateSource.Mapping, candidates[0].Source);
        Assert.Equal(content.Bytes, await DownloadAsync(locator, content));
    }

    [Fact]
    public async Task Download_FileRenamedAfterPush_FoundUnderItsEarlierName()
    {
        var content = Content("renamed later");
        CommitPointer("old/x.bin", content);
        await PutAsync("pre/old/x.bin", content);
        _repo.Git("mv", "old/x.bin", "new-x.bin");
        _repo.Commit("rename");
        var (locator, _) = await OpenAsync();

        Assert.Equal(content.Bytes, await DownloadAsync(locator, content));
    }

    [Fact]
    public async Task Download_ObjectWithNoPathInHistory_FoundUnderOrphanKey()
    {
        var content = Content("no path");
        await PutAsync(_layout.OrphanKey(content.Oid), content);
        var (locator, _) = await OpenAsync();

        var candidate = Assert.Single(await ListAsync(locator.CandidatesAsync(content.Oid, content.Bytes.Length)));

        Assert.Equal(CandidateSource.Orphan, candidate.Source);
        Assert.Equal(content.Bytes, await DownloadAsync(locator, content));
    }

    [Fact]
    public async Task Download_NotStoredAnywhere_NotFoundWithTheRestoreAdvice()
    {
        var content = Content("never pushed");
        CommitPointer("docs/a.txt", content);
        var (locator, _) = await OpenAsync();

        var ex = await Assert.ThrowsAsync<LfsS3Exception>(() => DownloadAsync(locator, content));

        Assert.Equal(ErrorCodes.NotFound, ex.Code);
        Assert.Contains("pre/docs/a.txt", ex.Message);
        Assert.Contains("git lfs push --all origin", ex.Message);
    }

    [Fact]
    public async Task Locate_CachedVersionDeletedBehindOurBack_NotStoredSoAPushUploadsAgain()
    {
        var content = Content("deleted later");
        CommitPointer("docs/a.txt", content);
        var stored = await PutAsync("pre/docs/a.txt", content);
        var (locator, cache) = await OpenAsync(folderListings: true);
        cache.Put(stored);
        await _store.DeleteVersionAsync(stored.Key, stored.VersionId, CancellationToken.None);

        var located = await locator.LocateAsync(content.Oid, content.Bytes.Length, null, CancellationToken.None);

        Assert.Null(located.Entry);
        Assert.Contains(located.Rejected, r => r.Contains("has no version"));
        Assert.Null(cache.Find(content.Oid));
    }

    [Fact]
    public async Task Locate_MappingEntryOfAnotherSize_NotEvenACandidate()
    {
        var content = Content("sized");
        var other = await PutAsync("pre/big.bin", Content("a much longer body than the object has"));
        _repo.WriteFile(".lfs-s3/mapping.tsv", MappingFile.Format([other with { Oid = content.Oid }]));
        var (locator, _) = await OpenAsync();

        Assert.Empty(await ListAsync(locator.CandidatesAsync(content.Oid, content.Bytes.Length)));
    }

    /// <summary>A version written outside git (import adopts such versions): the same bytes, no OID recorded with them.</summary>
    private async Task<MappingEntry> PutWithoutOidAsync(string key, (string Oid, byte[] Bytes) content)
    {
        var entry = await PutAsync(key, content);
        File.Delete(Path.Combine(_store.Root, FolderObjectStore.VersionsFolder, key, entry.VersionId + ".oid"));
        return entry;
    }

    [Fact]
    public async Task Locate_AdoptedVersionWithoutOidInThisClonesCache_StoredSoAPushUploadsNothing()
    {
        var content = Content("adopted from the bucket");
        CommitPointer("docs/a.txt", content);
        var adopted = await PutWithoutOidAsync("pre/docs/a.txt", content);
        var (locator, cache) = await OpenAsync(folderListings: true);
        cache.Put(adopted, uploaded: true);

        var located = await locator.LocateAsync(content.Oid, content.Bytes.Length, null, CancellationToken.None);

        Assert.Equal(adopted, located.Entry);
        Assert.Equal(CandidateSource.Cache, located.Source);
    }

    [Fact]
    public async Task Locate_MappingClaimOnVersionWithoutOid_TakenOnlyWhenItsBytesAreTheObject()
    {
        var content = Content("real bytes");
        var impostor = Content("fake bytes"); // the same size
        CommitPointer("docs/a.txt", content);
        var wrong = await PutWithoutOidAsync("pre/elsewhere.txt", impostor);
        var right = await PutWithoutOidAsync("pre/other.txt", content);
        _repo.WriteFile(".lfs-s3/mapping.tsv", MappingFile.Format([wrong with { Oid = content.Oid }]));
        var (locator, _) = await OpenAsync();

        var refused = await locator.LocateAsync(content.Oid, content.Bytes.Length, null, CancellationToken.None);
        _repo.WriteFile(".lfs-s3/mapping.tsv", MappingFile.Format([right]));
        var (fresh, _) = await OpenAsync();
        var taken = await fresh.LocateAsync(content.Oid, content.Bytes.Length, null, CancellationToken.None);

        Assert.Null(refused.Entry);
        Assert.Contains(refused.Rejected, r => r.Contains("hashes to " + impostor.Oid));
        Assert.Equal(right, taken.Entry);
    }

    private static async Task<List<Candidate>> ListAsync(IAsyncEnumerable<Candidate> candidates)
    {
        var list = new List<Candidate>();
        await foreach (var c in candidates)
        {
            list.Add(c);
        }

        return list;
    }

    public void Dispose()
    {
        _database?.Dispose();
        _repo.Dispose();
        Directory.Delete(_store.Root, recursive: true);
    }
}
