using System.Text.Json;
using Amazon.S3.Model;

namespace LfsS3Agent.IntegrationTests;

/// <summary>usage (issue 13): what the prefix holds, what history references, what it costs, what the agent moved.</summary>
public sealed class UsageTests
{
    [Fact]
    public async Task Usage_HistoryAbandonedBranchAndForeignUpload_SplitsReferencedFromUnreferencedByFolder()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var a1 = Sandbox.WriteRandom(work, "a.bin", 10_000, 1);
        box.CommitAndPush(work, "a v1");
        var a2 = Sandbox.WriteRandom(work, "a.bin", 11_000, 2);
        box.CommitAndPush(work, "a v2");
        box.Git(work, "checkout", "-q", "-b", "tmp").AssertOk();
        var c = Sandbox.WriteRandom(work, "scratch/c.bin", 12_000, 3);
        box.CommitAll(work, "abandoned");
        box.Git(work, "push", "-q", "origin", "tmp").AssertOk();
        box.Git(work, "checkout", "-q", "main").AssertOk();
        box.Git(work, "branch", "-q", "-D", "tmp").AssertOk();
        box.Git(work, "push", "-q", "origin", "--delete", "tmp").AssertOk();
        await TestEnvironment.Admin.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "my-repo/docs/x.bin", InputStream = new MemoryStream(new byte[500]), UseChunkEncoding = false,
        });
        box.Env["LFS_S3_PRICE_PER_GB"] = "1000000";

        var usage = box.Agent(work, "usage", "--json").AssertOk();
        var text = box.Agent(work, "usage").AssertOk();
        var transfers = box.Agent(work, "usage", "--transfers", "--json").AssertOk();

        using var report = JsonDocument.Parse(usage.Stdout);
        var total = report.RootElement.GetProperty("total");
        Assert.Equal(3, total.GetProperty("objects").GetInt32());
        Assert.Equal(3, total.GetProperty("currentVersions").GetInt32());
        Assert.Equal(1, total.GetProperty("noncurrentVersions").GetInt32());
        Assert.Equal(a1.Length, total.GetProperty("noncurrentBytes").GetInt64());
        Assert.Equal(a1.Length + a2.Length, total.GetProperty("referencedBytes").GetInt64());
        Assert.Equal(c.Length + 500, total.GetProperty("unreferencedBytes").GetInt64());
        var folders = report.RootElement.GetProperty("folders").EnumerateArray()
            .ToDictionary(f => f.GetProperty("folder").GetString()!, f => f.GetProperty("unreferencedBytes").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["(top level)"] = 0, ["docs/"] = 500, ["scratch/"] = c.Length }, folders);
        var bytes = a1.Length + a2.Length + c.Length + 500;
        Assert.Equal(Math.Round(bytes / (decimal)(1L << 30) * 1_000_000m, 2), report.RootElement.GetProperty("estimatedMonthlyCost").GetDecimal());
        Assert.Contains("estimated storage cost", text.Stdout);
        Assert.Contains("scratch/", text.Stdout);

        using var moved = JsonDocument.Parse(transfers.Stdout);
        var upload = Assert.Single(moved.RootElement.EnumerateArray());
        Assert.Equal("upload", upload.GetProperty("direction").GetString());
        Assert.Equal(3, upload.GetProperty("succeeded").GetInt32());
        Assert.Equal(a1.Length + a2.Length + c.Length, upload.GetProperty("bytes").GetInt64());
    }

    [Fact]
    public void Usage_FailedDownloadsAndFolderStore_RecordedWithTheirErrorCode()
    {
        using var box = new Sandbox();
        var store = Path.Combine(box.Root, "drive");
        Directory.CreateDirectory(store);
        var work = box.CreateRepositoryWith("*.bin", "--store", new Uri(store).AbsoluteUri, "--prefix", "my-repo");
        Sandbox.WriteRandom(work, "a.bin", 3000, 4);
        Sandbox.WriteRandom(work, "b.bin", 3001, 5);
        box.CommitAndPush(work, "two files");
        Directory.Delete(Path.Combine(store, ".lfs-s3-versions", "my-repo", "b.bin"), recursive: true);
        File.Delete(Path.Combine(store, "my-repo", "b.bin"));
        var clone = Path.Combine(box.Root, "clone");

        box.Git(box.Root, "clone", "-q", box.Origin, clone);
        var usage = box.Agent(clone, "usage", "--json").AssertOk();
        var transfers = box.Agent(clone, "usage", "--transfers").AssertOk();

        using var report = JsonDocument.Parse(usage.Stdout);
        Assert.Equal(1, report.RootElement.GetProperty("historyObjectsNotStored").GetInt32());
        Assert.Equal(1, report.RootElement.GetProperty("total").GetProperty("currentVersions").GetInt32());
        Assert.Contains("download", transfers.Stdout);
        Assert.Contains("[404]", transfers.Stdout);
    }
}
