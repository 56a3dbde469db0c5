using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace LfsS3Agent.IntegrationTests;

/// <summary>
/// What the integration tests need from outside: the native binary and a real S3 server. Both are provided by
/// scripts/test.sh (LFS_S3_BIN, S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); missing ones fail the
/// tests with a message rather than skipping them.
/// </summary>
internal static class TestEnvironment
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Binary { get; } = FindBinary();

    public static string Endpoint => Require("S3_ENDPOINT");

    public static string AccessKey => Require("AWS_ACCESS_KEY_ID");

    public static string SecretKey => Require("AWS_SECRET_ACCESS_KEY");

    public static AmazonS3Client Admin { get; } = new(new BasicAWSCredentials(AccessKey, SecretKey), new AmazonS3Config
    {
        ServiceURL = Endpoint,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
    });

    /// <summary>Keys of a second S3 user of the same server, who has no access to the first user's buckets.</summary>
    public static (string AccessKey, string SecretKey) OtherUser => OtherUserKeys.Value;

    private static readonly Lazy<(string, string)> OtherUserKeys = new(() =>
    {
        const string access = "LFSOTHERUSERKEY00001", secret = "lfsotherusersecret00000000000000000000001";
        var conf = Path.Combine(Require("S3_STATE_DIR"), "ceph.conf");
        var info = new System.Diagnostics.ProcessStartInfo("radosgw-admin") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-c", conf, "-n", "client.admin", "user", "create", "--uid=lfs-other", "--display-name=Other",
                     $"--access-key={access}", $"--secret-key={secret}" })
        {
            info.ArgumentList.Add(a);
        }

        using var p = System.Diagnostics.Process.Start(info)!;
        p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (access, secret);
    });

    /// <summary>A fresh bucket, with versioning on unless asked otherwise.</summary>
    public static async Task<string> CreateBucketAsync(bool versioned = true)
    {
        var name = "it-" + Guid.NewGuid().ToString("N")[..16];
        await Admin.PutBucketAsync(name);
        if (versioned)
        {
            await Admin.PutBucketVersioningAsync(new PutBucketVersioningRequest
            {
                BucketName = name,
                VersioningConfig = new S3BucketVersioningConfig { Status = VersionStatus.Enabled },
            });
        }

        return name;
    }

    /// <summary>
    /// Every (key, version id, size) in the bucket, delete markers left out, and repository markers
    /// (<c>.git/lfs-s3/repositories/</c>, written by init and the first push) unless <paramref name="markers"/>.
    /// </summary>
    public static async Task<List<(string Key, string VersionId, long Size)>> VersionsAsync(string bucket, bool markers = false)
    {
        var result = new List<(string, string, long)>();
        var request = new ListVersionsRequest { BucketName = bucket };
        while (true)
        {
            var response = await Admin.ListVersionsAsync(request);
            result.AddRange((response.Versions ?? []).Where(v => v.IsDeleteMarker != true && (markers || !v.Key.Contains(".git/lfs-s3/repositories/", StringComparison.Ordinal)))
                .Select(v => (v.Key, v.VersionId, v.Size ?? 0)));
            if (response.IsTruncated != true)
            {
                return result;
            }

            request.KeyMarker = response.NextKeyMarker;
            request.VersionIdMarker = response.NextVersionIdMarker;
        }
    }

    private static string Require(string name) =>
        System.Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run the integration tests through scripts/test.sh, which starts the S3 server");

    private static string FindBinary()
    {
        if (System.Environment.GetEnvironmentVariable("LFS_S3_BIN") is { Length: > 0 } bin)
        {
            return Path.GetFullPath(bin);
        }

        var path = Path.Combine(RepoRoot, "artifacts", "bin", "git-lfs-s3");
        return File.Exists(path)
            ? path
            : throw new InvalidOperationException($"{path} is missing: publish it with scripts/test.sh (or dotnet publish src/LfsS3Agent -c Release -o artifacts/bin)");
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LfsS3Agent.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("cannot find the repository root (LfsS3Agent.sln)");
    }
}
