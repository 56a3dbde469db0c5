namespace LfsS3Agent.IntegrationTests;

/// <summary>scripts/install.sh into a temporary prefix and HOME, then only that set-up for real work.</summary>
public sealed class InstallScriptTests
{
    [Fact]
    public async Task InstallScript_TempPrefixAndHome_PushAndCloneWork()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox(viaInstallScript: true);
        Assert.Contains(Path.Combine(box.Root, "prefix", "lib", "git-lfs-s3", "git-lfs-s3"),
            box.Git(box.Root, "config", "--global", "lfs.customtransfer.lfs-s3.path").AssertOk().Stdout);
        var work = box.CreateRepository(bucket);
        var data = Sandbox.WriteRandom(work, "art/logo.bin", 40_000, 70);
        box.CommitAll(work, "logo");

        box.Git(work, "push", "-q", "origin", "main").AssertOk();
        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();

        Assert.Equal(data, File.ReadAllBytes(Path.Combine(clone, "art/logo.bin")));
    }

    [Fact]
    public void InstallScript_Uninstall_LeavesGitConfigAsItWasAndRemovesFiles()
    {
        using var box = new Sandbox();
        box.Agent(box.Root, "uninstall").AssertOk();
        var before = box.Git(box.Root, "config", "--global", "--list").AssertOk().Stdout;
        var prefix = Path.Combine(box.Root, "prefix");
        var script = Path.Combine(TestEnvironment.RepoRoot, "scripts", "install.sh");
        box.Run("bash", box.Root, [script, "--prefix", prefix, "--binary", TestEnvironment.Binary]).AssertOk();
        box.Run("bash", box.Root, [script, "--prefix", prefix, "--binary", TestEnvironment.Binary]).AssertOk();

        box.Run("bash", box.Root, [script, "--prefix", prefix, "--uninstall"]).AssertOk();

        Assert.Equal(before, box.Git(box.Root, "config", "--global", "--list").AssertOk().Stdout);
        Assert.False(File.Exists(Path.Combine(prefix, "bin", "git-lfs-s3")));
        Assert.False(Directory.Exists(Path.Combine(prefix, "lib", "git-lfs-s3")));
    }
}
