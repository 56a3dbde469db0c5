using System.Collections.Concurrent;
using LfsS3Agent.Tests.Shared;

namespace LfsS3Agent.IntegrationTests;

/// <summary>
/// Retries happen in one place (the store), exactly as often as <c>lfs-s3.maxretries</c> says: a real push through
/// a proxy in front of radosgw that answers some uploads with 503 and counts every attempt.
/// </summary>
public sealed class RetryTests
{
    private static string Write(Sandbox box, string work, int files)
    {
        for (var i = 0; i < files; i++)
        {
            Sandbox.WriteRandom(work, $"assets/f{i}.bin", 5000 + i, 70 + i);
        }

        box.CommitAll(work, "assets");
        return work;
    }

    private static Dictionary<string, int> PutsPerObject(FaultProxy proxy) =>
        proxy.Requests.Where(r => r.Method == "PUT" && r.Path.EndsWith(".bin", StringComparison.Ordinal))
            .GroupBy(r => r.Path).ToDictionary(g => g.Key, g => g.Count());

    [Fact]
    public async Task Push_EachUploadFailsTwice_MaxRetriesTwoRecoversAndClonesBack()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        var failures = new ConcurrentDictionary<string, int>();
        using var proxy = new FaultProxy(TestEnvironment.Endpoint, r =>
            r.Method == "PUT" && r.Path.EndsWith(".bin", StringComparison.Ordinal) && failures.AddOrUpdate(r.Path, 1, (_, n) => n + 1) <= 2
                ? ProxyAction.Error(503, "ServiceUnavailable")
                : ProxyAction.Forward);
        using var box = new Sandbox();
        var work = Write(box, box.CreateRepository(bucket, initExtra: ["--endpoint", proxy.Url]), files: 3);
        box.Git(work, "config", "lfs-s3.maxretries", "2").AssertOk();

        box.Git(work, "push", "-q", "origin", "HEAD").AssertOk();

        var puts = PutsPerObject(proxy);
        Assert.Equal(3, puts.Count);
        Assert.All(puts.Values, count => Assert.Equal(3, count));
        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();
        Assert.Equal(File.ReadAllBytes(Path.Combine(work, "assets/f1.bin")), File.ReadAllBytes(Path.Combine(clone, "assets/f1.bin")));
    }

    [Fact]
    public async Task Push_S3KeepsFailing_EachUploadTriedOncePlusMaxRetriesThenAClearError()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var proxy = new FaultProxy(TestEnvironment.Endpoint, r =>
            r.Method == "PUT" && r.Path.EndsWith(".bin", StringComparison.Ordinal) ? ProxyAction.Error(503, "ServiceUnavailable") : ProxyAction.Forward);
        using var box = new Sandbox();
        var work = Write(box, box.CreateRepository(bucket, initExtra: ["--endpoint", proxy.Url]), files: 2);
        box.Git(work, "config", "lfs-s3.maxretries", "1").AssertOk();

        var push = box.Git(work, "push", "-q", "origin", "HEAD");

        Assert.NotEqual(0, push.ExitCode);
        Assert.Contains("[503] S3 is unavailable for", push.Stderr);
        Assert.Contains("HTTP 503 ServiceUnavailable", push.Stderr);
        var puts = PutsPerObject(proxy);
        Assert.Equal(2, puts.Count);
        Assert.All(puts.Values, count => Assert.Equal(2, count));
    }

    [Fact]
    public async Task Clone_LargeObject_FetchedInParallelRangesAndABrokenRangeResumedAlone()
    {
        const int size = 24 << 20;
        const int part = 5 << 20;
        var bucket = await TestEnvironment.CreateBucketAsync();
        byte[] data = [];
        var broken = 0;
        // The third part's first answer breaks off after 1 MiB (of the right bytes).
        using var proxy = new FaultProxy(TestEnvironment.Endpoint, r =>
            r.Method == "GET" && r.Path.EndsWith("/big.bin", StringComparison.Ordinal) && r.Headers.GetValueOrDefault("Range") == $"bytes={2 * part}-{(3 * part) - 1}"
            && Interlocked.Increment(ref broken) == 1
                ? ProxyAction.Respond(206, [("Content-Range", $"bytes {2 * part}-{(3 * part) - 1}/{size}")], data[(2 * part)..((2 * part) + (1 << 20))], contentLength: part)
                : ProxyAction.Forward);
        using var box = new Sandbox();
        box.Env["LFS_S3_PART_SIZE"] = "5MiB";
        var work = box.CreateRepository(bucket, initExtra: ["--endpoint", proxy.Url]);
        data = Sandbox.WriteRandom(work, "big.bin", size, 7);
        box.CommitAndPush(work, "big");
        var before = proxy.Requests.Count;

        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();

        Assert.Equal(data, File.ReadAllBytes(Path.Combine(clone, "big.bin")));
        var gets = proxy.Requests.Skip(before).Where(r => r.Method == "GET" && r.Path.EndsWith("/big.bin", StringComparison.Ordinal))
            .Select(r => r.Headers.GetValueOrDefault("Range") ?? "all").Order(StringComparer.Ordinal).ToList();
        // One plain GET (its first part read, the rest left to the ranges), each other part once, and the broken
        // part resumed from where it broke: no part and no object fetched again from its start.
        string[] expected =
        [
            "all", $"bytes={part}-{(2 * part) - 1}", $"bytes={2 * part}-{(3 * part) - 1}", $"bytes={(2 * part) + (1 << 20)}-{(3 * part) - 1}",
            $"bytes={3 * part}-{(4 * part) - 1}", $"bytes={4 * part}-{size - 1}",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), gets);
    }
}
