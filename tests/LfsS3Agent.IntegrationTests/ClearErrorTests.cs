namespace LfsS3Agent.IntegrationTests;

/// <summary>Issue 21, case 12: a full temp folder while compressing, and a bad init flag, each say what and where.</summary>
public sealed class ClearErrorTests
{
    [Fact]
    public async Task Push_TempFolderFullWhileCompressing_Says507NamingTheFolder()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket, track: "*.txt", initExtra: ["--compress", "*.txt"]);
        // 3 MB of hex digits: gzip keeps about half, more than the 1 MiB the temp folder will have.
        var random = new Random(121);
        var hex = new char[3_000_000];
        for (var i = 0; i < hex.Length; i++)
        {
            hex[i] = "0123456789abcdef"[random.Next(16)];
        }

        await File.WriteAllTextAsync(Path.Combine(work, "data.txt"), new string(hex));
        box.CommitAll(work, "data");
        var tmp = Directory.CreateDirectory(Path.Combine(work, ".git", "lfs", "tmp")).FullName;
        // a 1 MiB file system (tests run as root, as CI does) for git-lfs's temp folder, where compression writes
        box.Run("mount", box.Root, ["-t", "tmpfs", "-o", "size=1m", "tmpfs", tmp]).AssertOk();
        try
        {
            var push = box.Git(work, "push", "origin", "main");

            Assert.NotEqual(0, push.ExitCode);
            Assert.Contains("[507] no space left on the device of " + tmp + " to compress data.txt", push.Stderr);
            Assert.DoesNotContain("IOException", push.Stderr);
        }
        finally
        {
            box.Run("umount", box.Root, ["-l", tmp]);
        }
    }

    [Fact]
    public async Task Init_InvalidSse_BlamesTheFlagNotTheCommittedFile()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        box.Git(box.Root, "init", "-q", "repo").AssertOk();
        var repo = Path.Combine(box.Root, "repo");

        var init = box.Agent(repo, "init", "--bucket", bucket, "--endpoint", TestEnvironment.Endpoint, "--sse", "AES512");

        Assert.NotEqual(0, init.ExitCode);
        Assert.Contains("lfs-s3.sse = \"AES512\" (from the command line, init --sse) is invalid: expected AES256 or aws:kms", init.Stderr);
        Assert.DoesNotContain(".lfs-s3/config", init.Stderr);
        Assert.False(File.Exists(Path.Combine(repo, ".lfs-s3", "config")));
    }
    [Fact]
    public async Task ProgramCopiedWithoutItsSqliteLibrary_StatusAndCloneSayToInstallAgain()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "a.bin", 3000, 31);
        box.CommitAndPush(work, "a");
        // the program alone, without libe_sqlite3.so beside it (what copying only the one file gives)
        var lone = Directory.CreateDirectory(Path.Combine(box.Root, "lone")).FullName;
        var program = Path.Combine(lone, "git-lfs-s3");
        File.Copy(TestEnvironment.Binary, program);
        const string Expected = "SQLite's library libe_sqlite3.so could not be loaded from beside ";

        var status = box.Run(program, work, ["status"]);
        box.Git(box.Root, "config", "--global", "lfs.customtransfer.lfs-s3.path", program).AssertOk();
        var clone = box.Git(box.Root, "clone", box.Git(work, "remote", "get-url", "origin").Stdout.Trim(), "copy");

        Assert.Equal(1, status.ExitCode);
        Assert.Contains(Expected + program + ": it is installed with the program, so install git-lfs-s3 again", status.Stderr);
        Assert.DoesNotContain("Unhandled exception", status.Stderr);
        Assert.NotEqual(0, clone.ExitCode);
        Assert.Contains(Expected + program, clone.Stderr);
    }
}
