namespace LfsS3Agent.Core.Objects;

/// <summary>
/// Where a repository's objects live in the store: <c>&lt;prefix&gt;/&lt;path in the repository&gt;</c>, and
/// under <c>&lt;prefix&gt;/.git/</c> what is not a user file (objects with no known path, doctor's probe):
/// git never tracks a path with a <c>.git</c> component, so no user file can have those keys.
/// </summary>
public sealed class KeyLayout(string prefix)
{
    public const string OrphanFolder = ".git/lfs/objects";

    /// <summary>Where file locks live (git lfs-s3 lock), one object per path.</summary>
    public const string LocksFolder = ".git/lfs-s3/locks";

    /// <summary>
    /// Where every repository leaves its marker (<c>init</c>, and its first push): one key per repository,
    /// <c>&lt;fingerprint&gt;.json</c>, so two repositories at one prefix both see each other. Prune and publish leave
    /// alone whatever lies under another repository's marker.
    /// </summary>
    public const string MarkerFolder = ".git/lfs-s3/repositories";

    /// <summary>Key prefix without leading or trailing slashes ("" for the bucket root).</summary>
    public string Prefix { get; } = prefix.Trim('/');

    /// <summary>The readable key of a file.</summary>
    public string KeyFor(string repositoryPath) => Prefix.Length == 0 ? repositoryPath : Prefix + "/" + repositoryPath;

    /// <summary>The repository path a key is the readable key of; null for keys outside the prefix and the tool's own under <c>.git/</c>.</summary>
    public string? PathOf(string key)
    {
        var path = Prefix.Length == 0 ? key : Contains(key) ? key[(Prefix.Length + 1)..] : null;
        return path is null || path.StartsWith(".git/", StringComparison.Ordinal) ? null : path;
    }

    /// <summary>S3's limit on a key, in UTF-8 bytes.</summary>
    public const int MaxKeyBytes = 1024;

    /// <summary>
    /// Whether a path can be a key: within S3's length limit, and valid UTF-8 (git hands us names as bytes; invalid
    /// ones arrive as U+FFFD, which would make different files share one key).
    /// </summary>
    public bool CanBeKey(string repositoryPath) =>
        !repositoryPath.Contains('\uFFFD') && System.Text.Encoding.UTF8.GetByteCount(KeyFor(repositoryPath)) <= MaxKeyBytes;

    /// <summary>Whether the key lies under this repository's prefix (a mapping entry may name any key of the bucket).</summary>
    public bool Contains(string key) => Prefix.Length == 0 || key.StartsWith(Prefix + "/", StringComparison.Ordinal);

    public string OrphanKey(string oid) => KeyFor($"{OrphanFolder}/{oid[..2]}/{oid[2..4]}/{oid}");

    /// <summary>The folder of the markers at this prefix (ending in "/").</summary>
    public string MarkerFolderKey => KeyFor(MarkerFolder + "/");

    /// <summary>The marker of the repository with this fingerprint at this prefix.</summary>
    public string MarkerKey(string fingerprint) => KeyFor($"{MarkerFolder}/{fingerprint}.json");

    /// <summary>The prefix and fingerprint a marker key names, or null when the key is no marker.</summary>
    public static (string Prefix, string Fingerprint)? ParseMarker(string key)
    {
        const string folder = MarkerFolder + "/";
        var start = key.StartsWith(folder, StringComparison.Ordinal) ? 0 : key.LastIndexOf("/" + folder, StringComparison.Ordinal) + 1;
        if (start == 0 && !key.StartsWith(folder, StringComparison.Ordinal))
        {
            return null;
        }

        var name = key[(start + folder.Length)..];
        return name.Length > 5 && !name.Contains('/') && name.EndsWith(".json", StringComparison.Ordinal)
            ? (start == 0 ? "" : key[..(start - 1)], name[..^5])
            : null;
    }

    public string ProbeKey(string name) => KeyFor(".git/lfs-s3-doctor/" + name);

    /// <summary>Every key an object may be stored under: each of its paths' keys, in order, then the orphan key.</summary>
    public IEnumerable<string> CandidateKeys(IEnumerable<string> paths, string oid) =>
        paths.Select(KeyFor).Append(OrphanKey(oid)).Distinct(StringComparer.Ordinal);
}
