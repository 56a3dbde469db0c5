using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Transfer;

namespace LfsS3Agent.Core.Storage;

/// <summary>One stored version of a key; <paramref name="Modified"/> when the listing said when it was written.</summary>
public sealed record StoredVersion(string Key, string VersionId, long Size, bool IsLatest, DateTimeOffset? Modified = null);

/// <summary>A multipart upload that was started and never completed or aborted.</summary>
public sealed record UnfinishedUpload(string Key, string UploadId, DateTimeOffset Started);

/// <summary>A lock object: its key, the version (S3) or token (folder) that holds it, and the holder's record.</summary>
public sealed record HeldLock(string Key, string VersionId, byte[] Record);

/// <summary>Versioning state of a bucket, as S3 reports it.</summary>
public enum VersioningState
{
    Off,
    Enabled,
    Suspended,
}

/// <summary>The narrow storage interface: versioned objects under readable keys, and nothing else.</summary>
public interface IObjectStore
{
    /// <summary>A stable name of the bucket and endpoint, used to keep cache entries of different stores apart.</summary>
    string Id { get; }

    /// <summary>Human form of a key, e.g. <c>s3://bucket/key</c>.</summary>
    string Describe(string key);

    /// <summary>Checks the bucket exists and is reachable, and returns its versioning state.</summary>
    Task<VersioningState> GetVersioningAsync(CancellationToken cancellationToken);

    /// <summary>Why writing is refused when versioning is not enabled, and this store's way to enable it.</summary>
    string VersioningOffMessage(VersioningState state);

    /// <summary>What doctor checks for this kind of store (credentials, clock, the folder), run in this order.</summary>
    IReadOnlyList<StoreCheck> Checks { get; }

    /// <summary>What doctor checks of the bucket itself once it is known to exist and keep versions (lifecycle, encryption).</summary>
    IReadOnlyList<StoreCheck> BucketChecks { get; }

    /// <summary>Stores the file at <paramref name="key"/> with the OID in its metadata; returns the new version id from the write itself.</summary>
    Task<string> UploadAsync(string key, string filePath, long size, string oid, IProgressReporter progress, CancellationToken cancellationToken);

    /// <summary>
    /// Whether versions can be kept gzip-compressed and served as the original (S3's <c>Content-Encoding: gzip</c>,
    /// which browsers and CDNs undo); not a folder store, whose files are opened as they are.
    /// </summary>
    bool KeepsCompressed { get; }

    /// <summary>
    /// Stores a gzip file of the object (<paramref name="objectSize"/> bytes once inflated) at <paramref name="key"/>,
    /// marked as gzip-encoded, with the OID and original size in its metadata; returns the new version id.
    /// </summary>
    Task<string> UploadCompressedAsync(string key, string gzipPath, long storedSize, string oid, long objectSize, IProgressReporter progress,
        CancellationToken cancellationToken);

    /// <summary>
    /// Writes one exact version's bytes to <paramref name="destination"/>, in order (a version stored compressed is
    /// inflated: the bytes written are the object's). The store owns retries: a
    /// failed request or a body that breaks off is retried here (<c>lfs-s3.maxretries</c>), never by callers.
    /// </summary>
    Task DownloadAsync(string key, string versionId, Stream destination, IProgressReporter progress, CancellationToken cancellationToken);

    /// <summary>The versions of exactly this key (not of keys it prefixes), newest first.</summary>
    Task<IReadOnlyList<StoredVersion>> ListVersionsAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// The versions of the keys directly inside one folder (<paramref name="folder"/> is "" or ends in "/"),
    /// from a single listing request; null when the folder holds more than one listing page.
    /// </summary>
    Task<IReadOnlyList<StoredVersion>?> ListFolderVersionsAsync(string folder, CancellationToken cancellationToken);

    /// <summary>The OID recorded in that version's metadata ("" for the latest), or null when it has none; throws NotFound when the version is gone.</summary>
    Task<string?> GetOidAsync(string key, string versionId, CancellationToken cancellationToken);

    /// <summary>
    /// The OID in that version's metadata and, for a version stored compressed, the object's own size recorded with it
    /// (null otherwise); one request. Throws NotFound when the version is gone.
    /// </summary>
    async Task<(string? Oid, long? ObjectSize)> GetIdentityAsync(string key, string versionId, CancellationToken cancellationToken) =>
        (await GetOidAsync(key, versionId, cancellationToken), null);

    /// <summary>
    /// Makes an older version the key's latest again (a server-side copy onto the same key, OID metadata kept), so
    /// the browsable bucket shows the content of the pushed commit; returns the new version's id.
    /// </summary>
    Task<string> PromoteAsync(string key, string versionId, CancellationToken cancellationToken);

    /// <summary>Removes one version for good (doctor's probe object; never used on user data).</summary>
    Task DeleteVersionAsync(string key, string versionId, CancellationToken cancellationToken);

    /// <summary>
    /// A link that serves exactly one version, with <paramref name="fileName"/> as the name a browser saves it
    /// under, to anyone who has it, for <paramref name="lifetime"/>: a presigned GET on S3, the file on a folder store.
    /// </summary>
    Task<string> LinkAsync(string key, string versionId, string fileName, bool download, TimeSpan lifetime, CancellationToken cancellationToken);

    /// <summary>
    /// The latest version of every key under <paramref name="prefix"/> ("" or ending in "/"), at any depth, with
    /// delete markers left out; the version id is "" where the store does not list it (read it as "the latest").
    /// </summary>
    Task<IReadOnlyList<StoredVersion>> ListLatestAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>
    /// Writes a copy of <paramref name="source"/>'s exact version at <paramref name="key"/>, with the OID in its
    /// metadata and the key's own content type; server-side (no bytes through this machine) where the store can.
    /// </summary>
    Task CopyFromAsync(IObjectStore source, string sourceKey, string sourceVersionId, long size, string key, string oid,
        CancellationToken cancellationToken);

    /// <summary>Writes a file as the key's latest version, whether or not the bucket keeps versions (publish targets).</summary>
    Task PutFileAsync(string key, string filePath, long size, string oid, CancellationToken cancellationToken);

    /// <summary>Every version of every key under <paramref name="prefix"/> ("" or ending in "/"), delete markers left out: one paginated listing.</summary>
    Task<IReadOnlyList<StoredVersion>> ListAllVersionsAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Multipart uploads under the prefix that were never completed (they are billed until aborted); none for a folder store.</summary>
    Task<IReadOnlyList<UnfinishedUpload>> ListUnfinishedUploadsAsync(string prefix, CancellationToken cancellationToken);

    Task AbortUploadAsync(UnfinishedUpload upload, CancellationToken cancellationToken);

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

    /// <summary>Writes a small object (a record, not user data); returns its version id where the store keeps versions.</summary>
    Task PutBytesAsync(string key, byte[] content, CancellationToken cancellationToken);

    /// <summary>Hides a key: a delete marker where versions are kept, so older versions stay; never used under the repository's prefix.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);
}

/// <summary>Builds the store for the resolved settings (cheap; network and credentials are touched on first use).</summary>
public interface IObjectStoreFactory
{
    IObjectStore Create(AgentSettings settings);
}

/// <summary>A storage failure translated into words the user can act on, after the store's own retries.</summary>
public sealed class StoreException(int code, string message, Exception? inner = null) : LfsS3Exception(code, message, inner);

/// <summary>Outcome of one doctor check.</summary>
public enum CheckStatus
{
    Ok,
    Warn,
    Fail,
}

/// <summary>One line of doctor's report; <paramref name="Stop"/> when later checks cannot run after this failure.</summary>
public sealed record CheckResult(CheckStatus Status, string Detail, bool Stop = false)
{
    public static CheckResult Ok(string detail) => new(CheckStatus.Ok, detail);

    public static CheckResult Warn(string detail) => new(CheckStatus.Warn, detail);

    public static CheckResult Fail(string detail, bool stop = false) => new(CheckStatus.Fail, detail, stop);
}

/// <summary>A named doctor check that a store contributes.</summary>
public sealed record StoreCheck(string Name, Func<CancellationToken, Task<CheckResult>> RunAsync);
