namespace LfsS3Agent.IntegrationTests;

/// <summary>
/// Issue 10: installing touches only repositories set up with init (the agent is tied to their placeholder lfs.url),
/// `git lfs-s3 --help` opens the manual page, and a release archive installs with no .NET SDK.
/// </summary>
public sealed class InstallScopeTests
{
    /// <summary>A plain LFS repository whose objects go to its usual server: a bare repository on disk (git-lfs's own file transfer).</summary>
    private static (string Work, string Origin, byte[] Data) PlainLfsRepository(Sandbox box)
    {
        var origin = Path.Combine(box.Root, "plain-origin.git");
        box.Git(box.Root, "init", "-q", "--bare", origin).AssertOk();
        var work = Path.Combine(box.Root, "plain");
        box.Git(box.Root, "clone", "-q", origin, work).AssertOk();
        box.Git(work, "lfs", "track", "*.bin").AssertOk();
        var data = Sandbox.WriteRandom(work, "asset.bin", 30_000, 90);
        box.CommitAll(work, "plain LFS");
        return (work, origin, data);
    }

    [Fact]
    public void OtherLfsRepository_AfterInstall_PushesAndClonesThroughItsOwnServerWithoutTheAgent()
    {
        using var box = new Sandbox();
        var log = Path.Combine(box.Root, "agent.log");
        box.Env["LFS_S3_LOG_FILE"] = log;
        var (work, origin, data) = PlainLfsRepository(box);

        box.Git(work, "push", "-q", "origin", "main").AssertOk();
        var clone = Path.Combine(box.Root, "plain-clone");
        box.Git(box.Root, "clone", "-q", origin, clone).AssertOk();

        var oid = Sandbox.Sha256(data);
        Assert.True(File.Exists(Path.Combine(origin, "lfs", "objects", oid[..2], oid[2..4], oid)));
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(clone, "asset.bin")));
        Assert.False(File.Exists(log), "the agent was started for a repository not set up with init");
    }

    [Fact]
    public void Install_OverAnOlderUnscopedInstall_RemovesTheKeyThatTookOverEveryRepository()
    {
        using var box = new Sandbox();
        box.Git(box.Root, "config", "--global", "lfs.standalonetransferagent", "lfs-s3").AssertOk();
        box.Agent(box.Root, "install").AssertOk();
        var (work, _, _) = PlainLfsRepository(box);

        box.Git(work, "push", "-q", "origin", "main").AssertOk();

        Assert.NotEqual(0, box.Git(box.Root, "config", "--global", "lfs.standalonetransferagent").ExitCode);
        box.Agent(box.Root, "uninstall").AssertOk();
        Assert.Equal("user.email=dev@example.com\nuser.name=Dev\ninit.defaultbranch=main\nadvice.detachedhead=false\n",
            box.Git(box.Root, "config", "--global", "--list").AssertOk().Stdout);
    }

    [Fact]
    public async Task LocalInstall_RepositoryWithoutTheCommittedLfsUrl_StillUsesTheAgent()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        box.Git(work, "config", "-f", ".lfsconfig", "--unset", "lfs.url").AssertOk();
        box.Agent(work, "install", "--local").AssertOk();
        Sandbox.WriteRandom(work, "a.bin", 5000, 91);

        box.CommitAndPush(work, "a");

        Assert.Contains("my-repo/a.bin", (await TestEnvironment.VersionsAsync(bucket)).Select(v => v.Key));
    }

    [Fact]
    public void HelpThroughGit_AfterInstallScript_ShowsTheManualPageWithEveryVerb()
    {
        using var box = new Sandbox(viaInstallScript: true);

        var help = box.Run("git", box.Root, ["lfs-s3", "--help"], extraEnv: new Dictionary<string, string?>
        {
            ["MANPATH"] = Path.Combine(box.Root, "prefix", "share", "man") + ":",
            ["MANPAGER"] = "cat",
            ["MANWIDTH"] = "100",
        });

        help.AssertOk();
        Assert.Matches(@"git-lfs-s3\s+-\s+keep\s+a\s+git\s+repository", help.Stdout);
        foreach (var verb in new[] { "install", "init", "doctor", "status", "sync", "verify", "rebuild", "trust" })
        {
            Assert.Contains($"usage: git lfs-s3 {verb}", help.Stdout);
        }

        Assert.True(File.Exists(Path.Combine(box.Root, "prefix", "share", "doc", "git-lfs-s3", "git-lfs-s3.html")));
    }

    [Fact]
    public async Task ReleaseArchive_OnAPathWithoutDotnet_InstallsAndPushesAndClones()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        box.Agent(box.Root, "uninstall").AssertOk();
        var script = Path.Combine(TestEnvironment.RepoRoot, "scripts", "release.sh");
        var archive = box.Run("bash", box.Root, [script, "--from", Path.GetDirectoryName(TestEnvironment.Binary)!]).AssertOk().Stdout.Trim();
        Assert.Matches(@"git-lfs-s3-\d+\.\d+\.\d+-linux-x64\.tar\.gz$", archive);
        var unpacked = Directory.CreateDirectory(Path.Combine(box.Root, "unpacked")).FullName;
        box.Run("tar", box.Root, ["-xzf", archive, "-C", unpacked]).AssertOk();
        // Only what a user without .NET has: a shell, core tools, git and git-lfs.
        var tools = Directory.CreateDirectory(Path.Combine(box.Root, "tools")).FullName;
        foreach (var tool in new[] { "sh", "bash", "git", "git-lfs", "mkdir", "cp", "mv", "ln", "rm", "sed", "cat", "basename", "dirname", "uname", "env", "chmod", "ls", "tar", "gzip" })
        {
            var found = new[] { "/usr/bin", "/bin" }.Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
            if (found is not null)
            {
                File.CreateSymbolicLink(Path.Combine(tools, tool), found);
            }
        }

        var prefix = Path.Combine(box.Root, "prefix");
        box.Env["PATH"] = Path.Combine(prefix, "bin") + ":" + tools;
        Assert.NotEqual(0, box.Run("sh", box.Root, ["-c", "command -v dotnet"]).ExitCode);
        var installer = Directory.GetFiles(unpacked, "install.sh", SearchOption.AllDirectories).Single();

        box.Run("sh", box.Root, [installer, "--prefix", prefix]).AssertOk();

        var work = box.CreateRepository(bucket);
        var data = Sandbox.WriteRandom(work, "art/logo.bin", 25_000, 92);
        box.CommitAndPush(work, "logo");
        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(clone, "art/logo.bin")));
        Assert.Contains(Path.Combine(prefix, "lib", "git-lfs-s3", "git-lfs-s3"),
            box.Git(box.Root, "config", "--global", "lfs.customtransfer.lfs-s3.path").AssertOk().Stdout);
    }
}
