using Amazon.S3;

namespace LfsS3Agent.IntegrationTests;

/// <summary>Server-side encryption (issue 13) on radosgw's KMS "testing" backend (scripts/s3-start.sh sets testkey-1 and testkey-2).</summary>
public sealed class EncryptionTests
{
    [Fact]
    public async Task Push_InitWithKmsKey_EveryObjectEncryptedWithItAndClonesAndPublishesByteIdentical()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket, initExtra: ["--sse", "aws:kms", "--kms-key", "testkey-1"]);
        box.Env["LFS_S3_MULTIPART_THRESHOLD"] = "5MiB";
        box.Env["LFS_S3_PART_SIZE"] = "5MiB";
        var small = Sandbox.WriteRandom(work, "a.bin", 5000, 1);
        var big = Sandbox.WriteRandom(work, "media/big.bin", 11 << 20, 2);
        box.CommitAndPush(work, "encrypted");

        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();
        box.Agent(work, "publish", "HEAD", "--to", "site").AssertOk();
        var doctor = box.Agent(work, "doctor").AssertOk();

        foreach (var key in new[] { "my-repo/a.bin", "my-repo/media/big.bin", "site/a.bin", "site/media/big.bin" })
        {
            var head = await TestEnvironment.Admin.GetObjectMetadataAsync(bucket, key);
            Assert.Equal(ServerSideEncryptionMethod.AWSKMS, head.ServerSideEncryptionMethod);
            Assert.Equal("testkey-1", head.ServerSideEncryptionKeyManagementServiceKeyId);
        }

        Assert.Equal(small, File.ReadAllBytes(Path.Combine(clone, "a.bin")));
        Assert.Equal(big, File.ReadAllBytes(Path.Combine(clone, "media", "big.bin")));
        Assert.Contains("lfs-s3.sse aws:kms key testkey-1", doctor.Stdout);
    }

    [Fact]
    public async Task WrongKmsKey_InitDoctorAndPushSaySoClearly()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var init = box.Agent(work, "init", "--bucket", bucket, "--prefix", "my-repo", "--endpoint", TestEnvironment.Endpoint, "--sse", "aws:kms", "--kms-key", "no-such-key");
        box.Agent(work, "init", "--bucket", bucket, "--prefix", "my-repo", "--endpoint", TestEnvironment.Endpoint, "--sse", "aws:kms", "--kms-key", "no-such-key", "--no-check").AssertOk();
        box.CommitAll(work, "wrong key");
        Sandbox.WriteRandom(work, "a.bin", 1000, 3);
        box.CommitAll(work, "a");

        var doctor = box.Agent(work, "doctor");
        var push = box.Git(work, "push", "origin", "main");

        Assert.Equal(1, init.ExitCode);
        Assert.Contains("KMS key for server-side encryption cannot be used", init.Stderr);
        Assert.Equal(1, doctor.ExitCode);
        Assert.Contains("KMS key for server-side encryption cannot be used", doctor.Stdout);
        Assert.NotEqual(0, push.ExitCode);
        Assert.Contains("KMS key for server-side encryption cannot be used", push.Stderr);
        Assert.Empty(await TestEnvironment.VersionsAsync(bucket));
    }

    [Fact]
    public async Task Push_CommitChangesTheKmsKey_StopsUntilTrustedAndNothingIsWritten()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket, initExtra: ["--sse", "aws:kms", "--kms-key", "testkey-1"]);
        Sandbox.WriteRandom(work, "a.bin", 1000, 4);
        box.CommitAndPush(work, "a");
        var teammate = Path.Combine(box.Root, "teammate");
        box.Git(box.Root, "clone", "-q", box.Origin, teammate).AssertOk();
        // Someone's commit points the encryption at another key (in a real attack, one in their own account).
        box.Git(work, "config", "-f", ".lfs-s3/config", "lfs-s3.ssekmskeyid", "testkey-2").AssertOk();
        box.CommitAndPush(work, "Rotate the key");
        box.Git(teammate, "pull", "-q").AssertOk();
        Sandbox.WriteRandom(teammate, "b.bin", 1000, 5);
        box.CommitAll(teammate, "b");
        var before = (await TestEnvironment.VersionsAsync(bucket)).Count;

        var refused = box.Git(teammate, "push", "-q", "origin", "main");
        var after = (await TestEnvironment.VersionsAsync(bucket)).Count;
        box.Agent(teammate, "trust").AssertOk();
        box.Git(teammate, "push", "-q", "origin", "main").AssertOk();

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("lfs-s3.ssekmskeyid was \"testkey-1\", is now \"testkey-2\"", refused.Stderr);
        Assert.Equal(before, after);
        var head = await TestEnvironment.Admin.GetObjectMetadataAsync(bucket, "my-repo/b.bin");
        Assert.Equal("testkey-2", head.ServerSideEncryptionKeyManagementServiceKeyId);
    }
}
