using System.Text.Json;
using Amazon.S3.Model;

namespace LfsS3Agent.IntegrationTests;

/// <summary>url, publish and log (issue 12): the bucket as something a team uses, on radosgw and on the folder store.</summary>
public sealed class BucketProductTests
{
    [Fact]
    public async Task Url_OldRevisionAfterNewVersionAndForeignUpload_ServesTheOldBytesUnderItsName()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var v1 = Sandbox.WriteRandom(work, "contracts/lease 2026.pdf", 40_000, 1);
        box.CommitAndPush(work, "signed");
        var v2 = Sandbox.WriteRandom(work, "contracts/lease 2026.pdf", 41_000, 2);
        box.CommitAndPush(work, "amended");
        await TestEnvironment.Admin.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "my-repo/contracts/lease 2026.pdf", InputStream = new MemoryStream(new byte[500]), UseChunkEncoding = false,
        });

        var old = box.Agent(Path.Combine(work, "contracts"), "url", "lease 2026.pdf", "--rev", "HEAD~1").AssertOk().Stdout.Trim();
        var current = box.Agent(work, "url", "contracts/lease 2026.pdf").AssertOk().Stdout.Trim();

        var (status, body, headers) = Curl(box, old);
        Assert.Equal(200, status);
        Assert.Equal(v1, body);
        Assert.Contains("filename=\"lease 2026.pdf\"", headers, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(v2, Curl(box, current).Body);
    }

    [Fact]
    public async Task Url_Expired_IsRefusedByTheServer()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "a.bin", 1000, 3);
        box.CommitAndPush(work, "a");

        var link = box.Agent(work, "url", "a.bin", "--expires", "1s").AssertOk().Stdout.Trim();
        Thread.Sleep(2500);

        Assert.Equal(403, Curl(box, link).Status);
    }

    [Fact]
    public async Task Url_BadInput_OneLineErrorsThatSayWhatToDo()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        File.WriteAllText(Path.Combine(work, "notes.txt"), "in git\n");
        Sandbox.WriteRandom(work, "a.bin", 1000, 4);
        box.CommitAll(work, "not pushed"); // the agent never ran: a.bin is not stored

        var notLfs = box.Agent(work, "url", "notes.txt");
        var noRevision = box.Agent(work, "url", "a.bin", "--rev", "no-such-branch");
        var missing = box.Agent(work, "url", "a.bin");
        var noPath = box.Agent(work, "url", "b.bin");
        var tooLong = box.Agent(work, "url", "a.bin", "--expires", "8d");

        Assert.Equal(1, notLfs.ExitCode);
        Assert.Contains("notes.txt at HEAD is not an LFS file", notLfs.Stderr);
        Assert.Equal(1, noRevision.ExitCode);
        Assert.Contains("revision \"no-such-branch\" does not exist", noRevision.Stderr);
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("is not in the store: run `git lfs-s3 verify HEAD`", missing.Stderr);
        Assert.Equal(1, noPath.ExitCode);
        Assert.Contains("b.bin does not exist at HEAD", noPath.Stderr);
        Assert.Equal(2, tooLong.ExitCode);
        Assert.Contains("7d", tooLong.Stderr);
        Assert.All(new[] { notLfs, noRevision, missing, noPath }, r => Assert.Single(r.Stderr.Trim().Split('\n')));
        Assert.All(new[] { notLfs, noRevision, missing, noPath, tooLong }, r => Assert.Equal("", r.Stdout));
    }

    [Fact]
    public async Task Publish_OldRevisionThenNewWithDelete_PrefixMatchesEachTreeAndARepeatCopiesNothing()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var a1 = Sandbox.WriteRandom(work, "a.bin", 5000, 10);
        var b = Sandbox.WriteRandom(work, "docs/b.pdf", 6000, 11);
        File.WriteAllText(Path.Combine(work, "index.html"), "<h1>v1</h1>\n");
        File.WriteAllText(Path.Combine(work, "docs", "readme.txt"), "read me\n");
        box.CommitAndPush(work, "site v1");
        var a2 = Sandbox.WriteRandom(work, "a.bin", 5100, 12);
        var c = Sandbox.WriteRandom(work, "img/c.bin", 7000, 13);
        File.Delete(Path.Combine(work, "docs", "b.pdf"));
        File.WriteAllText(Path.Combine(work, "index.html"), "<h1>v2</h1>\n");
        box.CommitAndPush(work, "site v2");

        var first = box.Agent(work, "publish", "HEAD~1", "--to", "site/").AssertOk();
        var afterFirst = await LatestAsync(bucket, "site/");
        var beforeDry = (await TestEnvironment.VersionsAsync(bucket)).Count;
        var dry = box.Agent(work, "publish", "HEAD", "--to", "site", "--delete", "--dry-run").AssertOk();
        var afterDry = (await TestEnvironment.VersionsAsync(bucket)).Count;
        var second = box.Agent(work, "publish", "HEAD", "--to", "site", "--delete").AssertOk();
        var afterSecond = await LatestAsync(bucket, "site/");
        var versionsBefore = (await TestEnvironment.VersionsAsync(bucket)).Count;
        var third = box.Agent(work, "publish", "HEAD", "--to", "site", "--delete").AssertOk();

        Assert.Contains("2 copied, 4 uploaded, 0 deleted, 0 unchanged", first.Stdout);
        Assert.Equal(["site/.gitattributes", "site/.lfs-s3-publish.json", "site/.lfsconfig", "site/a.bin", "site/docs/b.pdf", "site/docs/readme.txt", "site/index.html"],
            afterFirst.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(a1, afterFirst["site/a.bin"]);
        Assert.Equal(b, afterFirst["site/docs/b.pdf"]);
        Assert.Equal(box.Git(work, "show", "HEAD~1:index.html").Stdout, System.Text.Encoding.UTF8.GetString(afterFirst["site/index.html"]));
        Assert.Contains("would copy a.bin", dry.Stdout);
        Assert.Contains("would delete docs/b.pdf", dry.Stdout);
        Assert.Contains("nothing changed", dry.Stdout);
        Assert.Equal(beforeDry, afterDry);
        Assert.Contains("2 copied, 1 uploaded, 1 deleted, 3 unchanged", second.Stdout);
        Assert.Equal(["site/.gitattributes", "site/.lfs-s3-publish.json", "site/.lfsconfig", "site/a.bin", "site/docs/readme.txt", "site/img/c.bin", "site/index.html"],
            afterSecond.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(a2, afterSecond["site/a.bin"]);
        Assert.Equal(c, afterSecond["site/img/c.bin"]);
        Assert.Equal("<h1>v2</h1>\n", System.Text.Encoding.UTF8.GetString(afterSecond["site/index.html"]));
        Assert.Contains("0 copied, 0 uploaded, 0 deleted, 6 unchanged", third.Stdout);
        Assert.Equal(versionsBefore, (await TestEnvironment.VersionsAsync(bucket)).Count);

        using var manifest = JsonDocument.Parse(afterSecond["site/.lfs-s3-publish.json"]);
        Assert.Equal(box.Git(work, "rev-parse", "HEAD").Stdout.Trim(), manifest.RootElement.GetProperty("commit").GetString());
        Assert.Equal(6, manifest.RootElement.GetProperty("files").GetArrayLength());
        var html = await TestEnvironment.Admin.GetObjectMetadataAsync(bucket, "site/index.html");
        Assert.StartsWith("text/html", html.Headers.ContentType);
        var pdf = await TestEnvironment.Admin.GetObjectMetadataAsync(bucket, "site/a.bin");
        Assert.Equal(Sandbox.Sha256(a2), pdf.Metadata["lfs-oid"]);
    }

    [Fact]
    public async Task Publish_FilesSharingContent_EachPublishedUnderItsOwnName()
    {
        // Identical files share one git blob (empty .gitkeep files, a copied licence) or one LFS object.
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var data = Sandbox.WriteRandom(work, "x.bin", 5000, 20);
        Assert.Equal(data, Sandbox.WriteRandom(work, "copy/x.bin", 5000, 20));
        foreach (var folder in new[] { "a", "b", "c" })
        {
            Directory.CreateDirectory(Path.Combine(work, folder));
            File.WriteAllText(Path.Combine(work, folder, ".gitkeep"), "");
            File.WriteAllText(Path.Combine(work, folder, "LICENSE"), "MIT\n");
        }

        box.CommitAndPush(work, "site with copies");

        var result = box.Agent(work, "publish", "HEAD", "--to", "site/").AssertOk();

        Assert.Contains("2 copied, 8 uploaded, 0 deleted, 0 unchanged", result.Stdout);
        var site = await LatestAsync(bucket, "site/");
        Assert.Equal(data, site["site/x.bin"]);
        Assert.Equal(data, site["site/copy/x.bin"]);
        foreach (var folder in new[] { "a", "b", "c" })
        {
            Assert.Empty(site[$"site/{folder}/.gitkeep"]);
            Assert.Equal("MIT\n", System.Text.Encoding.UTF8.GetString(site[$"site/{folder}/LICENSE"]));
        }
    }

    [Fact]
    public async Task Publish_ToAnotherBucketAboveTheMultipartThreshold_CopiesInPartsByteIdentical()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        var www = await TestEnvironment.CreateBucketAsync(versioned: false);
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var big = Sandbox.WriteRandom(work, "video/intro.bin", 12 << 20, 20);
        box.CommitAndPush(work, "video");
        box.Env["LFS_S3_MULTIPART_THRESHOLD"] = "5MiB";
        box.Env["LFS_S3_PART_SIZE"] = "5MiB";

        box.Agent(work, "publish", "main", "--to", $"s3://{www}/release").AssertOk();

        var stored = await LatestAsync(www, "release/");
        Assert.Equal(big, stored["release/video/intro.bin"]);
    }

    [Fact]
    public async Task Publish_OverlappingDestinationOrUnstoredObject_RefusedAndNothingWritten()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "a.bin", 1000, 30);
        box.CommitAndPush(work, "a");
        Sandbox.WriteRandom(work, "b.bin", 1000, 31);
        box.CommitAll(work, "b, not pushed");

        var inside = box.Agent(work, "publish", "HEAD~1", "--to", "my-repo/site");
        var around = box.Agent(work, "publish", "HEAD~1", "--to", $"s3://{bucket}/");
        var unstored = box.Agent(work, "publish", "HEAD", "--to", "site");

        Assert.Equal(2, inside.ExitCode);
        Assert.Contains("overlaps the repository's own files", inside.Stderr);
        Assert.Equal(2, around.ExitCode);
        Assert.Equal(1, unstored.ExitCode);
        Assert.Contains("b.bin", unstored.Stderr);
        Assert.Contains("nothing was published", unstored.Stderr);
        Assert.Empty(await LatestAsync(bucket, "site/"));
    }

    [Fact]
    public async Task Log_EditedThreeTimesRenamedAndOverwrittenOutsideGit_FiveRowsNewestFirst()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var oids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            oids.Add(Sandbox.Sha256(Sandbox.WriteRandom(work, "art/logo.bin", 3000 + i, 40 + i)));
            box.CommitAndPush(work, $"logo v{i + 1}");
        }

        Directory.CreateDirectory(Path.Combine(work, "brand"));
        box.Git(work, "mv", "art/logo.bin", "brand/logo.bin").AssertOk();
        box.CommitAndPush(work, "move the logo");
        Thread.Sleep(1100); // S3 times are in seconds: the foreign write is after the last commit
        await TestEnvironment.Admin.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "my-repo/brand/logo.bin", InputStream = new MemoryStream(new byte[777]), UseChunkEncoding = false,
        });

        var json = box.Agent(work, "log", "brand/logo.bin", "--json").AssertOk();
        var text = box.Agent(work, "log", "brand/logo.bin").AssertOk();

        using var rows = JsonDocument.Parse(json.Stdout);
        var list = rows.RootElement.EnumerateArray().ToList();
        Assert.Equal(5, list.Count);
        Assert.False(list[0].GetProperty("inHistory").GetBoolean());
        Assert.Equal(777, list[0].GetProperty("size").GetInt64());
        Assert.Equal("my-repo/brand/logo.bin", list[0].GetProperty("key").GetString());
        Assert.Equal(["move the logo", "logo v3", "logo v2", "logo v1"], list.Skip(1).Select(r => r.GetProperty("subject").GetString()));
        Assert.Equal([oids[2], oids[2], oids[1], oids[0]], list.Skip(1).Select(r => r.GetProperty("oid").GetString()));
        Assert.True(list[1].GetProperty("renamed").GetBoolean());
        Assert.Equal("art/logo.bin", list[2].GetProperty("name").GetString());
        Assert.All(list, r => Assert.True(r.GetProperty("stored").GetBoolean()));
        Assert.All(list.Skip(2), r => Assert.Equal("my-repo/art/logo.bin", r.GetProperty("key").GetString()));
        Assert.Equal(3, list.Skip(2).Select(r => r.GetProperty("versionId").GetString()).Distinct().Count());
        Assert.Contains("not in history", text.Stdout);
        Assert.Contains("logo v1", text.Stdout);
    }

    [Fact]
    public async Task Log_VersionDeletedFromTheBucket_ShownAsMissing()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "a.bin", 1000, 50);
        box.CommitAndPush(work, "a v1");
        Sandbox.WriteRandom(work, "a.bin", 1001, 51);
        box.CommitAndPush(work, "a v2");
        var first = (await TestEnvironment.VersionsAsync(bucket)).Single(v => v.Key == "my-repo/a.bin" && v.Size == 1000);
        await TestEnvironment.Admin.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = first.Key, VersionId = first.VersionId });
        File.Delete(Path.Combine(work, ".git", "lfs-s3", "cache.db"));

        var text = box.Agent(work, "log").AssertOk().Stdout;

        Assert.Contains("a v1", text);
        Assert.Single(text.Split('\n'), l => l.Contains("MISSING"));
    }

    [Fact]
    public void FolderStore_UrlPublishLog_WorkOnTheFolder()
    {
        using var box = new Sandbox();
        var store = Path.Combine(box.Root, "drive");
        Directory.CreateDirectory(store);
        var work = box.CreateRepositoryWith("*.bin", "--store", new Uri(store).AbsoluteUri, "--prefix", "my-repo");
        var v1 = Sandbox.WriteRandom(work, "a.bin", 2000, 60);
        File.WriteAllText(Path.Combine(work, "index.html"), "<p>hi</p>\n");
        box.CommitAndPush(work, "v1");
        var v2 = Sandbox.WriteRandom(work, "a.bin", 2001, 61);
        box.CommitAndPush(work, "v2");

        var url = box.Agent(work, "url", "a.bin", "--rev", "HEAD~1").AssertOk().Stdout.Trim();
        var published = box.Agent(work, "publish", "HEAD~1", "--to", "site").AssertOk();
        var again = box.Agent(work, "publish", "HEAD", "--to", "site").AssertOk();
        var log = box.Agent(work, "log", "a.bin", "--json").AssertOk();
        var overlap = box.Agent(work, "publish", "HEAD", "--to", "my-repo/x");

        Assert.StartsWith("file://", url);
        Assert.Equal(v1, File.ReadAllBytes(new Uri(url).LocalPath));
        Assert.Contains("1 copied, 3 uploaded", published.Stdout);
        Assert.Contains("1 copied, 0 uploaded, 0 deleted, 3 unchanged", again.Stdout);
        Assert.Equal(v2, File.ReadAllBytes(Path.Combine(store, "site", "a.bin")));
        Assert.Equal("<p>hi</p>\n", File.ReadAllText(Path.Combine(store, "site", "index.html")));
        using var rows = JsonDocument.Parse(log.Stdout);
        Assert.Equal(2, rows.RootElement.GetArrayLength());
        Assert.Equal(2, overlap.ExitCode);
    }

    /// <summary>Fetches a URL with curl, as a colleague would: status, body and response headers.</summary>
    private static (int Status, byte[] Body, string Headers) Curl(Sandbox box, string url)
    {
        var body = Path.Combine(box.Root, "curl-" + Guid.NewGuid().ToString("N"));
        var headers = body + ".headers";
        var result = box.Run("curl", box.Root, ["-s", "-o", body, "-D", headers, "-w", "%{http_code}", url]).AssertOk();
        return (int.Parse(result.Stdout.Trim()), File.ReadAllBytes(body), File.ReadAllText(headers));
    }

    /// <summary>The latest bytes of every key under a prefix.</summary>
    private static async Task<Dictionary<string, byte[]>> LatestAsync(string bucket, string prefix)
    {
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var listed = await TestEnvironment.Admin.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = prefix });
        foreach (var o in listed.S3Objects ?? [])
        {
            using var get = await TestEnvironment.Admin.GetObjectAsync(bucket, o.Key);
            using var buffer = new MemoryStream();
            await get.ResponseStream.CopyToAsync(buffer);
            result[o.Key] = buffer.ToArray();
        }

        return result;
    }
}
