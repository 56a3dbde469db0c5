using System.Net;
using System.Net.Sockets;
using LfsS3Agent.Tests.Shared;

namespace LfsS3Agent.IntegrationTests;

/// <summary>
/// Issue 21, cases 7, 8 and 9 end to end: a commit that points .lfsconfig at another LFS server is never followed
/// silently; downloads of older commits use the storage this clone trusts; a black-holed endpoint fails in seconds.
/// </summary>
public sealed class HostileConfigTests
{
    [Fact]
    public async Task Push_CommitPointsLfsUrlAtAnotherServer_SendsItNothingAndStatusAndDoctorSaySo()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "a.bin", 4000, 71);
        box.CommitAndPush(work, "a");
        var teammate = Path.Combine(box.Root, "teammate");
        box.Git(box.Root, "clone", "-q", box.Origin, teammate).AssertOk();
        using var hostile = new CountingServer();
        // Someone's commit points every clone's LFS at their own HTTP server.
        box.Git(work, "config", "-f", ".lfsconfig", "lfs.url", hostile.Url).AssertOk();
        box.CommitAndPush(work, "Move LFS");
        box.Git(teammate, "pull", "-q").AssertOk();
        Sandbox.WriteRandom(teammate, "b.bin", 4000, 72);
        box.CommitAll(teammate, "b");

        var push = box.Git(teammate, "push", "-q", "origin", "main");
        var status = box.Agent(teammate, "status");
        var doctor = box.Agent(teammate, "doctor");

        push.AssertOk();
        Assert.Equal(0, hostile.Bytes);
        Assert.Contains("my-repo/b.bin", (await TestEnvironment.VersionsAsync(bucket)).Select(v => v.Key));
        status.AssertOk();
        Assert.Contains($"the committed .lfsconfig sets lfs.url = {hostile.Url} (changed in commit ", status.Stdout);
        Assert.Contains("\"Move LFS\"", status.Stdout);
        Assert.Contains("keeps lfs.url = https://run-git-lfs-s3-install.invalid/, pinned in .git/config", status.Stdout);
        Assert.Contains("`git lfs-s3 trust`", status.Stdout);
        Assert.DoesNotContain("everything is in sync", status.Stdout);
        Assert.Matches($"(?m)^FAIL +lfs.url +the committed .lfsconfig sets lfs.url = {hostile.Url}", doctor.Stdout);
        Assert.Matches("(?m)^ok +agent ", doctor.Stdout);
    }

    [Fact]
    public async Task Trust_AfterACommitChangedLfsUrl_PinsTheNewUrlAndStatusIsQuiet()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        box.Git(work, "push", "-q", "origin", "main").AssertOk();
        const string moved = "https://lfs.example.invalid/org/repo";
        box.Git(work, "config", "-f", ".lfsconfig", "lfs.url", moved).AssertOk();
        box.CommitAll(work, "Move LFS");

        var before = box.Git(work, "config", "--local", "lfs.url").AssertOk().Stdout.Trim();
        var trust = box.Agent(work, "trust").AssertOk();

        Assert.Equal("https://run-git-lfs-s3-install.invalid/", before);
        Assert.Contains($"lfs.url = \"{moved}\"", trust.Stdout);
        Assert.Equal(moved, box.Git(work, "config", "--local", "lfs.url").AssertOk().Stdout.Trim());
        Assert.Equal(moved, box.Git(work, "config", "--local", "lfs.pushurl").AssertOk().Stdout.Trim());
        Assert.DoesNotContain("lfs.url", box.Agent(work, "status").AssertOk().Stdout);
    }

    [Fact]
    public async Task Checkout_OlderCommitAfterATrustedKeyRotation_DownloadsWithTheTrustedSettings()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket, initExtra: ["--sse", "aws:kms", "--kms-key", "testkey-1"]);
        var old = Sandbox.WriteRandom(work, "a.bin", 3000, 81);
        box.CommitAndPush(work, "a");
        var first = box.Git(work, "rev-parse", "HEAD").AssertOk().Stdout.Trim();
        box.Git(work, "config", "-f", ".lfs-s3/config", "lfs-s3.ssekmskeyid", "testkey-2").AssertOk();
        box.CommitAll(work, "Rotate the key");
        box.Agent(work, "trust").AssertOk();
        var current = Sandbox.WriteRandom(work, "a.bin", 3000, 82);
        box.CommitAndPush(work, "a, encrypted with the new key");
        var teammate = Path.Combine(box.Root, "teammate");
        box.Git(box.Root, "clone", "-q", box.Origin, teammate).AssertOk();

        var checkout = box.Git(teammate, "checkout", "-q", first);

        checkout.AssertOk();
        Assert.Equal(old, File.ReadAllBytes(Path.Combine(teammate, "a.bin")));
        Assert.Equal("", box.Git(teammate, "status", "--porcelain").AssertOk().Stdout);
        box.Git(teammate, "checkout", "-q", "main").AssertOk();
        Assert.Equal(current, File.ReadAllBytes(Path.Combine(teammate, "a.bin")));
    }

    [Fact]
    public async Task PullAndVerify_EndpointSwallowsRequests_FailWithinTheTimeoutNamingEndpointAndSetting()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "a.bin", 5000, 91);
        box.CommitAndPush(work, "a");
        var clone = Path.Combine(box.Root, "clone");
        box.Run("git", box.Root, ["clone", "-q", box.Origin, clone], extraEnv: new Dictionary<string, string?> { ["GIT_LFS_SKIP_SMUDGE"] = "1" }).AssertOk();
        using var blackHole = new FaultProxy(null, _ => ProxyAction.BlackHole);
        var env = new Dictionary<string, string?>
        {
            ["LFS_S3_ENDPOINT"] = blackHole.Url, ["LFS_S3_TIMEOUT"] = "2s", ["LFS_S3_MAX_RETRIES"] = "1",
        };

        var pull = box.Run("git", clone, ["lfs", "pull"], extraEnv: env);
        var verify = box.Run(TestEnvironment.Binary, clone, ["verify", "--content"], extraEnv: env);

        Assert.NotEqual(0, pull.ExitCode);
        Assert.Contains($"the S3 endpoint {blackHole.Url} accepted the connection but sent no answer for 2 s (lfs-s3.timeout)", pull.Stderr);
        Assert.NotEqual(0, verify.ExitCode);
        Assert.Contains("(lfs-s3.timeout)", verify.All);
        Assert.NotEmpty(blackHole.Requests);
    }

    /// <summary>A stand-in for someone else's LFS server: counts every byte any client sends it, answers 404.</summary>
    private sealed class CountingServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private long _bytes;

        public CountingServer()
        {
            _listener.Start();
            _ = AcceptAsync();
        }

        public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/org/repo.git/info/lfs";

        public long Bytes => Interlocked.Read(ref _bytes);

        private async Task AcceptAsync()
        {
            while (true)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync();
                }
                catch (Exception ex) when (ex is ObjectDisposedException or SocketException or InvalidOperationException)
                {
                    return;
                }

                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        try
                        {
                            var stream = client.GetStream();
                            var buffer = new byte[65536];
                            var read = await stream.ReadAsync(buffer);
                            Interlocked.Add(ref _bytes, read);
                            await stream.WriteAsync("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray());
                        }
                        catch (Exception ex) when (ex is IOException or SocketException)
                        {
                            // the client went away
                        }
                    }
                });
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}
