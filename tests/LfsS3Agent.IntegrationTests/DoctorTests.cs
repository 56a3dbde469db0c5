namespace LfsS3Agent.IntegrationTests;

/// <summary>`git lfs-s3 doctor` on a good set-up and on each broken one: a named failure with its fix.</summary>
public sealed class DoctorTests
{
    [Fact]
    public async Task Doctor_GoodS3Setup_AllOkExitZeroAndProbeRemoved()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);

        var result = box.Agent(work, "doctor");

        result.AssertOk();
        foreach (var check in new[] { "git", "git-lfs", "agent", "settings", "remotes", "credentials", "bucket", "permissions", "clock" })
        {
            Assert.Matches($"(?m)^ok +{check} ", result.Stdout);
        }

        Assert.Contains("from environment AWS_ACCESS_KEY_ID", result.Stdout);
        Assert.DoesNotContain(TestEnvironment.SecretKey, result.All);
        Assert.Empty(await TestEnvironment.VersionsAsync(bucket));
    }

    [Fact]
    public void Doctor_GoodFolderStore_ExitZero()
    {
        using var box = new Sandbox();
        var store = Directory.CreateDirectory(Path.Combine(box.Root, "store")).FullName;
        var work = box.CreateRepositoryWith("*.bin", "--store", new Uri(store).AbsoluteUri);

        var result = box.Agent(work, "doctor");

        result.AssertOk();
        Assert.Contains("permissions", result.Stdout);
    }

    [Fact]
    public async Task Doctor_AgentNotInstalled_FailsAgentWithInstallCommand()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        box.Agent(box.Root, "uninstall").AssertOk();

        AssertFails(box.Agent(work, "doctor"), "agent", "git lfs-s3 install");
    }

    [Fact]
    public void Doctor_OutsideRepository_FailsRepository()
    {
        using var box = new Sandbox();

        AssertFails(box.Agent(box.Root, "doctor"), "repository", "not inside a git repository");
    }

    [Fact]
    public void Doctor_RepositoryNotInitialised_FailsSettingsWithInitCommand()
    {
        using var box = new Sandbox();
        box.Git(box.Root, "init", "-q", "plain").AssertOk();

        AssertFails(box.Agent(Path.Combine(box.Root, "plain"), "doctor"), "settings", "git lfs-s3 init --bucket");
    }

    [Theory]
    [InlineData("missing", "credentials", "no AWS credentials found")]
    [InlineData("wrong-secret", "bucket", "check AWS_SECRET_ACCESS_KEY")]
    [InlineData("unknown-key", "bucket", "S3 does not know the access key")]
    [InlineData("other-user", "bucket", "access denied")]
    public async Task Doctor_CredentialProblems_NamedFailure(string problem, string check, string says)
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        switch (problem)
        {
            case "missing":
                box.Env["AWS_ACCESS_KEY_ID"] = null;
                box.Env["AWS_SECRET_ACCESS_KEY"] = null;
                break;
            case "wrong-secret":
                box.Env["AWS_SECRET_ACCESS_KEY"] = "not-the-secret-00000000000000000000000000";
                break;
            case "unknown-key":
                box.Env["AWS_ACCESS_KEY_ID"] = "NOSUCHACCESSKEY00000";
                break;
            default:
                (box.Env["AWS_ACCESS_KEY_ID"], box.Env["AWS_SECRET_ACCESS_KEY"]) = TestEnvironment.OtherUser;
                break;
        }

        AssertFails(box.Agent(work, "doctor"), check, says);
    }

    [Fact]
    public async Task SsoProfileWithoutSession_DoctorAndPushSayToLogIn()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Directory.CreateDirectory(Path.Combine(box.Home, ".aws"));
        File.WriteAllText(Path.Combine(box.Home, ".aws", "config"), """
            [profile work]
            sso_session = corp
            sso_account_id = 111122223333
            sso_role_name = Dev
            region = us-east-1
            [sso-session corp]
            sso_start_url = https://corp.example.invalid/start
            sso_region = us-east-1
            """);
        box.Env["AWS_ACCESS_KEY_ID"] = null;
        box.Env["AWS_SECRET_ACCESS_KEY"] = null;
        box.Env["AWS_PROFILE"] = "work";
        Sandbox.WriteRandom(work, "a.bin", 100, 3);
        box.CommitAll(work, "a");

        var doctor = box.Agent(work, "doctor");
        var push = box.Git(work, "push", "origin", "main");

        AssertFails(doctor, "bucket", "aws sso login");
        Assert.NotEqual(0, push.ExitCode);
        Assert.Contains("[401] the AWS SSO session is missing or expired", push.Stderr);
    }

    [Fact]
    public async Task Doctor_BucketMissing_FailsBucket()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        box.Env["LFS_S3_BUCKET"] = "no-such-bucket-" + Guid.NewGuid().ToString("N")[..8];

        AssertFails(box.Agent(work, "doctor"), "bucket", "does not exist");
    }

    [Fact]
    public async Task Doctor_VersioningOff_FailsWithFixingCommand()
    {
        var bucket = await TestEnvironment.CreateBucketAsync(versioned: false);
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket, initExtra: "--no-check");

        AssertFails(box.Agent(work, "doctor"), "versioning", "put-bucket-versioning");
    }

    [Fact]
    public async Task Doctor_EndpointUnreachable_FailsBucket()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        box.Env["LFS_S3_ENDPOINT"] = "http://127.0.0.1:9";

        AssertFails(box.Agent(work, "doctor"), "bucket", "cannot reach the S3 endpoint http://127.0.0.1:9");
    }

    [Fact]
    public void Doctor_GitLfsMissing_FailsGitLfs()
    {
        using var box = new Sandbox();
        var bin = Directory.CreateDirectory(Path.Combine(box.Root, "only-git")).FullName;
        File.CreateSymbolicLink(Path.Combine(bin, "git"), "/usr/bin/git");
        box.Env["PATH"] = bin;

        AssertFails(box.Agent(box.Root, "doctor"), "git-lfs", "git-lfs is not installed");
    }

    [Fact]
    public async Task Doctor_SshRemoteWithoutLfsUrlButLocalInstall_WarnsButPasses()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        box.Git(work, "remote", "add", "gh", "git@github.example:org/repo.git").AssertOk();
        box.Git(work, "config", "-f", ".lfsconfig", "--unset", "lfs.url").AssertOk();
        box.Agent(work, "install", "--local").AssertOk();

        var result = box.Agent(work, "doctor");

        result.AssertOk();
        Assert.Matches("(?m)^warn +remotes +SSH remote gh: .*lfs.url", result.Stdout);
    }

    [Fact]
    public async Task Doctor_NoLfsUrlWithTheGlobalInstall_FailsAgentSayingHowToSetIt()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        box.Git(work, "config", "-f", ".lfsconfig", "--unset", "lfs.url").AssertOk();

        AssertFails(box.Agent(work, "doctor"), "agent", "it has no lfs.url");
    }

    [Fact]
    public async Task Doctor_UsersOwnLfsUrlOverridesTheCommittedOne_FailsAgentNamingBoth()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        box.Git(work, "config", "lfs.url", "https://lfs.example.com/org/repo").AssertOk();

        AssertFails(box.Agent(work, "doctor"), "agent", "your git config sets lfs.url = https://lfs.example.com/org/repo, which overrides");
    }

    [Fact]
    public async Task Doctor_AnotherGitLfsS3EarlierOnPath_Warns()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var other = Directory.CreateDirectory(Path.Combine(box.Root, "other-bin")).FullName;
        File.WriteAllText(Path.Combine(other, "git-lfs-s3"), "#!/bin/sh\necho git-remote-s3's own\n");
        box.Run("chmod", box.Root, ["+x", Path.Combine(other, "git-lfs-s3")]).AssertOk();
        box.Env["PATH"] = other + ":" + System.Environment.GetEnvironmentVariable("PATH");

        var result = box.Run(TestEnvironment.Binary, work, ["doctor"]);

        Assert.Matches($"(?m)^warn +path +`git lfs-s3` runs {System.Text.RegularExpressions.Regex.Escape(other)}/git-lfs-s3, not the installed agent", result.Stdout);
    }

    private static void AssertFails(RunResult result, string check, string says)
    {
        Assert.Equal(1, result.ExitCode);
        Assert.Matches($"(?m)^FAIL +{check} +.*{System.Text.RegularExpressions.Regex.Escape(says)}", result.Stdout);
    }
}
