using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.S3;

/// <summary>Doctor's clock check: S3 refuses requests signed more than 15 minutes off its own time.</summary>
internal static class S3Clock
{
    public static async Task<CheckResult> CheckAsync(S3Options options, CancellationToken cancellationToken)
    {
        var url = options.Endpoint ?? $"https://s3.{options.Region}.amazonaws.com/";
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var before = DateTimeOffset.UtcNow;
            using var request = new HttpRequestMessage(HttpMethod.Head, url);
            using var response = await http.SendAsync(request, cancellationToken);
            var local = before + (DateTimeOffset.UtcNow - before) / 2;
            if (response.Headers.Date is not { } server)
            {
                return CheckResult.Warn($"{url} sent no Date header; cannot compare clocks");
            }

            var skew = (local - server).TotalSeconds;
            var text = $"this machine's clock is {Math.Abs(skew):0} s {(skew >= 0 ? "ahead of" : "behind")} S3's";
            return Math.Abs(skew) switch
            {
                > 15 * 60 => CheckResult.Fail($"{text}: S3 refuses requests more than 15 minutes off; fix the clock (enable NTP)"),
                > 5 * 60 => CheckResult.Warn($"{text}: fix the clock (enable NTP) before it reaches 15 minutes"),
                _ => CheckResult.Ok(text),
            };
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return CheckResult.Warn($"cannot reach {url} to compare clocks: {ex.Message}");
        }
    }
}
