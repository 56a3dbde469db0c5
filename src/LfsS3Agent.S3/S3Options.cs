using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using LfsS3Agent.Core.Settings;

namespace LfsS3Agent.S3;

/// <summary>
/// Everything the S3 store needs, typed, built once from the resolved settings; the store factory and
/// doctor both use it, so doctor checks exactly the bucket, region and endpoint a push uses.
/// </summary>
public sealed record S3Options(
    string Bucket,
    string Region,
    string? Endpoint,
    bool PathStyle,
    string? Profile,
    string? ProfileSource,
    bool ChecksumWhenSupported,
    long MultipartThreshold,
    long PartSize,
    int ParallelParts,
    int MaxRetries,
    string InstanceMetadata,
    IReadOnlyDictionary<string, string> AwsVariables,
    string Prefix = "",
    string? Sse = null,
    string? KmsKeyId = null,
    TimeSpan? Timeout = null)
{
    /// <summary>How long one attempt may stay silent (<c>lfs-s3.timeout</c>).</summary>
    public TimeSpan Silence => Timeout ?? AgentSettings.DefaultTimeout;

    /// <summary>Where requests go, for messages.</summary>
    public string EndpointDescription => Endpoint ?? $"AWS region {Region}";

    public static S3Options From(AgentSettings settings)
    {
        // An endpoint_url in the user's AWS profile is where the AWS CLI sends this user; it is taken here, so that the
        // store treats it as any other endpoint (http:// included) and init can commit it for teammates without it.
        var endpoint = settings.Endpoint ?? ProfileEndpoint(settings.Profile);
        return new S3Options(
            settings.RequireBucket(),
            settings.Region ?? ProfileRegion(settings.Profile) ?? "us-east-1",
            endpoint,
            // Custom endpoints are mostly S3-compatible servers, which need path-style URLs.
            settings.GetBool(SettingNames.PathStyle) ?? endpoint is not null,
            settings.Profile,
            settings.Find(SettingNames.Profile)?.Source,
            settings.Checksum == "when_supported",
            settings.MultipartThreshold,
            settings.PartSize,
            settings.ParallelParts,
            settings.MaxRetries,
            settings.InstanceMetadata,
            settings.AwsVariables,
            settings.Prefix,
            settings.Sse,
            settings.SseKmsKeyId,
            settings.Timeout);
    }

    public string? Aws(string name) => AwsVariables.TryGetValue(name, out var value) && value.Length > 0 ? value : null;

    private static string? ProfileRegion(string? profile) => LoadProfile(profile)?.Region?.SystemName;

    /// <summary>The profile's <c>region</c>, or null.</summary>
    public static string? ProfileRegionOf(string? profile) => ProfileRegion(profile);

    /// <summary>The profile's <c>endpoint_url</c>, or null.</summary>
    public static string? ProfileEndpoint(string? profile) => LoadProfile(profile)?.EndpointUrl is { Length: > 0 } url ? url : null;

    private static CredentialProfile? LoadProfile(string? name)
    {
        try
        {
            return new CredentialProfileStoreChain().TryGetProfile(name ?? "default", out var p) ? p : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or AmazonClientException)
        {
            return null;
        }
    }
}
