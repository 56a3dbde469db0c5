namespace LfsS3Agent.Core.Storage;

/// <summary>Versions kept gzip-compressed and served as the original (S3's <c>Content-Encoding: gzip</c>, which browsers and CDNs undo).</summary>
public interface ICompressedWrites
{
    /// <summary>
    /// Stores a gzip file of the object (<paramref name="objectSize"/> bytes once inflated) at <paramref name="key"/>,
    /// marked as gzip-encoded, with the OID and original size in its metadata; returns the new version id.
    /// </summary>
    Task<string> UploadCompressedAsync(string key, string gzipPath, long storedSize, string oid, long objectSize, IProgressReporter progress,
        CancellationToken cancellationToken);
}

/// <summary>A store that <c>publish</c> can write a snapshot into: latest listing, copies, plain writes and delete markers.</summary>
public interface IPublishTarget
{
    /// <summary>
    /// The latest version of every key under <paramref name="prefix"/> ("" or ending in "/"), at any depth, with
    /// delete markers left out; the version id is "" where the store does not list it (read it as "the latest").
    /// </summary>
    Task<IReadOnlyList<StoredVersion>> ListLatestAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a copy of <paramref name="source"/>'s exact version at <paramref name="key"/>, with the OID in its
    /// metadata and the key's own content type; server-side (no bytes through this machine) where the source's
    /// <see cref="ICopySource"/> says where this store can read it, else through this machine.
    /// </summary>
    Task CopyFromAsync(IObjectStore source, string sourceKey, string sourceVersionId, long size, string key, string oid,
        CancellationToken cancellationToken);

    /// <summary>Writes a file as the key's latest version, whether or not the bucket keeps versions (publish targets).</summary>
    Task PutFileAsync(string key, string filePath, long size, string oid, CancellationToken cancellationToken);

    /// <summary>Hides a key: a delete marker where versions are kept, so older versions stay; never used under the repository's prefix.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);
}

/// <summary>Lock objects: exclusive records under lock keys (<c>lock</c>, <c>unlock</c>, <c>locks</c>, and pushes that check them).</summary>
public interface ILockRecords
{
    /// <summary>
    /// Takes the lock at <paramref name="key"/> with <paramref name="record"/> unless someone holds it; returns the holder
    /// (this record when taken). Exclusive: two callers can never both be returned their own record.
    /// </summary>
    Task<HeldLock> AcquireLockAsync(string key, byte[] record, CancellationToken cancellationToken);

    /// <summary>The holder of the lock at <paramref name="key"/>, or null when nobody holds it.</summary>
    Task<HeldLock?> ReadLockAsync(string key, CancellationToken cancellationToken);

    /// <summary>Releases exactly that holding (a later holder is never released by it).</summary>
    Task ReleaseLockAsync(HeldLock held, CancellationToken cancellationToken);

    /// <summary>Every held lock under <paramref name="folder"/> (ending in "/").</summary>
    Task<IReadOnlyList<HeldLock>> ListLocksAsync(string folder, CancellationToken cancellationToken);

    /// <summary>Writes a small object (a record, not user data), e.g. the note of a broken lock.</summary>
    Task PutBytesAsync(string key, byte[] content, CancellationToken cancellationToken);
}

/// <summary>What <c>usage</c> and <c>prune</c> need: every version, and the multipart uploads never finished.</summary>
public interface IStoreMaintenance
{
    /// <summary>Every version of every key under <paramref name="prefix"/> ("" or ending in "/"), delete markers left out: one paginated listing.</summary>
    Task<IReadOnlyList<StoredVersion>> ListAllVersionsAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Multipart uploads under the prefix that were never completed (they are billed until aborted); none for a folder store.</summary>
    Task<IReadOnlyList<UnfinishedUpload>> ListUnfinishedUploadsAsync(string prefix, CancellationToken cancellationToken);

    Task AbortUploadAsync(UnfinishedUpload upload, CancellationToken cancellationToken);
}

/// <summary>Links to one exact version that anyone who has them can open.</summary>
public interface IStoreLinks
{
    /// <summary>
    /// A link that serves exactly one version, with <paramref name="fileName"/> as the name a browser saves it
    /// under, to anyone who has it, for <paramref name="lifetime"/>: a presigned GET on S3, the file on a folder store.
    /// </summary>
    Task<string> LinkAsync(string key, string versionId, string fileName, bool download, TimeSpan lifetime, CancellationToken cancellationToken);
}

/// <summary>How a version is stored, where that differs from the object: its <c>Content-Encoding</c> and the object's size once decoded.</summary>
public sealed record StoredCoding(string ContentEncoding, long ObjectSize);

/// <summary>
/// Where a server-side copy can read a version: <paramref name="Scheme"/> names the kind of store (<c>s3</c>, <c>file</c>),
/// <paramref name="Container"/> its bucket or folder, and <paramref name="Path"/> the exact object (a key, or a version's file).
/// </summary>
public sealed record CopyLocation(string Scheme, string Container, string Path, string VersionId);

/// <summary>A version as stored, for a copy: where it can be read server-side (null: only through this machine), its stored length and coding.</summary>
public sealed record StoredCopy(CopyLocation? Location, long Length, StoredCoding? Coding);

/// <summary>A store whose versions other stores can copy: it says where they lie and hands out their stored bytes.</summary>
public interface ICopySource
{
    /// <summary>Where and how one version is stored (one request).</summary>
    Task<StoredCopy> StoredCopyAsync(string key, string versionId, CancellationToken cancellationToken);

    /// <summary>Writes the version's stored bytes (not inflated) to <paramref name="destination"/>, for a copy through this machine.</summary>
    Task ReadStoredAsync(string key, string versionId, Stream destination, CancellationToken cancellationToken);
}

/// <summary>Asking a store for a capability it may not have.</summary>
public static class StoreCapabilities
{
    /// <summary>The capability, or a <see cref="StoreException"/> saying plainly that this store cannot <paramref name="what"/>.</summary>
    public static T Require<T>(this IObjectStore store, string what)
        where T : class =>
        store.Capability<T>() ?? throw new StoreException(ErrorCodes.BadRequest, $"{store.Describe("")} cannot {what}");

    /// <summary>
    /// A copy through this machine: <paramref name="read"/> fills a temporary file, <paramref name="write"/> stores it
    /// (path and length); the file is removed afterwards.
    /// </summary>
    public static async Task<T> ThroughTempFileAsync<T>(Func<Stream, Task> read, Func<string, long, Task<T>> write)
    {
        var temp = Path.GetTempFileName();
        try
        {
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await read(file);
            }

            return await write(temp, new FileInfo(temp).Length);
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
