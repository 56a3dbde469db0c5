namespace LfsS3Agent.IntegrationTests;

/// <summary>The README's main command runs to the end on the folder store.</summary>
public sealed class DemoScriptTests
{
    [Fact]
    public void Demo_FolderStore_RunsToTheEnd()
    {
        using var box = new Sandbox();

        var result = box.Run("bash", box.Root, [Path.Combine(TestEnvironment.RepoRoot, "scripts", "demo.sh")],
            extraEnv: new Dictionary<string, string?> { ["LFS_S3_BIN"] = TestEnvironment.Binary });

        result.AssertOk();
        Assert.Contains("checkout HEAD~1: lease.pdf is the old version", result.Stdout);
        Assert.Contains("demo finished", result.Stdout);
        Assert.Contains("lfs-s3:", result.Stdout);
    }
}
