using Amazon.S3;
using Amazon.S3.Model;

namespace LfsS3Agent.IntegrationTests;

/// <summary>import (issue 24): the bucket as a second working copy, and adopting a prefix that already holds files.</summary>
public sealed class ImportTests
{
    [Fact]
    public async Task Import_ExistingPrefixWithNullVersions_AdoptsEveryFileUploadsNothingAndCloneRestoresEveryByte()
    {
        var bucket = await TestEnvironment.CreateBucketAsync(versioned: false);
        var a = Bytes(5000, 1);
        var b = Bytes(7000, 2);
        var notes = "written by hand\n"u8.ToArray();
        await PutAsync(bucket, "my-repo/a.bin", a); // before versioning: version id "null"
        await PutAsync(bucket, "my-repo/docs/b ü.pdf", b);
        await PutAsync(bucket, "my-repo/notes.txt", notes);
        await PutAsync(bucket, "my-repo/.git/lfs-s3/locks/x", [1, 2, 3]); // the tool's own: never a file
        await PutAsync(bucket, "my-repo/folder/", []); // a console "folder": not a file
        await PutAsync(bucket, "elsewhere/c.bin", Bytes(100, 3)); // outside the prefix
        await TestEnvironment.Admin.PutBucketVersioningAsync(new PutBucketVersioningRequest
        {
            BucketName = bucket, VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled },
        });
        var late = Bytes(6000, 4);
        await PutAsync(bucket, "my-repo/late.bin", late);
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var start = Head(box, work);

        var dry = box.Agent(work, "import", "--dry-run").AssertOk();
        var afterDry = Head(box, work);
        var import = box.Agent(work, "import").AssertOk();
        var versionsBefore = await TestEnvironment.VersionsAsync(bucket);
        box.Git(work, "push", "-q", "origin", "main").AssertOk();
        var versionsAfter = await TestEnvironment.VersionsAsync(bucket);
        var again = box.Agent(work, "import").AssertOk();
        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();

        Assert.Equal(start, afterDry);
        Assert.Contains("A a.bin (version null", dry.Stdout);
        Assert.Contains("dry run, nothing changed: 4 added", dry.Stdout);
        Assert.Contains("imported 4 added", import.Stdout);
        Assert.Contains("skipped", import.Stdout); // the folder marker, said
        Assert.Equal(start, box.Git(work, "rev-parse", "HEAD~1").AssertOk().Stdout.Trim());
        Assert.Equal("", box.Git(work, "status", "--porcelain").AssertOk().Stdout);
        Assert.Equal(["a.bin", "docs/b ü.pdf", "late.bin", "notes.txt"],
            box.Git(work, "-c", "core.quotepath=off", "diff", "--name-only", "HEAD~1", "HEAD").AssertOk().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("version https://git-lfs.github.com/spec/v1", box.Git(work, "show", "HEAD:a.bin").AssertOk().Stdout);
        Assert.Equal("written by hand\n", box.Git(work, "show", "HEAD:notes.txt").AssertOk().Stdout); // a git file, not a pointer
        Assert.Equal(a, File.ReadAllBytes(Path.Combine(work, "a.bin")));
        Assert.Equal(versionsBefore.Order(), versionsAfter.Order()); // the push wrote no version
        Assert.Contains("nothing to import", again.Stdout);
        Assert.Equal(a, File.ReadAllBytes(Path.Combine(clone, "a.bin")));
        Assert.Equal(b, File.ReadAllBytes(Path.Combine(clone, "docs", "b ü.pdf")));
        Assert.Equal(late, File.ReadAllBytes(Path.Combine(clone, "late.bin")));
        Assert.Equal(notes, File.ReadAllBytes(Path.Combine(clone, "notes.txt")));
        Assert.False(File.Exists(Path.Combine(clone, "c.bin")));
        Assert.Contains("\tnull\tmy-repo/a.bin", box.Git(clone, "show", "origin/lfs-s3:" + Sandbox.Sha256(a)[..2] + ".tsv").AssertOk().Stdout);
    }

    [Fact]
    public async Task Import_FileReplacedAndKeyDeletedWithAwsCli_OneCommitAndTheCommitBeforeKeepsTheOldBytes()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var a1 = Sandbox.WriteRandom(work, "art/a.bin", 4000, 1);
        var b1 = Sandbox.WriteRandom(work, "b.bin", 4100, 2);
        box.CommitAndPush(work, "a and b");
        var pushed = Head(box, work);

        var afterPush = box.Agent(work, "import").AssertOk();
        var a2 = Bytes(4500, 3);
        var replacement = Path.Combine(box.Root, "new-a.bin");
        File.WriteAllBytes(replacement, a2);
        Aws(box, "s3", "cp", replacement, $"s3://{bucket}/my-repo/art/a.bin");
        Aws(box, "s3", "rm", $"s3://{bucket}/my-repo/b.bin");
        var dry = box.Agent(work, "import", "--dry-run").AssertOk();
        var afterDry = Head(box, work);
        var import = box.Agent(work, "import", "--message", "Designer's new logo").AssertOk();
        var message = box.Git(work, "log", "-1", "--format=%B").AssertOk().Stdout;
        var second = box.Agent(work, "import").AssertOk();
        var imported = Head(box, work);
        var versionsBefore = await TestEnvironment.VersionsAsync(bucket);
        box.Git(work, "push", "-q", "origin", "main").AssertOk();
        var versionsAfter = await TestEnvironment.VersionsAsync(bucket);
        var afterSecondPush = box.Agent(work, "import").AssertOk();
        var log = box.Agent(work, "log", "art/a.bin").AssertOk();
        box.Git(work, "checkout", "-q", "HEAD~1").AssertOk();

        Assert.Contains("nothing to import", afterPush.Stdout);
        Assert.Equal(pushed, afterDry);
        Assert.Contains("M art/a.bin", dry.Stdout);
        Assert.Contains("D b.bin (delete marker", dry.Stdout);
        Assert.Contains("imported 1 modified, 1 deleted", import.Stdout);
        Assert.StartsWith("Designer's new logo\n\n1 modified, 1 deleted\n", message);
        Assert.Contains("M art/a.bin (version ", message);
        Assert.Contains("nothing to import", second.Stdout);
        Assert.Equal(pushed, box.Git(work, "rev-parse", imported + "~1").AssertOk().Stdout.Trim());
        Assert.Equal(versionsBefore.Order(), versionsAfter.Order());
        Assert.Contains("nothing to import", afterSecondPush.Stdout);
        Assert.Contains(imported[..7], log.Stdout);
        Assert.Equal(a1, File.ReadAllBytes(Path.Combine(work, "art", "a.bin")));
        Assert.Equal(b1, File.ReadAllBytes(Path.Combine(work, "b.bin")));
        box.Git(work, "checkout", "-q", "main").AssertOk();
        Assert.Equal(a2, File.ReadAllBytes(Path.Combine(work, "art", "a.bin")));
        Assert.False(File.Exists(Path.Combine(work, "b.bin")));
        Assert.Equal("", box.Git(work, "status", "--porcelain").AssertOk().Stdout);
    }

    [Fact]
    public async Task Import_ConflictingLocalEdit_StopsWithNothingChangedAndBranchOptionLeavesTheCurrentBranchAlone()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "a.bin", 4000, 1);
        box.CommitAndPush(work, "a");
        var pushed = Head(box, work);
        var a2 = Bytes(4200, 2);
        await PutAsync(bucket, "my-repo/a.bin", a2);
        await PutAsync(bucket, "my-repo/new.bin", Bytes(300, 3));
        var mine = Sandbox.WriteRandom(work, "a.bin", 4100, 4);
        var status = box.Git(work, "status", "--porcelain").AssertOk().Stdout;

        var refused = box.Agent(work, "import");
        var statusAfter = box.Git(work, "status", "--porcelain").AssertOk().Stdout;
        var headAfter = Head(box, work);
        var onBranch = box.Agent(work, "import", "--branch", "bucket-changes").AssertOk();
        var branchTip = box.Git(work, "rev-parse", "bucket-changes").AssertOk().Stdout.Trim();
        var again = box.Agent(work, "import", "--branch", "bucket-changes").AssertOk();

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("local changes to 1 path the import would change (a.bin)", refused.Stderr);
        Assert.Contains("nothing was changed", refused.Stderr);
        Assert.Equal(pushed, headAfter);
        Assert.Equal(status, statusAfter);
        Assert.Equal(mine, File.ReadAllBytes(Path.Combine(work, "a.bin")));
        Assert.Contains("imported 1 added, 1 modified", onBranch.Stdout);
        Assert.Equal(pushed, Head(box, work));
        Assert.Equal("refs/heads/main", box.Git(work, "symbolic-ref", "HEAD").AssertOk().Stdout.Trim());
        Assert.Equal(status, box.Git(work, "status", "--porcelain").AssertOk().Stdout);
        Assert.Equal(mine, File.ReadAllBytes(Path.Combine(work, "a.bin")));
        Assert.False(File.Exists(Path.Combine(work, "new.bin")));
        Assert.Equal(pushed, box.Git(work, "rev-parse", "bucket-changes~1").AssertOk().Stdout.Trim());
        Assert.Contains("oid sha256:" + Sandbox.Sha256(a2), box.Git(work, "show", "bucket-changes:a.bin").AssertOk().Stdout);
        Assert.Contains("nothing to import", again.Stdout);
        Assert.Equal(branchTip, box.Git(work, "rev-parse", "bucket-changes").AssertOk().Stdout.Trim());
    }

    private static byte[] Bytes(int size, int seed)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static string Head(Sandbox box, string repo) => box.Git(repo, "rev-parse", "HEAD").AssertOk().Stdout.Trim();

    /// <summary>Written the way a person or a pipeline writes: a plain PUT, no OID metadata.</summary>
    private static Task PutAsync(string bucket, string key, byte[] content) =>
        TestEnvironment.Admin.PutObjectAsync(new PutObjectRequest
        {
            BucketName = bucket, Key = key, InputStream = new MemoryStream(content), UseChunkEncoding = false,
        });

    private static void Aws(Sandbox box, params string[] args) =>
        box.Run("aws", box.Root, [.. args, "--endpoint-url", TestEnvironment.Endpoint]).AssertOk();
}
