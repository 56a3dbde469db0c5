using System.Collections.Concurrent;
using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Core.Objects;

/// <summary>
/// Finds and checks stored versions without listing the bucket: one key's versions at a time, narrowed by
/// size, confirmed by the OID in the version's metadata. Answers are memoised for the life of the finder.
/// With <paramref name="folderListings"/>, one listing of a key's folder answers for all its keys (a push of
/// many files in few folders then costs a request per folder, not per file), falling back to the key's own
/// listing when the folder is larger than one page.
/// </summary>
public sealed class VersionFinder(IObjectStore store, bool folderListings = false)
{
    private readonly ConcurrentDictionary<string, Task<IReadOnlyList<StoredVersion>?>> _folders = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task<IReadOnlyList<StoredVersion>>> _versions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string, string), Task<string?>> _oids = new();

    /// <summary>The version of <paramref name="key"/> that holds the OID, newest first, or null.</summary>
    public async Task<MappingEntry?> FindAsync(string key, string oid, long size, CancellationToken cancellationToken)
    {
        foreach (var version in await VersionsAsync(key, cancellationToken))
        {
            if (version.Size == size && await OidAsync(key, version.VersionId, cancellationToken) == oid)
            {
                return new MappingEntry(oid, size, version.VersionId, key);
            }
        }

        return null;
    }

    /// <summary>Why the entry does not hold the object (null when it does): the version is gone, or has other bytes.</summary>
    public async Task<string?> CheckAsync(MappingEntry entry, CancellationToken cancellationToken)
    {
        var version = (await VersionsAsync(entry.Key, cancellationToken)).FirstOrDefault(v => v.VersionId == entry.VersionId);
        if (version is null)
        {
            return $"{store.Describe(entry.Key)} has no version {entry.VersionId}";
        }

        if (version.Size != entry.Size)
        {
            return $"{store.Describe(entry.Key)} version {entry.VersionId} has {version.Size} bytes, expected {entry.Size}";
        }

        var oid = await OidAsync(entry.Key, entry.VersionId, cancellationToken);
        return oid == entry.Oid ? null : $"{store.Describe(entry.Key)} version {entry.VersionId} is recorded as {oid ?? "no OID"}, not {entry.Oid}";
    }

    private Task<IReadOnlyList<StoredVersion>> VersionsAsync(string key, CancellationToken cancellationToken) =>
        _versions.GetOrAdd(key, async k =>
        {
            if (folderListings)
            {
                var folder = k[..(k.LastIndexOf('/') + 1)];
                if (await _folders.GetOrAdd(folder, f => store.ListFolderVersionsAsync(f, cancellationToken)) is { } listed)
                {
                    return listed.Where(v => v.Key == k).ToList();
                }
            }

            return await store.ListVersionsAsync(k, cancellationToken);
        });

    private Task<string?> OidAsync(string key, string versionId, CancellationToken cancellationToken) =>
        _oids.GetOrAdd((key, versionId), async k =>
        {
            try
            {
                return await store.GetOidAsync(k.Item1, k.Item2, cancellationToken);
            }
            catch (StoreException ex) when (ex.Code == ErrorCodes.NotFound)
            {
                return null;
            }
        });
}
