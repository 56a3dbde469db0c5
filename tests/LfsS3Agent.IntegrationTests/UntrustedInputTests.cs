using Amazon.S3.Model;
using LfsS3Agent.Core.Mapping;

namespace LfsS3Agent.IntegrationTests;

/// <summary>
/// Real histories and a careless or hostile collaborator (issue 9): the key comes from the history being pushed,
/// "already stored" is the bucket's word, and everything in the mapping is a hint that can only be confirmed.
/// </summary>
public sealed class UntrustedInputTests
{
    private static string Clone(Sandbox box, string name = "clone")
    {
        var clone = Path.Combine(box.Root, name);
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();
        return clone;
    }

    private static async Task<List<string>> KeysAsync(string bucket) => (await TestEnvironment.VersionsAsync(bucket)).Select(v => v.Key).Distinct().ToList();

    /// <summary>
    /// Pushes these lines as the whole shard of their OID on origin's mapping branch, as anyone with push rights could,
    /// and main without its LFS objects.
    /// </summary>
    private static void CommitMapping(Sandbox box, string work, IReadOnlyList<MappingEntry> entries)
    {
        box.PushShard(work, entries[0].Oid[..2] + ".tsv",
            MappingFile.Header + "\n" + string.Concat(entries.Select(e => $"{e.Oid}\t{e.Size}\t{e.VersionId}\t{e.Key}\n")));
        box.Run("git", work, ["push", "-q", "origin", "main"], extraEnv: new Dictionary<string, string?> { ["GIT_LFS_SKIP_PUSH"] = "1" }).AssertOk();
    }

    [Fact]
    public async Task Push_RenamedOnAnUnpushedBranch_StoredUnderThePushedPathAndClonesWithoutTheMapping()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var data = Sandbox.WriteRandom(work, "final/x.bin", 4000, 1);
        box.CommitAll(work, "final");
        box.Git(work, "checkout", "-q", "-b", "exp").AssertOk();
        box.Git(work, "mv", "final/x.bin", "scratch.bin").AssertOk();
        box.CommitAll(work, "experiment");
        box.Git(work, "checkout", "-q", "main").AssertOk();

        box.Git(work, "push", "-q", "origin", "HEAD:main").AssertOk();

        Assert.Contains("my-repo/final/x.bin", await KeysAsync(bucket));
        Assert.DoesNotContain("my-repo/scratch.bin", await KeysAsync(bucket));
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(Clone(box), "final/x.bin")));
    }

    [Fact]
    public async Task Push_FailedThenAmendedToAnotherPath_StoredUnderTheAmendedPath()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "draft/a.bin", 3000, 2);
        box.CommitAll(work, "draft");
        var down = new Dictionary<string, string?> { ["LFS_S3_ENDPOINT"] = "http://127.0.0.1:9" };
        Assert.NotEqual(0, box.Run("git", work, ["push", "-q", "origin", "main"], extraEnv: down).ExitCode);
        Directory.CreateDirectory(Path.Combine(work, "final"));
        box.Git(work, "mv", "draft/a.bin", "final/a.bin").AssertOk();
        box.Git(work, "commit", "-q", "--amend", "-m", "final").AssertOk();

        box.Git(work, "push", "-q", "origin", "main").AssertOk();

        Assert.Contains("my-repo/final/a.bin", await KeysAsync(bucket));
        Assert.DoesNotContain("my-repo/draft/a.bin", await KeysAsync(bucket));
        Assert.True(File.Exists(Path.Combine(Clone(box), "final/a.bin")));
    }

    [Fact]
    public async Task Push_PathLongerThanAnS3Key_StoredUnderTheReservedKeyAndClonesBack()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var path = string.Join('/', Enumerable.Range(0, 6).Select(i => new string((char)('a' + i), 200))) + "/long.bin";
        var data = Sandbox.WriteRandom(work, path, 2000, 3);

        box.CommitAndPush(work, "long");

        Assert.Contains(await KeysAsync(bucket), k => k.StartsWith("my-repo/.git/lfs/objects/", StringComparison.Ordinal));
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(Clone(box), path)));
    }

    [Fact]
    public async Task Repush_VersionDeletedBehindOurBack_UploadsItAgainAsTheCloneErrorAdvises()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var data = Sandbox.WriteRandom(work, "a.bin", 5000, 4);
        box.CommitAndPush(work, "a");
        var version = (await TestEnvironment.VersionsAsync(bucket)).Single(v => v.Key == "my-repo/a.bin");
        await TestEnvironment.Admin.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = version.Key, VersionId = version.VersionId });
        var failed = box.Git(box.Root, "clone", "-q", box.Origin, Path.Combine(box.Root, "broken"));
        Assert.Contains("git lfs push --all origin", failed.Stderr);

        box.Git(work, "lfs", "push", "--all", "origin").AssertOk();

        Assert.Contains("my-repo/a.bin", await KeysAsync(bucket));
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(Clone(box), "a.bin")));
        box.Agent(work, "verify").AssertOk();
    }

    [Fact]
    public async Task Clone_MappingEntriesForbiddenTooLongAndOversized_FallThroughToTheRightBytes()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var data = Sandbox.WriteRandom(work, "a.bin", 2048, 5);
        box.CommitAndPush(work, "a");
        var oid = Sandbox.Sha256(data);
        var big = await TestEnvironment.Admin.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "my-repo/big.bin", InputStream = new MemoryStream(new byte[3 << 20]), UseChunkEncoding = false,
        });
        var secret = await TestEnvironment.Admin.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = "my-repo/secret/a.bin", InputStream = new MemoryStream(new byte[data.Length]), UseChunkEncoding = false,
        });
        await TestEnvironment.Admin.PutBucketPolicyAsync(bucket, $$"""
            {"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":["s3:GetObject","s3:GetObjectVersion"],
              "Resource":["arn:aws:s3:::{{bucket}}/my-repo/secret/*"]}]}
            """);
        CommitMapping(box, work,
        [
            new(oid, data.Length, secret.VersionId, "my-repo/secret/a.bin"),
            new(oid, data.Length, "v-long", "my-repo/" + new string('x', 1100)),
            new(oid, data.Length, big.VersionId, "my-repo/big.bin"),
        ]);

        var clone = Path.Combine(box.Root, "clone");
        var result = box.Run("git", box.Root, ["clone", "-q", box.Origin, clone], extraEnv: new Dictionary<string, string?> { ["LFS_S3_LOG_LEVEL"] = "warning", ["GIT_TRACE"] = "1" });

        result.AssertOk();
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(clone, "a.bin")));
        Assert.True(result.Stderr.Contains("access denied"), result.Stderr);
        Assert.Contains("more than the expected 2048 bytes", result.Stderr);
        box.Agent(clone, "verify").AssertOk();
    }

    [Fact]
    public async Task Clone_MappingEntryUnderAnotherPrefix_IgnoredReportedAndRepushStoresItHere()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var data = Sandbox.WriteRandom(work, "a.bin", 3000, 6);
        box.CommitAll(work, "a");
        var oid = Sandbox.Sha256(data);
        var foreign = new PutObjectRequest { BucketName = bucket, Key = "other-team/a.bin", InputStream = new MemoryStream(data), UseChunkEncoding = false };
        foreign.Metadata["lfs-oid"] = oid;
        var stored = await TestEnvironment.Admin.PutObjectAsync(foreign);
        CommitMapping(box, work, [new(oid, data.Length, stored.VersionId, "other-team/a.bin")]);

        var clone = box.Git(box.Root, "clone", "-q", box.Origin, Path.Combine(box.Root, "first"));
        var status = box.Agent(work, "status").AssertOk();
        box.Git(work, "lfs", "push", "--all", "origin").AssertOk();

        Assert.NotEqual(0, clone.ExitCode);
        Assert.Contains("outside the prefix: 1 mapping entries", status.Stdout);
        Assert.Contains("my-repo/a.bin", await KeysAsync(bucket));
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(Clone(box), "a.bin")));
    }

    [Fact]
    public async Task Push_CommitPointsStorageElsewhere_StopsUntilTrustedAndNothingLeaves()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "a.bin", 1000, 7);
        box.CommitAndPush(work, "a");
        var teammate = Clone(box, "teammate");
        var elsewhere = Directory.CreateDirectory(Path.Combine(box.Root, "elsewhere")).FullName;
        box.Git(work, "config", "-f", ".lfs-s3/config", "lfs-s3.store", new Uri(elsewhere).AbsoluteUri).AssertOk();
        box.CommitAndPush(work, "Move the files");
        box.Git(teammate, "pull", "-q").AssertOk();
        Sandbox.WriteRandom(teammate, "b.bin", 1000, 8);
        box.CommitAll(teammate, "b");

        var push = box.Git(teammate, "push", "-q", "origin", "main");

        Assert.NotEqual(0, push.ExitCode);
        Assert.Contains("lfs-s3.store was \"\", is now \"" + new Uri(elsewhere).AbsoluteUri + "\"", push.Stderr);
        Assert.Contains("Move the files", push.Stderr);
        Assert.Contains("git lfs-s3 trust", push.Stderr);
        Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere));
        box.Agent(teammate, "trust").AssertOk();
        box.Git(teammate, "push", "-q", "origin", "main").AssertOk();
        Assert.True(File.Exists(Path.Combine(elsewhere, "my-repo", "b.bin")));
    }

    [Fact]
    public async Task Push_TwoVersionsOfOnePathAtOnce_LatestIsTheNewerEvenWhenTheOlderFinishesLast()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var proxy = new Tests.Shared.FaultProxy(TestEnvironment.Endpoint, r =>
        {
            // the older version (3000 bytes) finishes last
            if (r.Method == "PUT" && r.Headers.GetValueOrDefault("Content-Length") == "3000")
            {
                Thread.Sleep(2000);
            }

            return Tests.Shared.ProxyAction.Forward;
        });
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket, initExtra: ["--endpoint", proxy.Url]);
        Sandbox.WriteRandom(work, "doc.bin", 3000, 9);
        box.CommitAll(work, "v1");
        var newer = Sandbox.WriteRandom(work, "doc.bin", 4000, 10);
        box.CommitAll(work, "v2");

        box.Git(work, "push", "-q", "origin", "main").AssertOk();

        using var latest = await TestEnvironment.Admin.GetObjectAsync(bucket, "my-repo/doc.bin");
        using var bytes = new MemoryStream();
        await latest.ResponseStream.CopyToAsync(bytes);
        Assert.Equal(newer, bytes.ToArray());
    }

    [Fact]
    public async Task Push_SinglePut_ObjectServedWithoutAwsChunkedEncoding()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "report.pdf", 20_000, 11);
        box.CommitAndPush(work, "pdf");
        var url = await TestEnvironment.Admin.GetPreSignedURLAsync(new GetPreSignedUrlRequest
        {
            BucketName = bucket, Key = "my-repo/report.pdf", Verb = Amazon.S3.HttpVerb.HEAD, Expires = DateTime.UtcNow.AddMinutes(5),
            Protocol = Amazon.S3.Protocol.HTTP,
        });

        var head = box.Run("curl", box.Root, ["-sSI", url]).AssertOk();

        Assert.Contains("200", head.Stdout.Split('\n')[0]);
        Assert.DoesNotContain("aws-chunked", head.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("Content-Type: application/pdf", head.Stdout, StringComparison.OrdinalIgnoreCase);
    }
}
