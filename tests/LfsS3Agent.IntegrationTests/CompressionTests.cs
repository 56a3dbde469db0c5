using System.IO.Compression;
using System.Text;
using System.Text.Json;
using Amazon.S3.Model;

namespace LfsS3Agent.IntegrationTests;

/// <summary>Compression (issue 13): gzip-encoded versions under the same readable keys, on radosgw.</summary>
public sealed class CompressionTests
{
    [Fact]
    public async Task Push_CompressPatternsAndAuto_TextStoredSmallerClonesIdenticalAndServedAsTheOriginal()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket, track: "*.bin *.csv *.txt *.hex", initExtra: ["--compress", "*.csv auto"]);
        box.Env["LFS_S3_MULTIPART_THRESHOLD"] = "5MiB";
        box.Env["LFS_S3_PART_SIZE"] = "5MiB";
        var table = WriteText(work, "data/table.csv", Csv(30_000, 1));
        var notes = WriteText(work, "notes/log.txt", Csv(5_000, 2)); // no pattern: auto finds it compressible
        var noise = Sandbox.WriteRandom(work, "media/noise.bin", 300_000, 3); // auto: incompressible, stored as is
        var hex = WriteText(work, "dumps/big.hex", Hex(24 << 20, 4)); // compresses to about half: still multipart
        box.CommitAndPush(work, "data");

        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();
        var url = box.Agent(work, "url", "data/table.csv").AssertOk().Stdout.Trim();
        var servedFile = Path.Combine(box.Root, "served.csv");
        box.Run("curl", box.Root, ["-sS", "--compressed", "-o", servedFile, url]).AssertOk();
        var raw = box.Run("curl", box.Root, ["-sS", "-D", "-", "-o", "/dev/null", url]).AssertOk();
        var usage = box.Agent(work, "usage", "--json").AssertOk();
        var verify = box.Agent(clone, "verify", "--all", "--content");

        var sizes = (await TestEnvironment.VersionsAsync(bucket)).ToDictionary(v => v.Key, v => v.Size);
        Assert.True(sizes["my-repo/data/table.csv"] < table.Length / 3, $"table.csv stored as {sizes["my-repo/data/table.csv"]} bytes");
        Assert.True(sizes["my-repo/notes/log.txt"] < notes.Length / 3);
        Assert.Equal(noise.Length, sizes["my-repo/media/noise.bin"]);
        Assert.InRange(sizes["my-repo/dumps/big.hex"], 5L << 20, hex.Length * 3L / 4);
        var head = await TestEnvironment.Admin.GetObjectMetadataAsync(bucket, "my-repo/data/table.csv");
        Assert.Equal("gzip", head.Headers.ContentEncoding);
        Assert.Equal(table.Length.ToString(), head.Metadata["lfs-size"]);
        Assert.Equal(Sandbox.Sha256(table), head.Metadata["lfs-oid"]);
        Assert.Null((await TestEnvironment.Admin.GetObjectMetadataAsync(bucket, "my-repo/media/noise.bin")).Headers.ContentEncoding);

        Assert.Equal(table, File.ReadAllBytes(Path.Combine(clone, "data", "table.csv")));
        Assert.Equal(notes, File.ReadAllBytes(Path.Combine(clone, "notes", "log.txt")));
        Assert.Equal(noise, File.ReadAllBytes(Path.Combine(clone, "media", "noise.bin")));
        Assert.Equal(hex, File.ReadAllBytes(Path.Combine(clone, "dumps", "big.hex")));
        Assert.Equal(table, File.ReadAllBytes(servedFile));
        Assert.Contains("content-encoding: gzip", raw.Stdout, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(0, verify.ExitCode);
        using var report = JsonDocument.Parse(usage.Stdout);
        var compression = report.RootElement.GetProperty("compression");
        Assert.Equal(3, compression.GetProperty("versions").GetInt32());
        Assert.Equal(table.Length + notes.Length + hex.Length, compression.GetProperty("objectBytes").GetInt64());
        Assert.InRange(compression.GetProperty("ratio").GetDouble(), 0.01, 0.75);
    }

    [Fact]
    public async Task CompressedVersions_PublishPromoteAndPrune_StayGzipMarkedAndEveryCommitChecksOutIdentical()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket, track: "*.csv", initExtra: ["--compress", "*.csv"]);
        box.Env["LFS_S3_MULTIPART_THRESHOLD"] = "5MiB";
        box.Env["LFS_S3_PART_SIZE"] = "5MiB";
        var v1 = WriteText(work, "data/table.csv", Csv(20_000, 5));
        var big = WriteText(work, "data/big.csv", Hex(14 << 20, 6));
        box.CommitAll(work, "v1");
        WriteText(work, "data/table.csv", Csv(21_000, 7));
        box.CommitAll(work, "v2");
        File.WriteAllBytes(Path.Combine(work, "data", "table.csv"), v1);
        // One push carries both versions: whichever upload ends last, HEAD's (v1) must end as the key's latest.
        box.CommitAndPush(work, "back to v1");

        var published = box.Agent(work, "publish", "HEAD", "--to", "site").AssertOk();
        var latest = await TestEnvironment.Admin.GetObjectMetadataAsync(bucket, "my-repo/data/table.csv");
        var site = await TestEnvironment.Admin.GetObjectMetadataAsync(bucket, "site/data/table.csv");
        var siteBig = await TestEnvironment.Admin.GetObjectMetadataAsync(bucket, "site/data/big.csv");
        var prune = box.Agent(work, "prune", "--grace", "0", "--apply").AssertOk();
        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();
        box.Git(clone, "checkout", "-q", "HEAD~1").AssertOk();
        var atV2 = File.ReadAllBytes(Path.Combine(clone, "data", "table.csv"));
        box.Git(clone, "checkout", "-q", "HEAD~1").AssertOk();
        var atV1 = File.ReadAllBytes(Path.Combine(clone, "data", "table.csv"));

        Assert.Equal("gzip", latest.Headers.ContentEncoding);
        Assert.Equal(Sandbox.Sha256(v1), latest.Metadata["lfs-oid"]);
        Assert.Equal("gzip", site.Headers.ContentEncoding);
        Assert.Equal(v1.Length.ToString(), site.Metadata["lfs-size"]);
        Assert.Equal("gzip", siteBig.Headers.ContentEncoding);
        Assert.Equal(v1, Inflate(await GetAsync(bucket, "site/data/table.csv")));
        Assert.Equal(big, Inflate(await GetAsync(bucket, "site/data/big.csv")));
        Assert.Equal(Csv(21_000, 7), atV2);
        Assert.Equal(v1, atV1);
        Assert.Equal(v1, File.ReadAllBytes(Path.Combine(work, "data", "table.csv")));
        Assert.Contains("deleted", prune.Stdout);
        box.Agent(clone, "verify", "--all", "--content").AssertOk();
        Assert.Contains("copied", published.Stdout);
    }

    [Fact]
    public async Task CompressedVersion_Corrupted_CloneRefusesItAndSaysWhy()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket, track: "*.csv", initExtra: ["--compress", "*.csv"]);
        WriteText(work, "t.csv", Csv(10_000, 8));
        box.CommitAndPush(work, "t");
        // Someone writes bytes that claim to be gzip but are not, with the right metadata: the same size check and OID.
        var head = await TestEnvironment.Admin.GetObjectMetadataAsync(bucket, "my-repo/t.csv");
        var request = new PutObjectRequest
        {
            BucketName = bucket, Key = "my-repo/t.csv", InputStream = new MemoryStream(new byte[head.ContentLength]), UseChunkEncoding = false,
        };
        request.Headers.ContentEncoding = "gzip";
        request.Metadata["lfs-oid"] = head.Metadata["lfs-oid"];
        var forged = (await TestEnvironment.Admin.PutObjectAsync(request)).VersionId;
        await TestEnvironment.Admin.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "my-repo/t.csv", VersionId = head.VersionId });
        var oid = head.Metadata["lfs-oid"];
        box.PushShard(work, oid[..2] + ".tsv", box.RemoteShard(work, oid[..2] + ".tsv")!.Replace(head.VersionId, forged));

        var clone = box.Git(box.Root, "clone", "-q", box.Origin, Path.Combine(box.Root, "clone"));

        Assert.NotEqual(0, clone.ExitCode);
        Assert.Contains("is marked gzip-compressed but does not inflate", clone.Stderr);
    }

    private static byte[] WriteText(string repo, string path, byte[] content)
    {
        var full = Path.Combine(repo, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content);
        return content;
    }

    private static byte[] Csv(int rows, int seed)
    {
        var random = new Random(seed);
        var text = new StringBuilder("id,name,amount,city\n");
        string[] cities = ["Berlin", "Lisbon", "Oslo", "Quito", "Osaka"];
        for (var i = 0; i < rows; i++)
        {
            text.Append(i).Append(",customer ").Append(random.Next(1000)).Append(',').Append(random.Next(100_000)).Append(',')
                .Append(cities[random.Next(cities.Length)]).Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Random hex digits: half the entropy of random bytes, so gzip saves a bit under half.</summary>
    private static byte[] Hex(int size, int seed)
    {
        var random = new Random(seed);
        var bytes = new byte[size / 2];
        random.NextBytes(bytes);
        return Encoding.ASCII.GetBytes(Convert.ToHexStringLower(bytes));
    }

    private static async Task<byte[]> GetAsync(string bucket, string key)
    {
        using var get = await TestEnvironment.Admin.GetObjectAsync(bucket, key);
        using var buffer = new MemoryStream();
        await get.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static byte[] Inflate(byte[] gzip)
    {
        using var input = new GZipStream(new MemoryStream(gzip), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }
}
