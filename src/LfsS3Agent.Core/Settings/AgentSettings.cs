using System.Globalization;

namespace LfsS3Agent.Core.Settings;

/// <summary>A resolved value and where it came from (for doctor and error messages; never a secret).</summary>
public sealed record SettingValue(string Value, string Source);

/// <summary>The settings of one process, resolved once: environment, git config, committed .lfs-s3/config, defaults.</summary>
public sealed class AgentSettings
{
    public const long DefaultMultipartThreshold = 256L << 20;
    public const long DefaultPartSize = 64L << 20;
    public const int DefaultParallelParts = 4;
    public const int DefaultMaxRetries = 3;
    public const int DefaultParallelism = 8;

    private readonly IReadOnlyDictionary<string, SettingValue> _values;

    public AgentSettings(IReadOnlyDictionary<string, SettingValue> values, IReadOnlyDictionary<string, string>? awsVariables = null)
    {
        _values = values;
        AwsVariables = awsVariables ?? new Dictionary<string, string>();
    }

    /// <summary>The standard <c>AWS_*</c> variables (credentials and the like) for the S3 store's credential chain.</summary>
    public IReadOnlyDictionary<string, string> AwsVariables { get; }

    /// <summary>The same settings with one value replaced (publish's other bucket or folder).</summary>
    public AgentSettings With(SettingName name, string value, string source) =>
        new(new Dictionary<string, SettingValue>(_values) { [name.GitKey] = new SettingValue(value, source) }, AwsVariables);

    public SettingValue? Find(SettingName name) => _values.GetValueOrDefault(name.GitKey);

    public string? Get(SettingName name) => Find(name)?.Value is { Length: > 0 } v ? v : null;

    public string? Bucket => Get(SettingNames.Bucket);

    /// <summary>The folder of a <c>file://</c> store, or null for S3.</summary>
    public string? FolderStore
    {
        get
        {
            var store = Get(SettingNames.Store);
            if (store is null || store.Equals("s3", StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            if (Uri.TryCreate(store, UriKind.Absolute, out var uri) && uri.IsFile && Path.IsPathRooted(uri.LocalPath))
            {
                return uri.LocalPath;
            }

            throw Invalid(SettingNames.Store, store, "s3 or an absolute file:///path");
        }
    }

    /// <summary>Fails, saying how to set one, unless a bucket or a folder store is configured.</summary>
    public void RequireStore()
    {
        if (FolderStore is null)
        {
            RequireBucket();
        }
    }

    /// <summary>Where objects go, for messages: s3://bucket or file:///path.</summary>
    public string StoreDescription => FolderStore is { } folder ? new Uri(folder).AbsoluteUri : $"s3://{Bucket}";

    /// <summary>Key prefix without leading or trailing slashes ("" for the bucket root).</summary>
    public string Prefix => (Get(SettingNames.Prefix) ?? "").Trim('/');

    public string? Region => Get(SettingNames.Region);

    public string? Endpoint => Get(SettingNames.Endpoint);

    public bool PathStyle => GetBool(SettingNames.PathStyle) ?? false;

    public string? Profile => Get(SettingNames.Profile);

    public string Checksum => (Get(SettingNames.Checksum) ?? "when_required").ToLowerInvariant() switch
    {
        "when_required" or "when-required" or "required" => "when_required",
        "when_supported" or "when-supported" or "supported" => "when_supported",
        var other => throw Invalid(SettingNames.Checksum, other, "when_required or when_supported"),
    };

    public long MultipartThreshold => GetSize(SettingNames.MultipartThreshold) ?? DefaultMultipartThreshold;

    public long PartSize => GetSize(SettingNames.PartSize) is { } p ? Math.Max(p, 5L << 20) : DefaultPartSize;

    public int ParallelParts => Math.Clamp(GetInt(SettingNames.ParallelParts) ?? DefaultParallelParts, 1, 64);

    /// <summary>Objects located, checked or published at once by the verbs that walk many objects.</summary>
    /// <summary>The mapping branch's name, refused when git could not take it as a branch.</summary>
    public string MappingBranch => Get(SettingNames.MappingBranch) is { Length: > 0 } name
        ? IsBranchName(name) ? name : throw new LfsS3Exception(ErrorCodes.NotConfigured,
            $"{SettingNames.MappingBranch.GitKey} \"{name}\" ({Find(SettingNames.MappingBranch)!.Source}) is not a branch name; use letters, digits, '-', '_', '.' and '/'")
        : DefaultMappingBranch;

    public const string DefaultMappingBranch = "lfs-s3";

    private static bool IsBranchName(string name) =>
        name.Length <= 100 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/')
        && !name.StartsWith('-') && !name.StartsWith('/') && !name.EndsWith('/') && !name.EndsWith(".lock", StringComparison.Ordinal)
        && !name.Contains("..", StringComparison.Ordinal) && !name.Contains("//", StringComparison.Ordinal) && !name.StartsWith('.');

    public int Parallelism => Math.Clamp(GetInt(SettingNames.Parallelism) ?? DefaultParallelism, 1, 64);

    public int MaxRetries => Math.Clamp(GetInt(SettingNames.MaxRetries) ?? DefaultMaxRetries, 0, 20);

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long S3 may stay silent within one attempt: 30s, 2m, or seconds; a timeout on silence, never on duration.</summary>
    public TimeSpan Timeout => Get(SettingNames.Timeout) is { } v
        ? ParseDuration(v) is { } t && t > TimeSpan.Zero ? t : throw Invalid(SettingNames.Timeout, v, "a duration such as 30s, 2m or 45")
        : DefaultTimeout;

    private static TimeSpan? ParseDuration(string text)
    {
        var s = text.Trim().ToLowerInvariant();
        var (number, unit) = s.EndsWith("ms", StringComparison.Ordinal) ? (s[..^2], 0.001)
            : s.EndsWith('s') ? (s[..^1], 1.0)
            : s.EndsWith('m') ? (s[..^1], 60.0)
            : (s, 1.0);
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n is > 0 and < 86400
            ? TimeSpan.FromSeconds(n * unit)
            : null;
    }

    public string InstanceMetadata => (Get(SettingNames.InstanceMetadata) ?? "auto").ToLowerInvariant();

    public string? LogFile => Get(SettingNames.LogFile);

    /// <summary>Whether claims (mapping, cache) may name keys outside the prefix; a personal choice, never a commit's.</summary>
    public bool AllowOtherPrefixes => GetBool(SettingNames.AllowOtherPrefixes) ?? false;

    /// <summary>git-lfs's <c>lfs.storage</c>, which moves its object store (and temp folder) out of the git directory.</summary>
    public const string LfsStorageKey = "lfs.storage";

    public string? LfsStorage => _values.GetValueOrDefault(LfsStorageKey)?.Value is { Length: > 0 } v ? v : null;

    /// <summary>git-lfs's <c>lfs.concurrenttransfers</c>: how many agent processes it starts (its default is 8).</summary>
    public const string ConcurrentTransfersKey = "lfs.concurrenttransfers";

    /// <summary>Whether some git config (system, global, local) sets <see cref="ConcurrentTransfersKey"/>.</summary>
    public bool ConcurrentTransfersSet => _values.ContainsKey(ConcurrentTransfersKey);

    /// <summary>The git config key that marks the clone's pinned LFS URL (written by this tool into .git/config).</summary>
    public const string PinnedLfsUrlKey = "lfs-s3.pinnedlfsurl";

    /// <summary>Whether git config holds a pinned LFS URL, so the agent need not ask git again.</summary>
    public bool LfsUrlPinned => _values.ContainsKey(PinnedLfsUrlKey);

    public string? LogLevel => Get(SettingNames.LogLevel);

    /// <summary>Server-side encryption for writes: "AES256", "aws:kms", or null for the bucket's default.</summary>
    public string? Sse => Get(SettingNames.Sse)?.ToLowerInvariant() switch
    {
        null => SseKmsKeyId is null ? null : "aws:kms",
        "aes256" => "AES256",
        "aws:kms" or "kms" => "aws:kms",
        _ => throw Invalid(SettingNames.Sse, Get(SettingNames.Sse)!, "AES256 or aws:kms"),
    };

    public string? SseKmsKeyId => Get(SettingNames.SseKmsKeyId);

    /// <summary>lfs-s3.compress as words: file patterns and/or "auto"; empty when nothing is compressed.</summary>
    public IReadOnlyList<string> Compress => Get(SettingNames.Compress) is { } v
        && v.ToLowerInvariant() is not ("none" or "false" or "off" or "no" or "0")
        ? v.Split([' ', ',', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        : [];

    public const double DefaultCompressMinSaving = 0.10;

    /// <summary>The share of a file's size compression must save ("10%" or "0.1") for the compressed form to be kept.</summary>
    public double CompressMinSaving => Get(SettingNames.CompressMinSaving) is { } v
        ? double.TryParse(v.TrimEnd('%'), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
          && (v.EndsWith('%') ? d / 100 : d) is >= 0 and < 1 and var share ? share
            : throw Invalid(SettingNames.CompressMinSaving, v, "a share such as 10% or 0.1")
        : DefaultCompressMinSaving;

    /// <summary>S3 Standard's published list price per GB-month (us-east-1, first 50 TB), the default of usage's estimate.</summary>
    public const decimal DefaultPricePerGb = 0.023m;

    public decimal PricePerGb => Get(SettingNames.PricePerGb) is { } v
        ? decimal.TryParse(v, NumberStyles.Number, CultureInfo.InvariantCulture, out var price) && price >= 0 ? price
            : throw Invalid(SettingNames.PricePerGb, v, "a price such as 0.023")
        : DefaultPricePerGb;

    /// <summary>The bucket, or an error that says how to set it.</summary>
    public string RequireBucket() => Bucket ?? throw new LfsS3Exception(ErrorCodes.NotConfigured,
        "this repository is not set up for git-lfs-s3: run `git lfs-s3 init --bucket <bucket>` (or `--store file:///path`) "
        + "and commit .lfs-s3/ (or set lfs-s3.bucket in git config or LFS_S3_BUCKET)");

    public bool? GetBool(SettingName name) => Get(name)?.ToLowerInvariant() switch
    {
        null => null,
        "true" or "yes" or "on" or "1" => true,
        "false" or "no" or "off" or "0" => false,
        var other => throw Invalid(name, other, "true or false"),
    };

    private int? GetInt(SettingName name) => Get(name) is { } v
        ? int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : throw Invalid(name, v, "a whole number")
        : null;

    private long? GetSize(SettingName name) => Get(name) is { } v
        ? ParseSize(v) ?? throw Invalid(name, v, "a size such as 64MiB, 8M or 1048576")
        : null;

    /// <summary>Parses 1048576, 64k, 64KiB, 8M, 8MB, 1G (binary units throughout).</summary>
    public static long? ParseSize(string text)
    {
        var s = text.Trim().ToLowerInvariant();
        var digits = 0;
        while (digits < s.Length && char.IsAsciiDigit(s[digits]))
        {
            digits++;
        }

        if (digits == 0 || !long.TryParse(s.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return null;
        }

        int shift = s[digits..].Trim() switch
        {
            "" or "b" => 0,
            "k" or "kb" or "kib" => 10,
            "m" or "mb" or "mib" => 20,
            "g" or "gb" or "gib" => 30,
            _ => -1,
        };
        return shift < 0 ? null : number << shift;
    }

    private LfsS3Exception Invalid(SettingName name, string value, string expected) =>
        new(ErrorCodes.NotConfigured,
            $"setting {name.GitKey} = \"{value}\" (from {Find(name)?.Source}) is invalid: expected {expected}");
}
