namespace LfsS3Agent.IntegrationTests;

/// <summary>git-lfs 3.3 tries `ssh ... git-lfs-transfer` on SSH remotes unless lfs.url is set; init sets it.</summary>
public sealed class SshRemoteTests
{
    [Fact]
    public async Task Pull_SshRemote_NeverRunsSshAndDownloadsThroughAgent()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var data = Sandbox.WriteRandom(work, "a.bin", 20_000, 5);
        box.CommitAndPush(work, "a");
        var clone = Path.Combine(box.Root, "clone");
        box.Run("git", box.Root, ["clone", "-q", box.Origin, clone], extraEnv: new Dictionary<string, string?> { ["GIT_LFS_SKIP_SMUDGE"] = "1" }).AssertOk();
        var marker = Path.Combine(box.Root, "ssh-was-run");
        var fakeSsh = Path.Combine(box.Root, "fake-ssh");
        File.WriteAllText(fakeSsh, $"#!/bin/sh\necho \"$@\" >> '{marker}'\nexit 255\n");
        box.Run("chmod", box.Root, ["+x", fakeSsh]).AssertOk();
        box.Git(clone, "remote", "set-url", "origin", "ssh://git@ssh.example.invalid/org/repo.git").AssertOk();

        box.Run("git", clone, ["lfs", "pull"], extraEnv: new Dictionary<string, string?> { ["GIT_SSH"] = fakeSsh }).AssertOk();

        Assert.False(File.Exists(marker), File.Exists(marker) ? File.ReadAllText(marker) : "");
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(clone, "a.bin")));
    }
}
