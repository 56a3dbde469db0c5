using Amazon.S3;
using Amazon.S3.Model;

namespace LfsS3Agent.IntegrationTests;

/// <summary>prune and the lifecycle guard (issue 13): only what no commit needs goes, and nothing old commits need.</summary>
public sealed class PruneTests
{
    [Fact]
    public async Task Prune_AbandonedPushForeignUploadAndUnfinishedUpload_RemovedOnlyWithApplyAndHistoryIntact()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var a1 = Sandbox.WriteRandom(work, "a.bin", 4000, 1);
        box.CommitAndPush(work, "a v1");
        var a2 = Sandbox.WriteRandom(work, "docs/a.pdf", 4100, 2);
        Sandbox.WriteRandom(work, "a.bin", 4200, 3);
        box.CommitAndPush(work, "a v2");
        box.Git(work, "checkout", "-q", "-b", "feature").AssertOk();
        Sandbox.WriteRandom(work, "a.bin", 4300, 4);
        box.CommitAll(work, "feature's a");
        box.Git(work, "push", "-q", "origin", "feature").AssertOk(); // a branch: kept
        box.Git(work, "checkout", "-q", "main").AssertOk();
        Sandbox.WriteRandom(work, "z.bin", 5000, 5);
        box.CommitAll(work, "abandoned");
        box.Git(work, "lfs", "push", "origin", "main").AssertOk(); // the objects went up, the commit never will
        box.Git(work, "reset", "-q", "--hard", "HEAD~1").AssertOk();
        await TestEnvironment.Admin.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "my-repo/docs/foreign.bin", InputStream = new MemoryStream(new byte[300]), UseChunkEncoding = false,
        });
        await TestEnvironment.Admin.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = "my-repo/big.bin" });
        var before = await TestEnvironment.VersionsAsync(bucket);

        var young = box.Agent(work, "prune", "--apply").AssertOk();
        var dry = box.Agent(work, "prune", "--grace", "0").AssertOk();
        var afterDry = await TestEnvironment.VersionsAsync(bucket);
        var applied = box.Agent(work, "prune", "--grace", "0", "--apply").AssertOk();
        var after = await TestEnvironment.VersionsAsync(bucket);
        var again = box.Agent(work, "prune", "--grace", "0").AssertOk();

        Assert.Contains("would delete 0 versions", box.Agent(work, "prune").AssertOk().Stdout);
        Assert.Contains("deleted 0 versions", young.Stdout);
        Assert.Contains("would delete 2 versions", dry.Stdout);
        Assert.Contains("1 unfinished uploads", dry.Stdout);
        Assert.Contains("my-repo/z.bin", dry.Stdout);
        Assert.Contains("my-repo/docs/foreign.bin", dry.Stdout);
        Assert.Equal(before.Count, afterDry.Count);
        Assert.Contains("deleted 2 versions", applied.Stdout);
        Assert.Equal(before.Count - 2, after.Count);
        Assert.DoesNotContain(after, v => v.Key is "my-repo/z.bin" or "my-repo/docs/foreign.bin");
        Assert.Empty((await TestEnvironment.Admin.ListMultipartUploadsAsync(bucket)).MultipartUploads ?? []);
        Assert.Contains("would delete 0 versions", again.Stdout);
        box.Agent(work, "verify", "--all", "--content").AssertOk();
        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();
        box.Git(clone, "checkout", "-q", "HEAD~1").AssertOk();
        Assert.Equal(a1, File.ReadAllBytes(Path.Combine(clone, "a.bin")));
        box.Git(clone, "checkout", "-q", "main").AssertOk();
        Assert.Equal(a2, File.ReadAllBytes(Path.Combine(clone, "docs", "a.pdf")));
        box.Git(clone, "checkout", "-q", "origin/feature").AssertOk();
        box.Agent(clone, "verify", "--all", "--content").AssertOk();
    }

    [Fact]
    public async Task Prune_RemoteUnreachable_RefusesAndDeletesNothing()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "a.bin", 1000, 6);
        box.CommitAndPush(work, "a");
        box.Git(work, "remote", "add", "laptop", Path.Combine(box.Root, "gone.git")).AssertOk();

        var result = box.Agent(work, "prune", "--grace", "0", "--apply");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("cannot fetch remote \"laptop\"", result.Stderr);
    }

    [Fact]
    public async Task Doctor_LifecycleRuleExpiresVersionsUnderThePrefix_Warns()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var quiet = box.Agent(work, "doctor");
        await TestEnvironment.Admin.PutLifecycleConfigurationAsync(new PutLifecycleConfigurationRequest
        {
            BucketName = bucket,
            Configuration = new LifecycleConfiguration
            {
                Rules =
                [
                    new LifecycleRule
                    {
                        Id = "tidy", Status = LifecycleRuleStatus.Enabled,
                        Filter = new LifecycleFilter { LifecycleFilterPredicate = new LifecyclePrefixPredicate { Prefix = "my-repo/" } },
                        NoncurrentVersionExpiration = new LifecycleRuleNoncurrentVersionExpiration { NoncurrentDays = 30 },
                    },
                ],
            },
        });

        var warned = box.Agent(work, "doctor");

        Assert.Contains("AbortIncompleteMultipartUpload", quiet.Stdout);
        Assert.Contains("lifecycle rule \"tidy\" expires versions under", warned.Stdout);
    }
}
