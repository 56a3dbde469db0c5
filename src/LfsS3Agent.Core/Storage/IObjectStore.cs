using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Transfer;

namespace LfsS3Agent.Core.Storage;

/// <summary>One stored version of a key.</summary>
public sealed record StoredVersion(string Key, string VersionId, long Size, bool IsLatest);

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

    /// <summary>Stores the file at <paramref name="key"/> with the OID in its metadata; returns the new version id from the write itself.</summary>
    Task<string> UploadAsync(string key, string filePath, long size, string oid, IProgressReporter progress, CancellationToken cancellationToken);

    /// <summary>Writes one exact version's bytes to <paramref name="destination"/>, in order.</summary>
    Task DownloadAsync(string key, string versionId, Stream destination, IProgressReporter progress, CancellationToken cancellationToken);

    /// <summary>The versions of exactly this key (not of keys it prefixes), newest first.</summary>
    Task<IReadOnlyList<StoredVersion>> ListVersionsAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// The versions of the keys directly inside one folder (<paramref name="folder"/> is "" or ends in "/"),
    /// from a single listing request; null when the folder holds more than one listing page.
    /// </summary>
    Task<IReadOnlyList<StoredVersion>?> ListFolderVersionsAsync(string folder, CancellationToken cancellationToken);

    /// <summary>The OID recorded in that version's metadata, or null when it has none; throws NotFound when the version is gone.</summary>
    Task<string?> GetOidAsync(string key, string versionId, CancellationToken cancellationToken);

    /// <summary>Removes one version for good (doctor's probe object; never used on user data).</summary>
    Task DeleteVersionAsync(string key, string versionId, CancellationToken cancellationToken);
}

/// <summary>Builds the store for the resolved settings (cheap; network and credentials are touched on first use).</summary>
public interface IObjectStoreFactory
{
    IObjectStore Create(AgentSettings settings);
}

/// <summary>A storage failure translated into words the user can act on; transient ones are retried.</summary>
public sealed class StoreException(int code, string message, bool transient = false, Exception? inner = null)
    : TransferException(code, message, inner)
{
    public bool Transient { get; } = transient;
}

/// <summary>Messages about the bucket that several commands give.</summary>
public static class StoreMessages
{
    public static string VersioningOff(string bucket, string? endpoint, VersioningState state) =>
        $"bucket \"{bucket}\" has versioning {(state == VersioningState.Suspended ? "suspended" : "off")}, so edited files would overwrite "
        + "their old versions and old commits could not be checked out; enable it with `aws s3api put-bucket-versioning "
        + $"--bucket {bucket} --versioning-configuration Status=Enabled{(endpoint is null ? "" : " --endpoint-url " + endpoint)}`";
}

/// <summary>A store that signs requests says where its credentials come from (for doctor; never the secret).</summary>
public interface ICredentialSource
{
    /// <summary>Resolves the credentials now; throws a <see cref="StoreException"/> that says how to provide them.</summary>
    string DescribeCredentials();
}
