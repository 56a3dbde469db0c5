using Amazon.S3.Model;
using LfsS3Agent.Core;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.S3;

/// <summary>The lock protocol on S3: lock records are versions of a lock key, and the oldest one holds the lock.</summary>
internal sealed partial class S3ObjectStore
{
    /// <summary>
    /// "The oldest version of the lock key holds the lock": write a version, list the key's versions, and if an older
    /// one exists, delete ours and report its holder. Why two clients can never both hold it: S3 orders a key's versions
    /// by when their writes completed, and a listing made after one's own write sees every version written before it
    /// (strong read-after-write consistency). If A's write came first and both saw their own as the oldest, B's listing,
    /// made after B's write and so after A's, must have shown A's version unless it was deleted; A deletes its version only
    /// when it is not the oldest (then A does not hold the lock) or when the lock is released or broken (then A no longer
    /// holds it). Conditional writes (If-None-Match) would be simpler, but radosgw ignores them on versioned buckets.
    /// A writer that dies between its write and its delete leaves a newer version behind: harmless until every older
    /// version is released, then it holds the lock under its record, and `locks` shows it for its owner to release.
    /// </summary>
    public async Task<HeldLock> AcquireLockAsync(string key, byte[] record, CancellationToken cancellationToken)
    {
        var request = RecordRequest(key, record);
        var mine = Versioned(key, (await Call(key, c => c.PutObjectAsync(request, cancellationToken))).VersionId);
        var versions = await ListVersionsAsync(key, cancellationToken);

        var oldest = versions.Count == 0 ? null : versions[^1];
        if (oldest is null || oldest.VersionId == mine)
        {
            return new HeldLock(key, mine, record);
        }

        await DeleteVersionAsync(key, mine, cancellationToken);
        return await ReadVersionAsync(key, oldest.VersionId, cancellationToken)
            ?? await ReadLockAsync(key, cancellationToken)
            ?? new HeldLock(key, oldest.VersionId, []);
    }

    public async Task<HeldLock?> ReadLockAsync(string key, CancellationToken cancellationToken)
    {
        var versions = await ListVersionsAsync(key, cancellationToken);
        return versions.Count == 0 ? null : await ReadVersionAsync(key, versions[^1].VersionId, cancellationToken);
    }

    /// <summary>One version's bytes, or null when it was deleted meanwhile (a release).</summary>
    private async Task<HeldLock?> ReadVersionAsync(string key, string versionId, CancellationToken cancellationToken)
    {
        try
        {
            using var buffer = new MemoryStream();
            await DownloadAsync(key, versionId, buffer, NoProgress.Instance, cancellationToken);
            return new HeldLock(key, versionId, buffer.ToArray());
        }
        catch (StoreException ex) when (ex.Code == ErrorCodes.NotFound)
        {
            return null;
        }
    }

    public Task ReleaseLockAsync(HeldLock held, CancellationToken cancellationToken) => DeleteVersionAsync(held.Key, held.VersionId, cancellationToken);

    public async Task<IReadOnlyList<HeldLock>> ListLocksAsync(string folder, CancellationToken cancellationToken)
    {
        var result = new List<HeldLock>();
        foreach (var key in (await ListAllVersionsAsync(folder, cancellationToken)).GroupBy(v => v.Key))
        {
            // Newest first within a key: the last is the oldest, the holder.
            if (await ReadVersionAsync(key.Key, key.Last().VersionId, cancellationToken) is { } held)
            {
                result.Add(held);
            }
        }

        return result;
    }

    public async Task PutBytesAsync(string key, byte[] content, CancellationToken cancellationToken)
    {
        var request = RecordRequest(key, content);
        await Call(key, c => c.PutObjectAsync(request, cancellationToken));
    }

    /// <summary>A small JSON record's write, encrypted like every other.</summary>
    private PutObjectRequest RecordRequest(string key, byte[] content)
    {
        var request = new PutObjectRequest
        {
            BucketName = Options.Bucket, Key = key, InputStream = new MemoryStream(content), ContentType = "application/json", UseChunkEncoding = false,
        };
        Encrypt(request);
        return request;
    }
}
