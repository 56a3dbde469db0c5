namespace LfsS3Agent.Core.Settings;

/// <summary>One setting: its git config key (also the key in the committed <c>.lfs-s3/config</c>) and its environment variable.</summary>
public sealed record SettingName(string GitKey, string EnvVar, bool AllowedInRepo, string Description);

/// <summary>Every setting the tool reads; the README lists the same table.</summary>
public static class SettingNames
{
    public static readonly SettingName Store = new("lfs-s3.store", "LFS_S3_STORE", true, "s3 (default) or file:///path for a local or shared folder with the same layout and version history");
    public static readonly SettingName Bucket = new("lfs-s3.bucket", "LFS_S3_BUCKET", true, "S3 bucket (versioning enabled; no default: init sets it)");
    public static readonly SettingName Prefix = new("lfs-s3.prefix", "LFS_S3_PREFIX", true, "key prefix; files go to <prefix>/<path in repo> (default: the bucket root)");
    public static readonly SettingName Region = new("lfs-s3.region", "LFS_S3_REGION", true, "AWS region (else AWS_REGION, the profile's, us-east-1)");
    public static readonly SettingName Endpoint = new("lfs-s3.endpoint", "LFS_S3_ENDPOINT", true, "S3-compatible endpoint URL (else AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL)");
    public static readonly SettingName PathStyle = new("lfs-s3.pathstyle", "LFS_S3_PATH_STYLE", true, "true: path-style URLs (most S3-compatible servers; default: true with an endpoint, else false)");
    public static readonly SettingName Profile = new("lfs-s3.profile", "LFS_S3_PROFILE", false, "AWS profile for credentials (else AWS_PROFILE, default)");
    public static readonly SettingName Checksum = new("lfs-s3.checksum", "LFS_S3_CHECKSUM", true, "request checksums: when_required (default; works with AWS and radosgw) or when_supported");
    public static readonly SettingName MultipartThreshold = new("lfs-s3.multipartthreshold", "LFS_S3_MULTIPART_THRESHOLD", true, "files above this size use multipart upload (default 256MiB)");
    public static readonly SettingName PartSize = new("lfs-s3.partsize", "LFS_S3_PART_SIZE", true, "multipart part size (default 64MiB; raised for files above 640 GB)");
    public static readonly SettingName ParallelParts = new("lfs-s3.parallelparts", "LFS_S3_PARALLEL_PARTS", true, "parts uploaded or downloaded at once per object (default 4)");
    public static readonly SettingName MaxRetries = new("lfs-s3.maxretries", "LFS_S3_MAX_RETRIES", true, "retries of a failed S3 request (default 3)");
    public static readonly SettingName Timeout = new("lfs-s3.timeout", "LFS_S3_TIMEOUT", true, "how long S3 may stay silent (no connection, no byte sent or received) before a request attempt is given up (default 30s: with the retries, an endpoint that swallows requests fails in about 2 minutes; a slow transfer that keeps moving is never cut)");
    public static readonly SettingName InstanceMetadata = new("lfs-s3.instancemetadata", "LFS_S3_INSTANCE_METADATA", false, "auto (default: only on EC2), true or false: ask the EC2 metadata service for credentials");
    public static readonly SettingName LogFile = new("lfs-s3.logfile", "LFS_S3_LOG_FILE", false, "also append logs to this file (default: none)");
    public static readonly SettingName AllowOtherPrefixes = new("lfs-s3.allowotherprefixes", "LFS_S3_ALLOW_OTHER_PREFIXES", false, "true: follow mapping entries whose key lies outside this repository's prefix (default false: ignored)");
    public static readonly SettingName LogLevel = new("lfs-s3.loglevel", "LFS_S3_LOG_LEVEL", false, "trace, debug, information (default), warning, error");
    public static readonly SettingName Sse = new("lfs-s3.sse", "LFS_S3_SSE", true, "server-side encryption of every write: AES256 or aws:kms (default: the bucket's own default)");
    public static readonly SettingName SseKmsKeyId = new("lfs-s3.ssekmskeyid", "LFS_S3_SSE_KMS_KEY_ID", true, "KMS key id, ARN or alias for aws:kms (default: the account's aws/s3 key)");
    public static readonly SettingName Compress = new("lfs-s3.compress", "LFS_S3_COMPRESS", true, "store these files gzip-compressed (Content-Encoding: gzip): patterns such as *.csv *.json, auto (any file whose sample shrinks enough), or both (default: none)");
    public static readonly SettingName CompressMinSaving = new("lfs-s3.compressminsaving", "LFS_S3_COMPRESS_MIN_SAVING", true, "keep a file compressed only when that saves at least this share of its size (default 10%)");
    public static readonly SettingName MappingBranch = new("lfs-s3.mappingbranch", "LFS_S3_MAPPING_BRANCH", true, "the branch of the git remote that holds the mapping, written by every push (default lfs-s3)");
    public static readonly SettingName Parallelism = new("lfs-s3.parallelism", "LFS_S3_PARALLELISM", true, "objects located, checked or published at once by verify, rebuild, usage, prune and publish (default 8)");
    public static readonly SettingName PricePerGb = new("lfs-s3.pricepergb", "LFS_S3_PRICE_PER_GB", true, "storage price per GB-month for usage's estimate (default 0.023, S3 Standard's list price in us-east-1)");

    public static readonly IReadOnlyList<SettingName> All =
    [
        Store, Bucket, Prefix, Region, Endpoint, PathStyle, Profile, Checksum, MultipartThreshold, PartSize, ParallelParts,
        MaxRetries, Timeout, InstanceMetadata, AllowOtherPrefixes, LogFile, LogLevel, PricePerGb, Sse, SseKmsKeyId,
        Compress, CompressMinSaving, Parallelism, MappingBranch,
    ];

    /// <summary>Folder at the repository root that holds the committed settings and mapping.</summary>
    public const string RepoDir = ".lfs-s3";

    /// <summary>Committed settings, in git config format, relative to the repository root.</summary>
    public const string RepoConfigFile = ".lfs-s3/config";

    /// <summary>
    /// Where releases before the mapping branch committed the mapping in the user's branches: one shard per first two hex
    /// digits of the OID, relative to the root. Still read as hints; nothing writes it any more.
    /// </summary>
    public const string MappingFolder = ".lfs-s3/mapping";

    /// <summary>The single mapping file of repositories set up before shards; still read as hints.</summary>
    public const string LegacyMappingFile = ".lfs-s3/mapping.tsv";

    public static string MappingShard(string oid) => $"{MappingFolder}/{oid[..2]}.tsv";
}
