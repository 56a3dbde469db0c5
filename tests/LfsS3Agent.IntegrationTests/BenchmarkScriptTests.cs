namespace LfsS3Agent.IntegrationTests;

/// <summary>The latency benchmark (scripts/bench_latency.py) runs to the end in its quickest mode, so it cannot rot.
/// It compares every download byte for byte itself; nothing here looks at a time.</summary>
public sealed class BenchmarkScriptTests
{
    [Fact]
    public void LatencyBenchmark_Quick_VerifiesEveryDownloadAndPrintsTheTable()
    {
        using var box = new Sandbox();

        var result = box.Run("python3", box.Root, [Path.Combine(TestEnvironment.RepoRoot, "scripts", "bench_latency.py"), "--quick", "--rtt", "10"],
            extraEnv: new Dictionary<string, string?>
            {
                ["LFS_S3_BIN"] = TestEnvironment.Binary,
                ["S3_ENDPOINT"] = TestEnvironment.Endpoint,
                ["S3_STATE_DIR"] = Environment.GetEnvironmentVariable("S3_STATE_DIR"),
                ["BENCH_TMP"] = box.Root,
            });

        result.AssertOk();
        var rows = result.Stdout.Split('\n').Where(l => l.StartsWith("| 10 ms |", StringComparison.Ordinal)).ToList();
        string[] expected =
        [
            "W1, 100 x 16 KiB: push", "W1, 100 x 16 KiB: `git clone`", "W1, 100 x 16 KiB: CI clone", "W1, 100 x 16 KiB: `git lfs pull`",
            "W1, 100 x 16 KiB: clone that knows no version |", "W1, 100 x 16 KiB: clone that knows no version / one that does",
            "BIG, one 16 MiB file: push", "BIG, one 16 MiB file: `git clone`", "BIG, one 16 MiB file: `git lfs pull`",
        ];
        Assert.All(expected, row => Assert.Single(rows, r => r.Contains(row, StringComparison.Ordinal)));
        // requests were counted in radosgw's log: every aws upload is one PUT per file, every agent push at least one
        var push = rows.Single(r => r.Contains("W1, 100 x 16 KiB: push", StringComparison.Ordinal)).Split('|');
        Assert.Contains("1 PUT", push[6], StringComparison.Ordinal);
        Assert.Contains("PUT", push[6].Split('/')[1], StringComparison.Ordinal);
    }
}
