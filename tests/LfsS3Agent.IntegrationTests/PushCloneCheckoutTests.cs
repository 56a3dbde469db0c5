namespace LfsS3Agent.IntegrationTests;

/// <summary>The user's whole flow with real git, real git-lfs, the native binary and a real S3 server.</summary>
public sealed class PushCloneCheckoutTests
{
    private const string Lease = "documents/contracts/lease.pdf";
    private const string Odd = "données/sub dir/fïle one.bin";

    [Fact]
    public async Task Push_NestedFilesWithSpacesAndUnicode_StoredUnderReadableKeysWithOidMetadata()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var lease = Sandbox.WriteRandom(work, Lease, 300_000, 1);
        var odd = Sandbox.WriteRandom(work, Odd, 5_000, 2);
        box.CommitAll(work, "files");

        box.Git(work, "push", "-q", "origin", "main").AssertOk();

        var versions = await TestEnvironment.VersionsAsync(bucket);
        Assert.Equal(["my-repo/documents/contracts/lease.pdf", "my-repo/données/sub dir/fïle one.bin"], versions.Select(v => v.Key).Order(StringComparer.Ordinal));
        var head = await TestEnvironment.Admin.GetObjectMetadataAsync(bucket, "my-repo/" + Odd);
        Assert.Equal(Sandbox.Sha256(odd), head.Metadata["lfs-oid"]);
        Assert.Equal("application/pdf", (await TestEnvironment.Admin.GetObjectMetadataAsync(bucket, "my-repo/" + Lease)).Headers.ContentType);
        var mapping = Sandbox.MappingText(work);
        Assert.Contains($"{Sandbox.Sha256(lease)}\t300000\t{versions.Single(v => v.Key.EndsWith("lease.pdf")).VersionId}\tmy-repo/{Lease}", mapping);
        Assert.Contains($"my-repo/{Odd}", mapping);
    }

    [Fact]
    public async Task EditAndPushAgain_CloneAndCheckoutOld_EveryVersionByteForByte()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var v1 = Sandbox.WriteRandom(work, Lease, 250_000, 10);
        var odd = Sandbox.WriteRandom(work, Odd, 7_000, 11);
        box.CommitAndPush(work, "v1");
        var v2 = Sandbox.WriteRandom(work, Lease, 180_000, 12);
        box.Git(work, "commit", "-q", "-am", "v2").AssertOk();

        box.Git(work, "push", "-q", "origin", "main").AssertOk();

        var leaseVersions = (await TestEnvironment.VersionsAsync(bucket)).Where(v => v.Key == "my-repo/" + Lease).ToList();
        Assert.Equal(2, leaseVersions.Count);
        Assert.Equal([180_000L, 250_000L], leaseVersions.Select(v => v.Size).Order());

        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();
        Assert.Equal(v2, File.ReadAllBytes(Path.Combine(clone, Lease)));
        Assert.Equal(odd, File.ReadAllBytes(Path.Combine(clone, Odd)));

        box.Git(clone, "checkout", "-q", "HEAD~1").AssertOk();
        Assert.Equal(v1, File.ReadAllBytes(Path.Combine(clone, Lease)));
        Assert.Equal("", box.Git(clone, "status", "--porcelain").AssertOk().Stdout);
    }

    [Fact]
    public async Task LfsPushAll_EverythingAlreadyStored_CreatesNoNewVersions()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "a.bin", 10_000, 20);
        Sandbox.WriteRandom(work, "b/c.bin", 20_000, 21);
        box.CommitAndPush(work, "files");
        var before = await TestEnvironment.VersionsAsync(bucket);

        box.Git(work, "lfs", "push", "--all", "origin").AssertOk();
        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();
        box.Git(clone, "lfs", "push", "--all", "origin").AssertOk();

        Assert.Equal(before.Order(), (await TestEnvironment.VersionsAsync(bucket)).Order());
    }

    [Fact]
    public async Task Push_FileOfSeveralHundredMegabytes_UsesMultipartAndClonesIdentical()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var big = Sandbox.WriteRandom(work, "media/big film.bin", 300 << 20, 30);
        var oid = Sandbox.Sha256(big);
        big = [];
        box.CommitAll(work, "big");

        box.Git(work, "push", "-q", "origin", "main").AssertOk();

        var head = await TestEnvironment.Admin.GetObjectMetadataAsync(bucket, "my-repo/media/big film.bin");
        Assert.Matches("-[0-9]+\"?$", head.ETag); // multipart ETags end in -<parts>
        Assert.Equal(300L << 20, head.ContentLength);
        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();
        await using var file = File.OpenRead(Path.Combine(clone, "media/big film.bin"));
        Assert.Equal(oid, Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(file)));
    }

    [Fact]
    public async Task Clone_MappingEntryTampered_NeverWritesWrongBytes()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var v1 = Sandbox.WriteRandom(work, "x.bin", 50_000, 40);
        box.CommitAndPush(work, "v1");
        var v2 = Sandbox.WriteRandom(work, "x.bin", 50_000, 41);
        box.Git(work, "commit", "-q", "-am", "v2").AssertOk();
        box.Git(work, "push", "-q", "origin", "main").AssertOk();
        // Point v2's OID at v1's version id on the mapping branch, as anyone with push rights could.
        var v2Shard = Sandbox.Sha256(v2)[..2] + ".tsv";
        var v1Line = box.RemoteShard(work, Sandbox.Sha256(v1)[..2] + ".tsv")!.Split('\n').Single(l => l.StartsWith(Sandbox.Sha256(v1)));
        var shard = box.RemoteShard(work, v2Shard)!;
        var v2Line = shard.Split('\n').Single(l => l.StartsWith(Sandbox.Sha256(v2)));
        box.PushShard(work, v2Shard, shard.Replace(v2Line, Sandbox.Sha256(v2) + v1Line[64..]));

        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();

        Assert.Equal(v2, File.ReadAllBytes(Path.Combine(clone, "x.bin")));
    }
}
