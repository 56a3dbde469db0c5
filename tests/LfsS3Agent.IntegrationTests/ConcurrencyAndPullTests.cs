namespace LfsS3Agent.IntegrationTests;

public sealed class ConcurrencyAndPullTests
{
    [Fact]
    public async Task Push_SixtyFiles_EightAgentProcessesRecordEveryEntryOnce()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var oids = new HashSet<string>();
        for (var i = 0; i < 60; i++)
        {
            oids.Add(Sandbox.Sha256(Sandbox.WriteRandom(work, $"dir{i % 6}/file {i}.bin", 2_000 + i, 100 + i)));
        }

        box.CommitAll(work, "many");

        box.Git(work, "push", "-q", "origin", "main").AssertOk();

        var (entries, problems) = Sandbox.ReadMapping(work);
        Assert.Empty(problems);
        Assert.Equal(oids.Order(), entries.Select(e => e.Oid).Order());
        var versions = await TestEnvironment.VersionsAsync(bucket);
        Assert.Equal(60, versions.Count);
        Assert.Equal(versions.Select(v => v.VersionId).Order(), entries.Select(e => e.VersionId).Order());
    }

    [Fact]
    public async Task Clone_WithLfsStorageElsewhere_DownloadsIntoItsTempFolder()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var data = Sandbox.WriteRandom(work, "a.bin", 12_000, 95);
        box.CommitAndPush(work, "a");
        // Another file system than the clone's (tmpfs when there is one), where only git-lfs's own temp folder works.
        var storage = Path.Combine(Directory.Exists("/dev/shm") ? "/dev/shm" : box.Root, "lfs-s3-storage-" + Guid.NewGuid().ToString("N")[..8]);

        box.Git(box.Root, "clone", "-q", "-c", $"lfs.storage={storage}", box.Origin, Path.Combine(box.Root, "clone")).AssertOk();

        Assert.Equal(data, File.ReadAllBytes(Path.Combine(box.Root, "clone", "a.bin")));
        var oid = Sandbox.Sha256(data);
        Assert.True(File.Exists(Path.Combine(storage, "objects", oid[..2], oid[2..4], oid)));
        Directory.Delete(storage, recursive: true);
    }

    [Fact]
    public async Task Pull_NewVersionPushedElsewhere_DownloadsIt()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "shared.bin", 30_000, 90);
        box.CommitAndPush(work, "v1");
        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();
        var v2 = Sandbox.WriteRandom(work, "shared.bin", 31_000, 91);
        box.Git(work, "commit", "-q", "-am", "v2").AssertOk();
        box.Git(work, "push", "-q", "origin", "main").AssertOk();

        box.Git(clone, "pull", "-q").AssertOk();

        Assert.Equal(v2, File.ReadAllBytes(Path.Combine(clone, "shared.bin")));
    }

    [Fact]
    public async Task Push_EightVersionsOfOneFile_PromotedAtMostOnceAndUsageAndPruneCountEveryVersionAsReferenced()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        byte[] head = [];
        for (var i = 0; i < 8; i++)
        {
            head = Sandbox.WriteRandom(work, "doc.bin", 3000 + i, 40 + i);
            box.CommitAll(work, $"v{i}");
        }

        // One push: git-lfs's eight agent processes each upload some versions and each end by settling the latest.
        box.Git(work, "push", "-q", "origin", "main").AssertOk();

        var versions = (await TestEnvironment.VersionsAsync(bucket)).Where(v => v.Key == "my-repo/doc.bin").ToList();
        Assert.InRange(versions.Count, 8, 9);
        using (var latest = await TestEnvironment.Admin.GetObjectAsync(bucket, "my-repo/doc.bin"))
        using (var bytes = new MemoryStream())
        {
            await latest.ResponseStream.CopyToAsync(bytes);
            Assert.Equal(head, bytes.ToArray());
        }

        using var usage = System.Text.Json.JsonDocument.Parse(box.Agent(work, "usage", "--json").AssertOk().Stdout);
        Assert.Equal(0, usage.RootElement.GetProperty("total").GetProperty("unreferencedBytes").GetInt64());
        Assert.Contains("would delete 0 versions", box.Agent(work, "prune", "--grace", "0").AssertOk().Stdout);
    }
}
