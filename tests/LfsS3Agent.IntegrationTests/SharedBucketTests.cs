using Amazon.S3.Model;

namespace LfsS3Agent.IntegrationTests;

/// <summary>
/// Several repositories in one bucket (issue 21, cases 1, 5 and 6): each leaves a marker at its prefix, and prune and
/// publish never delete what another repository keeps.
/// </summary>
public sealed class SharedBucketTests
{
    private const string Markers = ".git/lfs-s3/repositories/";

    [Fact]
    public async Task Prune_AnotherRepositoryInsideTheBucketRoot_LeavesItWholeAndCloneable()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var boxY = new Sandbox();
        var y = boxY.CreateRepository(bucket, prefix: "y");
        // Y as an older release set it up: no id committed, no marker; its first push leaves one.
        boxY.Git(y, "config", "--file", ".lfs-s3/config", "--unset", "lfs-s3.repository").AssertOk();
        foreach (var marker in (await TestEnvironment.VersionsAsync(bucket, markers: true)).Where(v => v.Key.StartsWith("y/" + Markers, StringComparison.Ordinal)))
        {
            await TestEnvironment.Admin.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = marker.Key, VersionId = marker.VersionId });
        }

        var y1 = Sandbox.WriteRandom(y, "a.bin", 3000, 1);
        boxY.CommitAndPush(y, "y1");
        var y2 = Sandbox.WriteRandom(y, "a.bin", 3100, 2);
        boxY.CommitAndPush(y, "y2");
        var yMarkers = (await TestEnvironment.VersionsAsync(bucket, markers: true)).Where(v => v.Key.StartsWith("y/" + Markers, StringComparison.Ordinal)).ToList();
        using var boxX = new Sandbox();
        var x = boxX.CreateRepositoryWith("*.bin", "--bucket", bucket, "--endpoint", TestEnvironment.Endpoint);
        Sandbox.WriteRandom(x, "x.bin", 2000, 3);
        boxX.CommitAndPush(x, "x");
        var doctor = boxX.Agent(x, "doctor");
        var before = (await TestEnvironment.VersionsAsync(bucket, markers: true)).Where(v => v.Key.StartsWith("y/", StringComparison.Ordinal)).ToList();

        var pruned = boxX.Agent(x, "prune", "--grace", "0s", "--apply").AssertOk();

        Assert.Single(yMarkers.Select(v => v.Key).Distinct());
        Assert.Matches("(?m)^warn +neighbours +another repository lies inside this one's prefix", doctor.Stdout);
        Assert.Contains($"kept everything under s3://{bucket}/y/: another repository's marker is there", pruned.Stdout);
        Assert.Equal(before.Order(), (await TestEnvironment.VersionsAsync(bucket, markers: true)).Where(v => v.Key.StartsWith("y/", StringComparison.Ordinal)).Order());
        var clone = Path.Combine(boxY.Root, "clone");
        boxY.Git(boxY.Root, "clone", "-q", boxY.Origin, clone).AssertOk();
        Assert.Equal(y2, File.ReadAllBytes(Path.Combine(clone, "a.bin")));
        boxY.Git(clone, "checkout", "-q", "HEAD~1").AssertOk();
        Assert.Equal(y1, File.ReadAllBytes(Path.Combine(clone, "a.bin")));
    }

    [Fact]
    public async Task Prune_SamePrefixOrInsideAnotherRepository_RefusesAndDeletesNothing()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var boxOuter = new Sandbox();
        var outer = boxOuter.CreateRepositoryWith("*.bin", "--bucket", bucket, "--endpoint", TestEnvironment.Endpoint);
        Sandbox.WriteRandom(outer, "o.bin", 1000, 10);
        boxOuter.CommitAndPush(outer, "outer");
        using var boxY = new Sandbox();
        var y = boxY.CreateRepository(bucket, prefix: "shared");
        Sandbox.WriteRandom(y, "a.bin", 1100, 11);
        boxY.CommitAndPush(y, "y");
        using var boxX = new Sandbox();
        var x = boxX.CreateRepository(bucket, prefix: "shared");
        Sandbox.WriteRandom(x, "b.bin", 1200, 12);
        boxX.CommitAndPush(x, "x");
        var reinit = boxX.Agent(x, "init", "--bucket", bucket, "--prefix", "shared", "--endpoint", TestEnvironment.Endpoint).AssertOk();
        var before = await TestEnvironment.VersionsAsync(bucket, markers: true);

        var inX = boxX.Agent(x, "prune", "--grace", "0s", "--apply");
        var inY = boxY.Agent(y, "prune", "--grace", "0s", "--apply");
        var inOuter = boxOuter.Agent(outer, "prune", "--grace", "0s", "--apply").AssertOk();

        Assert.Contains("another repository's marker is at this repository's own prefix", reinit.Stdout);
        Assert.Contains("lies inside another repository's", reinit.Stdout);
        Assert.Equal(1, inX.ExitCode);
        Assert.Contains("another repository's marker is at this repository's own prefix", inX.Stderr);
        Assert.Contains("deletes nothing", inX.Stderr);
        Assert.Equal(1, inY.ExitCode);
        Assert.Contains($"this repository's prefix s3://{bucket}/shared/ lies inside another repository's (s3://{bucket}/)", inY.Stderr);
        Assert.Contains($"kept everything under s3://{bucket}/shared/", inOuter.Stdout);
        Assert.Equal(before.Order(), (await TestEnvironment.VersionsAsync(bucket, markers: true)).Order());
        foreach (var (box, work) in new[] { (boxX, "b.bin"), (boxY, "a.bin") })
        {
            var clone = Path.Combine(box.Root, "clone");
            box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();
            Assert.Equal(work == "b.bin" ? 1200 : 1100, new FileInfo(Path.Combine(clone, work)).Length);
        }
    }

    [Fact]
    public void Publish_ToAFolderOfItsOwn_WritesTheTreeThereAndRefusesTheStoreItself()
    {
        using var box = new Sandbox();
        var store = Path.Combine(box.Root, "drive");
        Directory.CreateDirectory(store);
        var work = box.CreateRepositoryWith("*.bin", "--store", new Uri(store).AbsoluteUri, "--prefix", "my-repo");
        var v1 = Sandbox.WriteRandom(work, "a.bin", 2000, 20);
        File.WriteAllText(Path.Combine(work, "index.html"), "<p>hi</p>\n");
        box.CommitAndPush(work, "v1");
        var site = Path.Combine(box.Root, "www", "site");

        var published = box.Agent(work, "publish", "HEAD", "--to", new Uri(site).AbsoluteUri).AssertOk();
        var again = box.Agent(work, "publish", "HEAD", "--to", new Uri(site).AbsoluteUri).AssertOk();
        var inside = box.Agent(work, "publish", "HEAD", "--to", new Uri(Path.Combine(store, "my-repo", "x")).AbsoluteUri);
        var beside = box.Agent(work, "publish", "HEAD", "--to", new Uri(Path.Combine(store, "site")).AbsoluteUri).AssertOk();
        var around = box.Agent(work, "publish", "HEAD", "--to", new Uri(box.Root).AbsoluteUri);

        Assert.Contains("1 copied, 3 uploaded", published.Stdout);
        Assert.Equal(v1, File.ReadAllBytes(Path.Combine(site, "a.bin")));
        Assert.Equal("<p>hi</p>\n", File.ReadAllText(Path.Combine(site, "index.html")));
        Assert.True(File.Exists(Path.Combine(site, ".lfs-s3-publish.json")));
        Assert.Contains("0 copied, 0 uploaded, 0 deleted, 4 unchanged", again.Stdout);
        Assert.Equal(2, inside.ExitCode);
        Assert.Contains("overlaps the repository's own files", inside.Stderr);
        Assert.Equal(v1, File.ReadAllBytes(Path.Combine(store, "site", "a.bin")));
        Assert.Contains("1 copied", beside.Stdout);
        Assert.Equal(2, around.ExitCode);
        Assert.Contains("holds the repository's own store", around.Stderr);
    }

    [Fact]
    public async Task PublishDelete_IntoAnotherRepositoryOrOverForeignKeys_RefusedOrRemovesOnlyWhatPublishWrote()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var boxY = new Sandbox();
        var y = boxY.CreateRepository(bucket, prefix: "y");
        boxY.Git(y, "lfs", "track", "--lockable", "*.psd").AssertOk();
        Sandbox.WriteRandom(y, "logo.psd", 1500, 30);
        boxY.CommitAndPush(y, "y");
        boxY.Agent(y, "lock", "logo.psd").AssertOk();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket, prefix: "x");
        Sandbox.WriteRandom(work, "a.bin", 2000, 31);
        Sandbox.WriteRandom(work, "b.bin", 2100, 32);
        File.WriteAllText(Path.Combine(work, "index.html"), "<p>v1</p>\n");
        box.CommitAndPush(work, "v1");
        await TestEnvironment.Admin.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "site/someone-elses.txt", ContentBody = "not published\n", UseChunkEncoding = false,
        });
        var yBefore = (await TestEnvironment.VersionsAsync(bucket, markers: true)).Where(v => v.Key.StartsWith("y/", StringComparison.Ordinal)).ToList();

        var intoY = box.Agent(work, "publish", "HEAD", "--to", "y", "--delete");
        var intoYSub = box.Agent(work, "publish", "HEAD", "--to", "y/docs", "--delete");
        var first = box.Agent(work, "publish", "HEAD", "--to", "site", "--delete").AssertOk();
        await TestEnvironment.Admin.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "site/b.bin", ContentBody = "edited by hand after publishing\n", UseChunkEncoding = false,
        });
        File.Delete(Path.Combine(work, "a.bin"));
        File.Delete(Path.Combine(work, "b.bin"));
        box.CommitAndPush(work, "v2");
        var second = box.Agent(work, "publish", "HEAD", "--to", "site", "--delete").AssertOk();
        var site = (await TestEnvironment.VersionsAsync(bucket, markers: true)).Where(v => v.Key.StartsWith("site/", StringComparison.Ordinal)).Select(v => v.Key).ToHashSet();
        var latest = await TestEnvironment.Admin.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = "site/" });

        Assert.Equal(1, intoY.ExitCode);
        Assert.Contains("it lies in a repository's prefix", intoY.Stderr);
        Assert.Equal(1, intoYSub.ExitCode);
        Assert.Equal(yBefore.Order(), (await TestEnvironment.VersionsAsync(bucket, markers: true)).Where(v => v.Key.StartsWith("y/", StringComparison.Ordinal)).Order());
        boxY.Agent(y, "locks").AssertOk();
        Assert.Contains("logo.psd", boxY.Agent(y, "locks").Stdout);
        Assert.Contains("kept 1 key(s) the revision does not have, no earlier publish manifest here: someone-elses.txt", first.Stdout);
        Assert.Contains("0 deleted", first.Stdout);
        Assert.Contains("1 deleted", second.Stdout);
        Assert.Contains("not written by an earlier publish: someone-elses.txt", second.Stdout);
        Assert.Contains("changed since it was published: b.bin", second.Stdout);
        Assert.Equal(["site/.gitattributes", "site/.lfs-s3-publish.json", "site/.lfsconfig", "site/b.bin", "site/index.html", "site/someone-elses.txt"],
            (latest.S3Objects ?? []).Select(o => o.Key).Order(StringComparer.Ordinal));
        Assert.Contains("site/a.bin", site);
    }
}
