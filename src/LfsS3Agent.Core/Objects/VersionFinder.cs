using System.Collections.Concurrent;
using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Core.Objects;

/// <summary>
/// Finds and checks stored versions without listing the bucket: one key's versions at a time, narrowed by
/// size, confirmed by the OID in the version's metadata. Answers are memoised for the life of the finder.
/// With <paramref name="folderListings"/>, one listing of a key's folder answers for all its keys (a push of
/// many files in few folders then costs a request per folder, not per file), falling back to the key's own
/// listing when the folder is larger than one page. Given <paramref name="shared"/>, folder listings are shared with the other
/// agent processes of the same git-lfs run (its eight processes share their parent), so a push of N files in F
/// folders costs about F listings in all, not F per process. With <paramref name="compressed"/>, a version smaller
/// than the object may hold it (stored gzip-compressed): after the versions of the exact size, those are asked too.
/// </summary>
public sealed class VersionFinder(IObjectStore store, bool folderListings = false, SharedListings? shared = null, bool compressed = false)
{
    /// <summary>Memoised answers kept before they are dropped: memory follows the work, not the repository.</summary>
    private const int MaxMemoised = 20_000;

    // Lazy: GetOrAdd may run its factory for each of several parallel callers (publish, prune) and keep one result;
    // only the kept one sends its request.
    private readonly ConcurrentDictionary<string, Lazy<Task<IReadOnlyList<StoredVersion>?>>> _folders = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<IReadOnlyList<StoredVersion>>>> _versions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string, string), Lazy<Task<(string? Oid, long? ObjectSize)>>> _oids = new();

    /// <summary>The version of <paramref name="key"/> that holds the OID, newest first, or null.</summary>
    public async Task<MappingEntry?> FindAsync(string key, string oid, long size, CancellationToken cancellationToken) =>
        await FindVersionAsync(key, oid, size, cancellationToken) is { } version ? new MappingEntry(oid, size, version.VersionId, key) : null;

    /// <summary>The version of <paramref name="key"/> that holds the OID: those of the exact size first (newest first), then smaller ones.</summary>
    public async Task<StoredVersion?> FindVersionAsync(string key, string oid, long size, CancellationToken cancellationToken)
    {
        var versions = await VersionsAsync(key, cancellationToken);
        foreach (var version in versions.Where(v => v.Size == size).Concat(compressed ? versions.Where(v => v.Size < size) : []))
        {
            if (await HoldsAsync(key, version, oid, size, cancellationToken) is null)
            {
                return version;
            }
        }

        return null;
    }

    /// <summary>
    /// Why the version does not hold the object, from its listed size and metadata (null when it does): the same size
    /// and OID, or stored compressed (smaller) with the OID and the object's size recorded with it.
    /// </summary>
    private async Task<string?> HoldsAsync(string key, StoredVersion version, string oid, long size, CancellationToken cancellationToken)
    {
        var what = $"{store.Describe(key)} version {version.VersionId}";
        if (version.Size > size)
        {
            return $"{what} has {version.Size} bytes, expected {size}";
        }

        var (recorded, objectSize) = await IdentityAsync(key, version.VersionId, cancellationToken);
        if (recorded != oid)
        {
            return $"{what} is recorded as {recorded ?? "no OID"}, not {oid}";
        }

        return version.Size == size || objectSize == size ? null
            : $"{what} has {version.Size} bytes and is not recorded as a compressed form of {size} bytes";
    }

    /// <summary>Why the entry does not hold the object (null when it does): the version is gone, or has other bytes.</summary>
    public async Task<string?> CheckAsync(MappingEntry entry, CancellationToken cancellationToken)
    {
        var version = (await VersionsAsync(entry.Key, cancellationToken)).FirstOrDefault(v => v.VersionId == entry.VersionId);
        if (version is null)
        {
            return $"{store.Describe(entry.Key)} has no version {entry.VersionId}";
        }

        // A smaller version may hold the object compressed (and a download checks the bytes either way).
        return await HoldsAsync(entry.Key, version, entry.Oid, entry.Size, cancellationToken);
    }

    /// <summary>
    /// Whether the entry's version exists with the object's exact size and records no OID: written outside git and
    /// adopted by import, so only its bytes can tell what it holds.
    /// </summary>
    public async Task<bool> IsUnmarkedAsync(MappingEntry entry, CancellationToken cancellationToken) =>
        (await VersionsAsync(entry.Key, cancellationToken)).Any(v => v.VersionId == entry.VersionId && v.Size == entry.Size)
        && (await IdentityAsync(entry.Key, entry.VersionId, cancellationToken)).Oid is null;

    /// <summary>The versions of one key, newest first: one listing per key for the life of the finder.</summary>
    public Task<IReadOnlyList<StoredVersion>> VersionsAsync(string key, CancellationToken cancellationToken)
    {
        if (_versions.Count > MaxMemoised || _oids.Count > MaxMemoised)
        {
            _versions.Clear();
            _oids.Clear();
            _folders.Clear();
        }

        return _versions.GetOrAdd(key, k => new(async () =>
        {
            if (folderListings)
            {
                var folder = k[..(k.LastIndexOf('/') + 1)];
                if (await _folders.GetOrAdd(folder, f => new(() => ListFolderAsync(f, cancellationToken))).Value is { } listed)
                {
                    return listed.Where(v => v.Key == k).ToList();
                }
            }

            return await store.ListVersionsAsync(k, cancellationToken);
        })).Value;
    }

    private async Task<IReadOnlyList<StoredVersion>?> ListFolderAsync(string folder, CancellationToken cancellationToken)
    {
        var session = SessionFolder(folder);
        if (session is null)
        {
            return await store.ListFolderVersionsAsync(folder, cancellationToken);
        }

        // The eight processes start on the same folders at once: one lists while the others wait for its answer
        // (the lock is picked by a hash that is the same in every process, unlike string.GetHashCode).
        using var turn = FileLock.Acquire(shared!.LockPath($"listing-{folder.Aggregate(0u, (h, c) => (h ^ c) * 16777619u) % 16}.lock"), TimeSpan.FromMinutes(2));
        if (shared.Find(session, SharedFor) is { } rows)
        {
            return rows;
        }

        var listed = await store.ListFolderVersionsAsync(folder, cancellationToken);
        if (session is not null && listed is not null)
        {
            shared!.Put(session, listed);
        }

        return listed;
    }

    /// <summary>Tells the other processes of this run about a version this one wrote into a folder they may have listed.</summary>
    public void Written(string key, string versionId, long size)
    {
        if (SessionFolder(key[..(key.LastIndexOf('/') + 1)]) is { } session)
        {
            shared!.Add(session, new StoredVersion(key, versionId, size, IsLatest: true));
        }
    }

    /// <summary>A shared listing is only for the processes of one git-lfs run, and never older than this.</summary>
    private static readonly TimeSpan SharedFor = TimeSpan.FromMinutes(30);

    private string? SessionFolder(string folder) =>
        folderListings && shared is not null && RunId.Value is { } run ? run + "|" + folder : null;

    /// <summary>
    /// git-lfs starts its agents from one process (through `sh -c`): that git-lfs process's pid and start time name
    /// the run (Linux /proc; elsewhere there is no sharing and each process lists for itself).
    /// </summary>
    private static readonly Lazy<string?> RunId = new(() =>
    {
        try
        {
            var pid = "self";
            for (var depth = 0; depth < 3; depth++)
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                pid = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1];
                var parent = File.ReadAllText($"/proc/{pid}/stat");
                var name = parent[(parent.IndexOf('(') + 1)..parent.LastIndexOf(')')];
                if (name == "git-lfs")
                {
                    return pid + "@" + parent[(parent.LastIndexOf(')') + 2)..].Split(' ')[19];
                }
            }

            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    });

    /// <summary>The OID in a version's metadata (null when it has none or is gone), asked once per version.</summary>
    public async Task<string?> OidAsync(string key, string versionId, CancellationToken cancellationToken) =>
        (await IdentityAsync(key, versionId, cancellationToken)).Oid;

    private Task<(string? Oid, long? ObjectSize)> IdentityAsync(string key, string versionId, CancellationToken cancellationToken) =>
        _oids.GetOrAdd((key, versionId), k => new(async () =>
        {
            try
            {
                return await store.GetIdentityAsync(k.Item1, k.Item2, cancellationToken);
            }
            catch (StoreException ex) when (ex.Code == ErrorCodes.NotFound)
            {
                return (null, null);
            }
        })).Value;
}
