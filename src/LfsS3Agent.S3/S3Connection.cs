using Amazon.S3;
using LfsS3Agent.Core.Storage;
using Microsoft.Extensions.Logging;

namespace LfsS3Agent.S3;

/// <summary>
/// One S3 client (one connection pool) for one set of options, resolved on first use, and the one way to call it:
/// every failure leaves as a <see cref="StoreException"/>, and an unreachable endpoint fails later calls at once.
/// Shared by the store and doctor's diagnostics of the same settings.
/// </summary>
internal sealed class S3Connection(Lazy<(AmazonS3Client Client, string CredentialSource)> client, S3Options options, ILogger logger)
{
    private static readonly TimeSpan UnreachableWindow = TimeSpan.FromSeconds(30);
    private Unreachable? _unreachable;

    public S3Options Options => options;

    public ILogger Logger => logger;

    /// <summary>Where the credentials came from; resolving them throws a <see cref="StoreException"/> when there are none.</summary>
    public string CredentialSource => client.Value.CredentialSource;

    public S3Target Target => new(options.Bucket, options.Region, options.Endpoint,
        client.IsValueCreated ? client.Value.CredentialSource : "credentials not resolved yet");

    public string Describe(string key) => $"s3://{options.Bucket}/{key}";

    /// <summary>
    /// Runs one SDK call. The SDK has already retried a failed request by the time it throws, so the error is
    /// final; and once the endpoint proved unreachable, later calls within a short window fail at once
    /// instead of each waiting through the SDK's retries again (a push of many files fails in seconds).
    /// </summary>
    public async Task<T> Call<T>(string? key, Func<AmazonS3Client, Task<T>> action)
    {
        if (Volatile.Read(ref _unreachable) is { } last && DateTime.UtcNow - last.At is var since && since < UnreachableWindow)
        {
            StoreLog.FastFail(logger, Describe(key ?? ""), since.TotalSeconds, last.Error.Message);
            throw last.Error;
        }

        try
        {
            return await action(client.Value.Client);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || ex is TaskCanceledException { InnerException: TimeoutException })
        {
            var error = S3Errors.Translate(ex, Target, key);
            if (error.InnerException is HttpRequestException or System.Net.Sockets.SocketException or IOException or TimeoutException or TaskCanceledException)
            {
                Volatile.Write(ref _unreachable, new Unreachable(DateTime.UtcNow, error));
            }

            throw error;
        }
    }

    /// <summary>The client itself, for a best-effort call outside <see cref="Call{T}"/> (aborting an upload after a failure).</summary>
    public AmazonS3Client Client => client.Value.Client;

    private sealed record Unreachable(DateTime At, StoreException Error);
}
