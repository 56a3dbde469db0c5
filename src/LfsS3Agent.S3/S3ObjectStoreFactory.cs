using Amazon;
using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.S3;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.S3;

/// <summary>Where requests go and on whose behalf, for messages (never the secret).</summary>
internal sealed record S3Target(string Bucket, string Region, string? Endpoint, string CredentialSource)
{
    public string EndpointDescription => Endpoint ?? $"AWS region {Region}";
}

/// <summary>Builds one S3 client per process (one connection pool) from the resolved settings.</summary>
public sealed class S3ObjectStoreFactory(IReadOnlyDictionary<string, string> environment) : IObjectStoreFactory
{
    public IObjectStore Create(AgentSettings settings)
    {
        var bucket = settings.RequireBucket();
        var endpoint = settings.Endpoint;
        var region = settings.Region ?? ProfileRegion(settings.Profile) ?? "us-east-1";
        var checksum = settings.Checksum == "when_supported";
        var config = new AmazonS3Config
        {
            // Custom endpoints are mostly S3-compatible servers, which need path-style URLs.
            ForcePathStyle = settings.GetBool(SettingNames.PathStyle) ?? endpoint is not null,
            MaxErrorRetry = settings.MaxRetries,
            RetryMode = RequestRetryMode.Standard,
            // The SDK's default streaming checksums (aws-chunked with a trailer) are refused by radosgw and
            // other S3-compatible servers; WHEN_REQUIRED works with them and with AWS alike.
            RequestChecksumCalculation = checksum ? RequestChecksumCalculation.WHEN_SUPPORTED : RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = checksum ? ResponseChecksumValidation.WHEN_SUPPORTED : ResponseChecksumValidation.WHEN_REQUIRED,
            Timeout = TimeSpan.FromMinutes(10),
        };
        if (endpoint is not null)
        {
            config.ServiceURL = endpoint;
            config.AuthenticationRegion = region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }

        // Credentials are resolved on first use, so an agent process that never transfers never looks.
        var target = new Lazy<(AmazonS3Client Client, S3Target Target)>(() =>
        {
            var (credentials, source) = CredentialResolver.Resolve(settings, environment);
            return (new AmazonS3Client(credentials, config), new S3Target(bucket, region, endpoint, source));
        });
        return new S3ObjectStore(target, new S3Target(bucket, region, endpoint, "not resolved yet"), settings);
    }

    private static string? ProfileRegion(string? profile)
    {
        try
        {
            return new CredentialProfileStoreChain().TryGetProfile(profile ?? "default", out var p) ? p.Region?.SystemName : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or AmazonClientException)
        {
            return null;
        }
    }
}
