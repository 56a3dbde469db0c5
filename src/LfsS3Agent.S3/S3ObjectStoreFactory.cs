using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.S3;

/// <summary>Builds one S3 client per process (one connection pool) from the resolved settings.</summary>
public sealed class S3ObjectStoreFactory : IObjectStoreFactory
{
    public IObjectStore Create(AgentSettings settings) => Create(S3Options.From(settings));

    public static IObjectStore Create(S3Options options)
    {
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.PathStyle,
            // The store's one retry policy: the SDK retries a failed request this many times, the store
            // resumes a broken download body as often (see S3ObjectStore.DownloadAsync).
            MaxErrorRetry = options.MaxRetries,
            RetryMode = RequestRetryMode.Standard,
            // The SDK's default streaming checksums (aws-chunked with a trailer) are refused by radosgw and
            // other S3-compatible servers; WHEN_REQUIRED works with them and with AWS alike.
            RequestChecksumCalculation = options.ChecksumWhenSupported ? RequestChecksumCalculation.WHEN_SUPPORTED : RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = options.ChecksumWhenSupported ? ResponseChecksumValidation.WHEN_SUPPORTED : ResponseChecksumValidation.WHEN_REQUIRED,
            Timeout = TimeSpan.FromMinutes(10),
        };
        if (options.Endpoint is not null)
        {
            config.ServiceURL = options.Endpoint;
            config.AuthenticationRegion = options.Region;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
        }

        // Credentials are resolved on first use, so an agent process that never transfers never looks.
        var client = new Lazy<(AmazonS3Client Client, string CredentialSource)>(() =>
        {
            var (credentials, source) = CredentialResolver.Resolve(options);
            return (new AmazonS3Client(credentials, config), source);
        });
        return new S3ObjectStore(client, options);
    }
}
