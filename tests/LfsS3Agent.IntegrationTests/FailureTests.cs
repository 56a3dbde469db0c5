namespace LfsS3Agent.IntegrationTests;

/// <summary>Bad set-ups give one clear message that says what to do, and nothing is lost.</summary>
public sealed class FailureTests
{
    [Fact]
    public async Task Init_UnversionedBucket_RefusedWithTheFixingCommand()
    {
        var bucket = await TestEnvironment.CreateBucketAsync(versioned: false);
        using var box = new Sandbox();
        box.Git(box.Root, "init", "-q", "repo").AssertOk();
        var repo = Path.Combine(box.Root, "repo");

        var result = box.Agent(repo, "init", "--bucket", bucket, "--endpoint", TestEnvironment.Endpoint);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("fatal: ", result.Stderr);
        Assert.Contains("versioning off", result.Stderr);
        Assert.Contains($"aws s3api put-bucket-versioning --bucket {bucket} --versioning-configuration Status=Enabled", result.Stderr);
        Assert.False(File.Exists(Path.Combine(repo, ".lfs-s3", "config")));
    }

    [Fact]
    public async Task Push_UnversionedBucket_FailsBeforeWritingAndKeepsRefs()
    {
        var bucket = await TestEnvironment.CreateBucketAsync(versioned: false);
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket, initExtra: "--no-check");
        Sandbox.WriteRandom(work, "a.bin", 1000, 50);
        box.CommitAll(work, "a");

        var result = box.Git(work, "push", "origin", "main");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("versioning off", result.Stderr);
        Assert.Empty(await TestEnvironment.VersionsAsync(bucket));
        Assert.NotEqual(0, box.Git(box.Root, "--git-dir", box.Origin, "rev-parse", "--verify", "-q", "main").ExitCode);
    }

    [Fact]
    public async Task Push_WrongSecretKey_SaysWhichCredentialToCheck()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "a.bin", 1000, 51);
        box.CommitAll(work, "a");
        box.Env["AWS_SECRET_ACCESS_KEY"] = "wrong-secret-key-000000000000000000000000";

        var result = box.Git(work, "push", "origin", "main");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("[401] S3 rejected the request signature", result.Stderr);
        Assert.Contains("AWS_SECRET_ACCESS_KEY", result.Stderr);
        Assert.DoesNotContain("wrong-secret-key", result.All);
    }

    [Fact]
    public async Task Init_UnknownAccessKey_FailsWithClearMessage()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        box.Git(box.Root, "init", "-q", "repo").AssertOk();
        box.Env["AWS_ACCESS_KEY_ID"] = "NOSUCHKEY0000000000";

        var result = box.Agent(Path.Combine(box.Root, "repo"), "init", "--bucket", bucket, "--endpoint", TestEnvironment.Endpoint);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("S3 does not know the access key", result.Stderr);
    }

    [Fact]
    public async Task Clone_NoCredentialsAnywhere_SaysHowToProvideThem()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "a.bin", 1000, 52);
        box.CommitAndPush(work, "a");
        box.Env["AWS_ACCESS_KEY_ID"] = null;
        box.Env["AWS_SECRET_ACCESS_KEY"] = null;

        var result = box.Git(box.Root, "clone", box.Origin, Path.Combine(box.Root, "clone"));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("no AWS credentials found", result.Stderr);
        Assert.Contains("AWS_PROFILE", result.Stderr);
    }

    [Fact]
    public void Push_RepositoryNotInitialisedButAgentInstalledLocally_AgentSaysToRunInit()
    {
        // Globally the agent serves only repositories set up with init (InstallScopeTests); --local wires it regardless.
        using var box = new Sandbox();
        box.Git(box.Root, "init", "-q", "--bare", box.Origin).AssertOk();
        var work = Path.Combine(box.Root, "work");
        box.Git(box.Root, "clone", "-q", box.Origin, work).AssertOk();
        box.Agent(work, "install", "--local").AssertOk();
        box.Git(work, "lfs", "track", "*.bin").AssertOk();
        Sandbox.WriteRandom(work, "a.bin", 100, 1);
        box.CommitAll(work, "no init");

        var result = box.Git(work, "push", "origin", "main");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("[412] this repository is not set up for git-lfs-s3: run `git lfs-s3 init --bucket <bucket>`", result.Stderr);
    }

    [Fact]
    public async Task Bucket_DoesNotExist_InitNamesIt()
    {
        using var box = new Sandbox();
        box.Git(box.Root, "init", "-q", "repo").AssertOk();

        var result = box.Agent(Path.Combine(box.Root, "repo"), "init", "--bucket", "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8],
            "--endpoint", TestEnvironment.Endpoint);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("does not exist", result.Stderr);
        await Task.CompletedTask;
    }
}
