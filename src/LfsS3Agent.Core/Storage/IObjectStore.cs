using LfsS3Agent.Core.Settings;

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

/// <summary>
/// The core storage contract: versioned objects under readable keys, and nothing else. What only some stores
/// can do (compressed writes, publishing, lock records, maintenance, links) is an optional capability,
/// asked for with <see cref="Capability{T}"/>.
/// </summary>
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

    /// <summary>Stores the file at <paramref name="key"/> with the OID in its metadata; returns the new version id from the write itself.</summary>
    Task<string> UploadAsync(string key, string filePath, long size, string oid, IProgressReporter progress, CancellationToken cancellationToken);

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
    /// An optional capability (<see cref="ICompressedWrites"/>, <see cref="IPublishTarget"/>, <see cref="ILockRecords"/>,
    /// <see cref="IStoreMaintenance"/>, <see cref="IStoreLinks"/>, <see cref="ICopySource"/>), or null when this store has none.
    /// </summary>
    T? Capability<T>()
        where T : class => this as T;
}

/// <summary>Builds the store for the resolved settings (cheap; network and credentials are touched on first use).</summary>
public interface IObjectStoreFactory
{
    IObjectStore Create(AgentSettings settings);

    /// <summary>Doctor's checks of the store those settings name (credentials, clock, the folder, the bucket's rules).</summary>
    IStoreDiagnostics Diagnostics(AgentSettings settings);

    /// <summary>
    /// Settings the store took from this user's own environment rather than from a setting (an AWS profile's endpoint):
    /// git key -> value, for init to commit so that teammates without that environment reach the same store.
    /// </summary>
    IReadOnlyDictionary<string, string> Implied(AgentSettings settings) => new Dictionary<string, string>();

    /// <summary>
    /// What the store makes of the settings, for <c>env</c> and doctor: the endpoint and region it uses, the AWS profile,
    /// where the credentials come from (never a secret), each with where it came from.
    /// </summary>
    IReadOnlyList<StoreFact> Describe(AgentSettings settings) => [];
}

/// <summary>One thing the store resolved from the settings (endpoint, region, credentials...), with where it came from.</summary>
public sealed record StoreFact(string Name, string Value, string Source);

/// <summary>A storage failure translated into words the user can act on, after the store's own retries.</summary>
public sealed class StoreException(int code, string message, Exception? inner = null) : LfsS3Exception(code, message, inner);
