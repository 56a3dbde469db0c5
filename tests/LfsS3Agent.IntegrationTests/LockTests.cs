using System.Text.Json;

namespace LfsS3Agent.IntegrationTests;

/// <summary>File locks kept in the store (issue 14), on radosgw and on the folder store.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class LockTests
{
    public static TheoryData<bool> Stores => new() { false, true };

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Lock_EightProcessesRaceForOnePath_ExactlyOneHolderEveryRound(bool folder)
    {
        using var box = new Sandbox();
        var (work, _) = await CreateAsync(box, folder);

        for (var round = 0; round < 10; round++)
        {
            var path = $"race/file{round}.psd";
            var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(w => Task.Run(() =>
                box.Run(TestEnvironment.Binary, work, ["lock", path], extraEnv: As($"w{w}@studio")))));

            var winners = results.Select((r, w) => (r, w)).Where(x => x.r.ExitCode == 0).ToList();
            var winner = Assert.Single(winners);
            Assert.All(results.Where(r => r.ExitCode != 0), r => Assert.Contains($"is locked by w{winner.w}@studio", r.Stderr));
            var locks = JsonDocument.Parse(box.Agent(work, "locks", "--path", path, "--json").AssertOk().Stdout).RootElement;
            Assert.Equal($"w{winner.w}@studio", Assert.Single(locks.EnumerateArray()).GetProperty("owner").GetProperty("email").GetString());
        }
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Push_LockableFileLockedByAnother_RefusedWith423UntilUnlocked(bool folder)
    {
        using var box = new Sandbox();
        var (ana, _) = await CreateAsync(box, folder);
        var bob = Path.Combine(box.Root, "bob");
        box.Git(box.Root, "clone", "-q", box.Origin, bob).AssertOk();
        box.Git(bob, "config", "user.email", "bob@studio").AssertOk();
        var logo = Path.Combine(bob, "design", "logo v1.psd");

        var readOnlyAfterClone = (File.GetUnixFileMode(logo) & UnixFileMode.UserWrite) == 0;
        box.Agent(ana, "lock", "design/logo v1.psd").AssertOk();
        var writableAfterLock = (File.GetUnixFileMode(Path.Combine(ana, "design", "logo v1.psd")) & UnixFileMode.UserWrite) != 0;
        File.SetUnixFileMode(logo, File.GetUnixFileMode(logo) | UnixFileMode.UserWrite);
        Sandbox.WriteRandom(bob, "design/logo v1.psd", 7000, 9);
        Sandbox.WriteRandom(bob, "notes.bin", 100, 10);
        box.CommitAll(bob, "bob's logo");
        var refused = box.Git(bob, "push", "origin", "main");
        var ownLock = box.Agent(bob, "unlock", "design/logo v1.psd");
        box.Agent(ana, "unlock", "design/logo v1.psd").AssertOk();
        var readOnlyAfterUnlock = (File.GetUnixFileMode(Path.Combine(ana, "design", "logo v1.psd")) & UnixFileMode.UserWrite) == 0;
        var accepted = box.Git(bob, "push", "origin", "main");

        Assert.True(readOnlyAfterClone, "git-lfs checks lockable files out read-only");
        Assert.True(writableAfterLock);
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("[423] design/logo v1.psd is locked by ana@studio (since ", refused.Stderr);
        Assert.Contains("ask them, or git lfs-s3 unlock --force", refused.Stderr);
        Assert.Equal(1, ownLock.ExitCode);
        Assert.Contains("not by you", ownLock.Stderr);
        Assert.True(readOnlyAfterUnlock);
        accepted.AssertOk();
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Unlock_ForceOnAnothersLock_BreaksItAndRecordsWho(bool folder)
    {
        using var box = new Sandbox();
        var (ana, brokenRecords) = await CreateAsync(box, folder);
        box.Agent(ana, "lock", "design/logo v1.psd").AssertOk();
        box.Agent(ana, "lock", "other.psd").AssertOk();

        var forced = box.Run(TestEnvironment.Binary, ana, ["unlock", "design/logo v1.psd", "--force"], extraEnv: As("bob@studio")).AssertOk();
        var relock = box.Run(TestEnvironment.Binary, ana, ["lock", "design/logo v1.psd"], extraEnv: As("bob@studio")).AssertOk();
        var list = box.Agent(ana, "locks").AssertOk();

        Assert.Contains("broke the lock of ana@studio", forced.Stdout);
        var record = Assert.Single(await brokenRecords());
        Assert.Contains("bob@studio", record);
        Assert.Contains("ana@studio", record);
        Assert.Contains("locked design/logo v1.psd", relock.Stdout);
        Assert.Contains("design/logo v1.psd\tbob@studio", list.Stdout);
        Assert.Contains("other.psd\tana@studio", list.Stdout);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Push_DeletesFileLockedByAnother_RefusedWith423(bool folder)
    {
        using var box = new Sandbox();
        var (ana, _) = await CreateAsync(box, folder);
        var bob = CloneAs(box, "bob");
        box.Agent(ana, "lock", "design/logo v1.psd").AssertOk();
        File.Delete(Path.Combine(bob, "design", "logo v1.psd"));
        Sandbox.WriteRandom(bob, "notes.bin", 100, 10); // an LFS object in the same push: git-lfs starts no agent without one
        box.CommitAll(bob, "bob removes the logo");

        var refused = box.Git(bob, "push", "origin", "main");
        box.Agent(ana, "unlock", "design/logo v1.psd").AssertOk();
        var accepted = box.Git(bob, "push", "origin", "main");

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("[423] design/logo v1.psd is locked by ana@studio (since ", refused.Stderr);
        accepted.AssertOk();
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Push_NewFileWithBytesOfOldVersionOfLockedFile_Accepted(bool folder)
    {
        using var box = new Sandbox();
        var (ana, _) = await CreateAsync(box, folder);
        var logo = Path.Combine(ana, "design", "logo v1.psd");
        File.SetUnixFileMode(logo, File.GetUnixFileMode(logo) | UnixFileMode.UserWrite);
        Sandbox.WriteRandom(ana, "design/logo v1.psd", 6500, 11); // the logo's second version; the first stays in history
        box.CommitAndPush(ana, "logo v2");
        var bob = CloneAs(box, "bob");
        box.Agent(ana, "lock", "design/logo v1.psd").AssertOk();
        Sandbox.WriteRandom(bob, "archive/old logo.psd", 6000, 8); // the same bytes as the logo's first version

        box.CommitAll(bob, "bob keeps the old logo elsewhere");
        var pushed = box.Git(bob, "push", "origin", "main");

        pushed.AssertOk();
        Assert.DoesNotContain("locked", pushed.Stderr);
        Assert.Equal("archive/old logo.psd", Assert.Single(box.Git(box.Root, "--git-dir", box.Origin, "ls-tree", "-r", "--name-only", "main", "archive").AssertOk().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public async Task Lock_PathInsideGitFolderOrOutsideWorkTree_RefusedWithoutLocking()
    {
        using var box = new Sandbox();
        var (ana, _) = await CreateAsync(box, folder: true);
        File.WriteAllText(Path.Combine(box.Root, "outside.psd"), "x");

        var gitConfig = box.Agent(ana, "lock", ".git/config");
        var gitFolder = box.Agent(Path.Combine(ana, "design"), "lock", "../.GIT/HEAD");
        var outside = box.Agent(ana, "lock", "../outside.psd");
        var locks = box.Agent(ana, "locks").AssertOk();

        Assert.Equal(2, gitConfig.ExitCode);
        Assert.Contains("\".git/config\" is inside git's own folder (.git)", gitConfig.Stderr);
        Assert.Equal(2, gitFolder.ExitCode);
        Assert.Contains("inside git's own folder", gitFolder.Stderr);
        Assert.Equal(2, outside.ExitCode);
        Assert.Contains("is outside the repository", outside.Stderr);
        Assert.Equal("", locks.Stdout);
    }

    /// <summary>A second person's clone, with their own identity.</summary>
    private static string CloneAs(Sandbox box, string name)
    {
        var clone = Path.Combine(box.Root, name);
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();
        box.Git(clone, "config", "user.email", $"{name}@studio").AssertOk();
        return clone;
    }

    /// <summary>Overrides the git identity of one command, as another person's clone would have it.</summary>
    private static Dictionary<string, string?> As(string email) => new()
    {
        ["GIT_CONFIG_COUNT"] = "1", ["GIT_CONFIG_KEY_0"] = "user.email", ["GIT_CONFIG_VALUE_0"] = email,
    };

    /// <summary>A repository on S3 or on a folder store with a lockable logo pushed; and a reader of the break records.</summary>
    private static async Task<(string Work, Func<Task<List<string>>> BrokenRecords)> CreateAsync(Sandbox box, bool folder)
    {
        string work;
        Func<Task<List<string>>> broken;
        if (folder)
        {
            var store = Path.Combine(box.Root, "drive");
            Directory.CreateDirectory(store);
            work = box.CreateRepositoryWith("*.bin", "--store", new Uri(store).AbsoluteUri, "--prefix", "my-repo");
            var dir = Path.Combine(store, "my-repo", ".git", "lfs-s3", "locks-broken");
            broken = () => Task.FromResult(Directory.Exists(dir) ? Directory.GetFiles(dir).Select(File.ReadAllText).ToList() : []);
        }
        else
        {
            var bucket = await TestEnvironment.CreateBucketAsync();
            work = box.CreateRepository(bucket);
            broken = async () =>
            {
                var listed = await TestEnvironment.Admin.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = bucket, Prefix = "my-repo/.git/lfs-s3/locks-broken/" });
                var texts = new List<string>();
                foreach (var o in listed.S3Objects ?? [])
                {
                    using var get = await TestEnvironment.Admin.GetObjectAsync(bucket, o.Key);
                    texts.Add(await new StreamReader(get.ResponseStream).ReadToEndAsync());
                }

                return texts;
            };
        }

        box.Git(work, "config", "user.email", "ana@studio").AssertOk();
        box.Git(work, "lfs", "track", "--lockable", "*.psd").AssertOk();
        Sandbox.WriteRandom(work, "design/logo v1.psd", 6000, 8);
        box.CommitAndPush(work, "logo");
        return (work, broken);
    }
}
