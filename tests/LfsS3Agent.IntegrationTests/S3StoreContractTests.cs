using LfsS3Agent.Core.Settings;
using LfsS3Agent.S3;
using LfsS3Agent.Tests.Shared;

namespace LfsS3Agent.IntegrationTests;

/// <summary>The storage contract against the S3 store on the real radosgw, a fresh versioned bucket per test.</summary>
public sealed class S3StoreContractTests : ObjectStoreContract
{
    protected override async Task<IObjectStore> CreateStoreAsync() => Store(await TestEnvironment.CreateBucketAsync());

    protected override IObjectStore CreateMissingStore() => Store("lfs-s3-missing-" + Guid.NewGuid().ToString("N")[..20]);

    [Fact]
    public async Task Versioning_UnversionedBucket_IsOff()
    {
        var store = Store(await TestEnvironment.CreateBucketAsync(versioned: false));

        Assert.Equal(VersioningState.Off, await store.GetVersioningAsync(default));
    }

    [Fact]
    public async Task Promote_AboveTheMultipartThreshold_CopiedInPartsServerSideWithBytesAndOid()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var proxy = new FaultProxy(TestEnvironment.Endpoint, _ => ProxyAction.Forward);
        // The threshold stands in for S3's 5 GB limit of one CopyObject: the same path, with a 12 MiB object.
        var store = Store(bucket, proxy.Url, ("lfs-s3.multipartthreshold", "1MiB"), ("lfs-s3.partsize", "5MiB"));
        var (file1, data1, oid1) = RandomFile(12 << 20, 21);
        var (file2, data2, oid2) = RandomFile(2000, 22);
        var v1 = await store.UploadAsync("p/big.bin", file1, data1.Length, oid1, new RecordingProgress(), default);
        await store.UploadAsync("p/big.bin", file2, data2.Length, oid2, new RecordingProgress(), default);
        var before = proxy.Requests.Count;

        var promoted = await store.PromoteAsync("p/big.bin", v1, default);

        var latest = (await store.ListVersionsAsync("p/big.bin", default))[0];
        Assert.Equal((promoted, true, data1.LongLength), (latest.VersionId, latest.IsLatest, latest.Size));
        Assert.Equal(data1, await ReadAsync(store, "p/big.bin", promoted));
        Assert.Equal(oid1, await store.GetOidAsync("p/big.bin", promoted, default));
        var copies = proxy.Requests.Skip(before).Where(r => r.Method == "PUT" && r.Headers.ContainsKey("x-amz-copy-source")).ToList();
        Assert.Equal(3, copies.Count);
        Assert.All(copies, r => Assert.Contains("partNumber=", r.Target, StringComparison.Ordinal));
    }

    private static IObjectStore Store(string bucket, string? endpoint = null, params (string Key, string Value)[] more)
    {
        var env = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = TestEnvironment.AccessKey,
            ["AWS_SECRET_ACCESS_KEY"] = TestEnvironment.SecretKey,
        };
        var settings = SettingsResolver.Resolve(env, new Dictionary<string, string>(), new Dictionary<string, string>
        {
            ["lfs-s3.bucket"] = bucket,
            ["lfs-s3.endpoint"] = endpoint ?? TestEnvironment.Endpoint,
        }.Concat(more.Select(m => KeyValuePair.Create(m.Key, m.Value))).ToDictionary());
        return new S3ObjectStoreFactory().Create(settings);
    }
}
