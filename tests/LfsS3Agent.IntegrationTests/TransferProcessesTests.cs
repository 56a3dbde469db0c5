namespace LfsS3Agent.IntegrationTests;

/// <summary>
/// Issue 22: more objects in flight than git-lfs's default 8 processes. init and the agent write
/// lfs.concurrenttransfers = 10 into the clone's own git config (never a commit, never the user's global config),
/// leave a value the user set alone, and uninstall --local takes theirs back; git status never changes.
/// </summary>
public sealed class TransferProcessesTests
{
    private static string? Local(Sandbox box, string repo) =>
        box.Git(repo, "config", "--local", "--get", "lfs.concurrenttransfers") is { ExitCode: 0 } r ? r.Stdout.Trim() : null;

    [Fact]
    public async Task InitAndFirstClone_WriteTwelveProcessesInTheirOwnConfig_StatusUnchanged_UninstallLocalRemovesIt()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Assert.Equal("10", Local(box, work));
        var data = Sandbox.WriteRandom(work, "assets/a.bin", 20_000, 1);
        box.CommitAndPush(work, "add a file");

        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();

        Assert.Equal(data, File.ReadAllBytes(Path.Combine(clone, "assets", "a.bin")));
        Assert.Equal("10", Local(box, clone));
        Assert.Equal("", box.Git(clone, "status", "--porcelain", "--ignored").AssertOk().Stdout);
        Assert.Equal("", box.Git(work, "status", "--porcelain").AssertOk().Stdout);
        Assert.NotEqual(0, box.Git(box.Root, "config", "--global", "--get", "lfs.concurrenttransfers").ExitCode);

        // the next git-lfs run in the clone reads it; the agent writes nothing more
        Sandbox.WriteRandom(clone, "assets/b.bin", 20_000, 2);
        box.CommitAndPush(clone, "add another");
        Assert.Equal("10", Local(box, clone));

        box.Agent(clone, "uninstall", "--local").AssertOk();
        Assert.Null(Local(box, clone));
        Assert.Equal("", box.Git(clone, "status", "--porcelain").AssertOk().Stdout);
    }

    [Fact]
    public async Task UserSetConcurrentTransfers_IsLeftAlone_ByInitTheAgentAndUninstall()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        box.Git(box.Root, "config", "--global", "lfs.concurrenttransfers", "4").AssertOk();
        var work = box.CreateRepository(bucket);
        Assert.Null(Local(box, work));
        var data = Sandbox.WriteRandom(work, "a.bin", 20_000, 3);
        box.CommitAndPush(work, "add a file");

        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(clone, "a.bin")));
        Assert.Null(Local(box, clone));

        box.Git(clone, "config", "--local", "lfs.concurrenttransfers", "32").AssertOk();
        box.Agent(clone, "uninstall", "--local").AssertOk();
        Assert.Equal("32", Local(box, clone));
        Assert.Equal("4", box.Git(box.Root, "config", "--global", "--get", "lfs.concurrenttransfers").AssertOk().Stdout.Trim());
    }
}
