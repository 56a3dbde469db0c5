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

    private static IObjectStore Store(string bucket)
    {
        var env = new Dictionary<string, string>
        {
            ["AWS_ACCESS_KEY_ID"] = TestEnvironment.AccessKey,
            ["AWS_SECRET_ACCESS_KEY"] = TestEnvironment.SecretKey,
        };
        var settings = SettingsResolver.Resolve(env, new Dictionary<string, string>(), new Dictionary<string, string>
        {
            ["lfs-s3.bucket"] = bucket,
            ["lfs-s3.endpoint"] = TestEnvironment.Endpoint,
        });
        return new S3ObjectStoreFactory().Create(settings);
    }
}
