using System.Collections.Concurrent;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LfsS3Agent.S3;

/// <summary>
/// Builds one S3 client per set of options (one connection pool) from the resolved settings, shared by the store and
/// doctor's diagnostics; the store logs its retries, resumed bodies, fast failures and copies through this machine.
/// </summary>
public sealed class S3ObjectStoreFactory(ILogger? logger = null) : IObjectStoreFactory
{
    private readonly ConcurrentDictionary<S3Options, S3Connection> _connections = new();
    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    public IObjectStore Create(AgentSettings settings) => new S3ObjectStore(Connect(S3Options.From(settings)));

    public IStoreDiagnostics Diagnostics(AgentSettings settings) => new S3StoreDiagnostics(Connect(S3Options.From(settings)));

    /// <summary>The endpoint of the user's AWS profile, when no setting names one: a teammate without that profile needs it committed.</summary>
    public IReadOnlyDictionary<string, string> Implied(AgentSettings settings) =>
        settings.Endpoint is null && settings.FolderStore is null && S3Options.ProfileEndpoint(settings.Profile) is { } endpoint
            ? new Dictionary<string, string> { [SettingNames.Endpoint.GitKey] = endpoint }
            : new Dictionary<string, string>();

    public IReadOnlyList<StoreFact> Describe(AgentSettings settings)
    {
        var options = S3Options.From(settings);
        var profile = settings.Profile ?? "default";
        var endpointSource = settings.Find(SettingNames.Endpoint)?.Source
            ?? (options.Endpoint is null ? "default: AWS's endpoint for the region" : $"AWS profile \"{profile}\" endpoint_url");
        var regionSource = settings.Find(SettingNames.Region)?.Source
            ?? (S3Options.ProfileRegionOf(settings.Profile) is not null ? $"AWS profile \"{profile}\" region" : "default");
        string credentials;
        try
        {
            credentials = CredentialResolver.Resolve(options).Source;
        }
        catch (StoreException ex)
        {
            credentials = "none: " + ex.Message;
        }

        return
        [
            new("endpoint", options.Endpoint ?? $"https://s3.{options.Region}.amazonaws.com", endpointSource),
            new("region", options.Region, regionSource),
            new("path style", options.PathStyle ? "true" : "false",
                settings.Find(SettingNames.PathStyle)?.Source ?? (options.PathStyle ? "default with an endpoint" : "default")),
            new("profile", profile, settings.Find(SettingNames.Profile)?.Source ?? "default"),
            new("credentials", credentials, "the AWS credential chain (environment, profile, container, instance)"),
        ];
    }

    private S3Connection Connect(S3Options options) => _connections.GetOrAdd(options, o => Connect(o, _logger));

    private static S3Connection Connect(S3Options options, ILogger logger)
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
            // Timeouts on silence, not on duration: a black-holed endpoint fails an attempt after lfs-s3.timeout of
            // silence, while a large transfer that keeps moving is never cut (no whole-request timeout).
            HttpClientFactory = new SilenceTimeoutHttpClientFactory(options.Silence),
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
            return ((AmazonS3Client)new RetryLoggingS3Client(credentials, config, logger), source);
        });
        return new S3Connection(client, options, logger);
    }
}
