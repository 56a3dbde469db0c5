using Amazon.S3;
using Amazon.S3.Model;
using LfsS3Agent.Core.LocalState;
using LfsS3Agent.Core.Objects;

namespace LfsS3Agent.IntegrationTests;

/// <summary>The smaller findings of issue 9, each with the real binary, git, git-lfs and radosgw.</summary>
public sealed class EdgeCaseTests
{
    [Fact]
    public async Task VerifyAll_ObjectOnlyInACommitResetAway_NotReported()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "kept.bin", 1000, 20);
        box.CommitAndPush(work, "kept");
        box.Agent(work, "verify", "--all").AssertOk();
        Sandbox.WriteRandom(work, "dropped.bin", 1000, 21);
        box.CommitAll(work, "never pushed");
        Assert.NotEqual(0, box.Agent(work, "verify", "--all").ExitCode);
        box.Git(work, "reset", "-q", "--hard", "HEAD~1").AssertOk();
        box.Git(work, "reflog", "expire", "--expire=now", "--all").AssertOk();

        var verify = box.Agent(work, "verify", "--all");
        var rebuild = box.Agent(work, "rebuild");

        verify.AssertOk();
        rebuild.AssertOk();
        Assert.DoesNotContain("dropped", verify.Stdout + rebuild.Stdout);
    }

    [Fact]
    public async Task Agent_DownloadRequestWithWrongSize_KeepsTheValidCacheEntry()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var data = Sandbox.WriteRandom(work, "a.bin", 1500, 22);
        box.CommitAndPush(work, "a");
        var oid = Sandbox.Sha256(data);
        string Download(long size) => $$"""{"event":"download","oid":"{{oid}}","size":{{size}},"action":null}""";
        var input = string.Join("\n", """{"event":"init","operation":"download","remote":"origin","concurrent":true,"concurrenttransfers":8}""",
            Download(999), """{"event":"terminate"}""") + "\n";

        box.Run(TestEnvironment.Binary, work, ["agent"], input).AssertOk();

        using var database = new LocalDatabase(LocalDatabase.DefaultPath(Path.Combine(work, ".git", "lfs-s3")));
        Assert.Equal(data.Length, new ObjectCache(database, $"{TestEnvironment.Endpoint}|{bucket}").Find(oid)?.Size);
    }

    [Fact]
    public async Task Doctor_VersioningSuspended_FailsAndLeavesNoProbeBehind()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        await TestEnvironment.Admin.PutBucketVersioningAsync(new PutBucketVersioningRequest
        {
            BucketName = bucket, VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Suspended },
        });

        var doctor = box.Agent(work, "doctor");

        Assert.Equal(1, doctor.ExitCode);
        Assert.Matches("(?m)^FAIL +versioning +.*suspended", doctor.Stdout);
        Assert.Empty(await TestEnvironment.VersionsAsync(bucket));
    }

    [Fact]
    public void Agent_LogSettingsInGitConfig_ApplyFromTheFirstLineAndTheFileIsPrivate()
    {
        using var box = new Sandbox();
        box.Git(box.Root, "init", "-q", "repo").AssertOk();
        var repo = Path.Combine(box.Root, "repo");
        var log = Path.Combine(box.Root, "agent.log");
        box.Git(repo, "config", "lfs-s3.logfile", log).AssertOk();
        box.Git(repo, "config", "lfs-s3.loglevel", "debug").AssertOk();

        box.Run(TestEnvironment.Binary, repo, ["agent"],
            """{"event":"init","operation":"download","remote":"origin","concurrent":true,"concurrenttransfers":8}""" + "\n").AssertOk();

        Assert.Contains("init operation=download", File.ReadAllText(log));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, OperatingSystem.IsWindows() ? default : File.GetUnixFileMode(log));
    }

    [Fact]
    public async Task Pull_DiskFull_SaysSoWithItsOwnCode()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "big.bin", 3_000_000, 23);
        box.CommitAndPush(work, "big");
        var clone = Path.Combine(box.Root, "clone");
        box.Run("git", box.Root, ["clone", "-q", box.Origin, clone], extraEnv: new Dictionary<string, string?> { ["GIT_LFS_SKIP_SMUDGE"] = "1" }).AssertOk();
        var small = Directory.CreateDirectory(Path.Combine(box.Root, "small")).FullName;
        // a 1 MiB file system (tests run as root, as CI does) for git-lfs's storage: the 3 MB download cannot fit
        box.Run("mount", box.Root, ["-t", "tmpfs", "-o", "size=1m", "tmpfs", small]).AssertOk();
        try
        {
            box.Git(clone, "config", "lfs.storage", small).AssertOk();

            var pull = box.Git(clone, "lfs", "pull");

            Assert.NotEqual(0, pull.ExitCode);
            Assert.Contains("[507] no space left on the device", pull.Stderr);
        }
        finally
        {
            box.Run("umount", box.Root, ["-l", small]);
        }
    }
}
