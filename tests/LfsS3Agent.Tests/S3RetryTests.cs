using System.Security.Cryptography;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.S3;
using LfsS3Agent.Tests.Shared;
using Microsoft.Extensions.Logging;

namespace LfsS3Agent.Tests;

/// <summary>
/// The store is the one owner of retries: the SDK retries a request <c>lfs-s3.maxretries</c> times and a broken
/// download body is resumed as often. Driven through a fault-injecting HTTP endpoint that counts every attempt.
/// </summary>
public sealed class S3RetryTests
{
    internal static IObjectStore Store(string endpoint, int maxRetries, ILogger? logger = null, string? timeout = null)
    {
        var env = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = "AKIDRETRYTEST",
            ["AWS_SECRET_ACCESS_KEY"] = "retry-test-secret",
            ["AWS_EC2_METADATA_DISABLED"] = "true",
        };
        var git = new Dictionary<string, string> { ["lfs-s3.maxretries"] = maxRetries.ToString() };
        if (timeout is not null)
        {
            git["lfs-s3.timeout"] = timeout;
        }

        var repo = new Dictionary<string, string> { ["lfs-s3.bucket"] = "bucket", ["lfs-s3.endpoint"] = endpoint };
        return new S3ObjectStoreFactory(logger).Create(SettingsResolver.Resolve(env, git, repo));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task Upload_ServerAlwaysUnavailable_TriesOncePlusMaxRetriesThenSaysSo(int maxRetries)
    {
        using var proxy = new FaultProxy(null, _ => ProxyAction.Error(503, "ServiceUnavailable"));
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "payload");

        var ex = await Assert.ThrowsAsync<StoreException>(() =>
            Store(proxy.Url, maxRetries).UploadAsync("k/a.bin", file, 7, new string('a', 64), NoProgress.Instance, CancellationToken.None));

        Assert.Equal(ErrorCodes.Unavailable, ex.Code);
        Assert.Contains("S3 is unavailable for s3://bucket/k/a.bin (HTTP 503", ex.Message);
        Assert.Equal(maxRetries + 1, proxy.Requests.Count(r => r.Method == "PUT"));
        File.Delete(file);
    }

    [Fact]
    public async Task Download_BodyBreaksOff_ResumesWithARangeFromTheByteItReached()
    {
        var content = RandomNumberGenerator.GetBytes(100_000);
        const int half = 40_000;
        using var proxy = new FaultProxy(null, r => r.Headers.TryGetValue("Range", out var range)
            ? range == $"bytes={half}-"
                ? ProxyAction.Respond(206, [("Content-Range", $"bytes {half}-{content.Length - 1}/{content.Length}")], content[half..])
                : ProxyAction.Error(416, "InvalidRange")
            : ProxyAction.Respond(200, [], content[..half], contentLength: content.Length));
        using var received = new MemoryStream();

        await Store(proxy.Url, maxRetries: 1).DownloadAsync("k/a.bin", "v1", received, NoProgress.Instance, CancellationToken.None);

        Assert.Equal(content, received.ToArray());
        Assert.Equal(2, proxy.Requests.Count);
        Assert.All(proxy.Requests, r => Assert.Contains("versionId=v1", r.Target));
    }

    [Fact]
    public async Task Download_BodyAlwaysBreaks_GivesUpAfterMaxRetriesWithAClearMessage()
    {
        using var proxy = new FaultProxy(null, _ => ProxyAction.Respond(200, [], new byte[10], contentLength: 1000));

        var ex = await Assert.ThrowsAsync<StoreException>(() =>
            Store(proxy.Url, maxRetries: 2).DownloadAsync("k/a.bin", "v1", Stream.Null, NoProgress.Instance, CancellationToken.None));

        Assert.Equal(ErrorCodes.Unavailable, ex.Code);
        Assert.Contains("cannot reach the S3 endpoint", ex.Message);
        Assert.Equal(3, proxy.Requests.Count);
    }

    [Fact]
    public void VersioningOffMessage_CloudflareR2Endpoint_SaysR2CannotWork()
    {
        var message = Store("https://0123abcd.r2.cloudflarestorage.com", 0).VersioningOffMessage(VersioningState.Off);

        Assert.Contains("Cloudflare R2 has no object versioning", message);
    }

    [Fact]
    public async Task Versioning_ServiceDoesNotImplementIt_NotConfiguredNamingR2()
    {
        using var proxy = new FaultProxy(null, _ => ProxyAction.Error(501, "NotImplemented"));

        var ex = await Assert.ThrowsAsync<StoreException>(() => Store(proxy.Url, 0).GetVersioningAsync(CancellationToken.None));

        Assert.Equal(ErrorCodes.NotConfigured, ex.Code);
        Assert.Contains("needs one with object versioning", ex.Message);
    }

    [Fact]
    public async Task Upload_ServerUnavailable_LogsEachRetryWithWhatTheAttemptBeforeSaid()
    {
        using var proxy = new FaultProxy(null, _ => ProxyAction.Error(503, "ServiceUnavailable"));
        var log = new RecordingLogger();
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, "payload");

        await Assert.ThrowsAsync<StoreException>(() =>
            Store(proxy.Url, 2, log).UploadAsync("k/a.bin", file, 7, new string('a', 64), NoProgress.Instance, CancellationToken.None));

        var retries = log.Events.Where(e => e.Id == 40).ToList();
        Assert.Equal(2, retries.Count);
        Assert.Contains("attempt 3 of 3", retries[1].Message);
        File.Delete(file);
    }

    [Fact]
    public async Task Download_BodyBreaksOff_LogsTheResume()
    {
        var content = RandomNumberGenerator.GetBytes(1000);
        using var proxy = new FaultProxy(null, r => r.Headers.ContainsKey("Range")
            ? ProxyAction.Respond(206, [("Content-Range", $"bytes 400-999/1000")], content[400..])
            : ProxyAction.Respond(200, [], content[..400], contentLength: content.Length));
        var log = new RecordingLogger();

        await Store(proxy.Url, 1, log).DownloadAsync("k/a.bin", "v1", Stream.Null, NoProgress.Instance, CancellationToken.None);

        var resumed = Assert.Single(log.Events, e => e.Id == 41);
        Assert.Contains("at byte 400", resumed.Message);
    }

    [Fact]
    public async Task Call_EndpointUnreachable_NextCallFailsFastAndLogsIt()
    {
        var log = new RecordingLogger();
        var store = Store("http://127.0.0.1:9", 0, log);

        await Assert.ThrowsAsync<StoreException>(() => store.GetOidAsync("k/a.bin", "v1", CancellationToken.None));
        await Assert.ThrowsAsync<StoreException>(() => store.GetOidAsync("k/b.bin", "v1", CancellationToken.None));

        Assert.Single(log.Events, e => e.Id == 42);
    }

    private sealed class RecordingLogger : ILogger
    {
        private readonly List<(int Id, string Message)> _events = [];

        public IReadOnlyList<(int Id, string Message)> Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_events)
            {
                _events.Add((eventId.Id, formatter(state, exception)));
            }
        }
    }
}
