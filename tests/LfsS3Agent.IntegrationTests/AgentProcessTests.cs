using System.Text.Json;

namespace LfsS3Agent.IntegrationTests;

/// <summary>The native binary driven directly over its stdin/stdout, as git-lfs drives it.</summary>
public sealed class AgentProcessTests
{
    [Fact]
    public async Task Agent_RealUploadsAndBadLines_StdoutHoldsOnlyProtocolMessagesOneAnswerEach()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var data = Sandbox.WriteRandom(work, "a.bin", 3_000_000, 60);
        box.CommitAll(work, "a");
        var oid = Sandbox.Sha256(data);
        var objectPath = Path.Combine(work, ".git", "lfs", "objects", oid[..2], oid[2..4], oid);
        var missing = new string('e', 64);
        var input = string.Join("\n",
            """{"event":"init","operation":"upload","remote":"origin","concurrent":true,"concurrenttransfers":8}""",
            "{ not json",
            $$"""{"event":"upload","oid":"{{oid}}","size":{{data.Length}},"path":"{{objectPath}}","action":null}""",
            $$"""{"event":"upload","oid":"{{missing}}","size":5,"path":"/nonexistent/{{missing}}","action":null}""",
            """{"event":"fly"}""",
            """{"event":"terminate"}""") + "\n";

        var result = box.Run(TestEnvironment.Binary, work, ["agent"], input);

        result.AssertOk();
        var messages = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Empty(messages[0].EnumerateObject());
        var completes = messages.Where(m => m.TryGetProperty("event", out var e) && e.GetString() == "complete").ToList();
        Assert.Equal(2, completes.Count);
        Assert.False(completes[0].TryGetProperty("error", out _), completes[0].ToString());
        Assert.Equal(404, completes[1].GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(2, messages.Count(m => m.TryGetProperty("error", out _) && !m.TryGetProperty("event", out _)));
        Assert.Equal(data.Length, messages.Where(m => m.TryGetProperty("bytesSinceLast", out _)).Sum(m => m.GetProperty("bytesSinceLast").GetInt64()));
        Assert.All(messages, m => Assert.True(m.ValueKind == JsonValueKind.Object));
        Assert.Contains("uploaded", result.Stderr); // logs go to stderr
    }

    [Fact]
    public void Agent_InitThenEndOfInput_AnswersAndExitsWithoutTouchingNetwork()
    {
        using var box = new Sandbox();
        box.Git(box.Root, "init", "-q", "repo").AssertOk();

        var result = box.Run(TestEnvironment.Binary, Path.Combine(box.Root, "repo"), ["agent"],
            """{"event":"init","operation":"download","remote":"origin","concurrent":true,"concurrenttransfers":8}""" + "\n");

        result.AssertOk();
        Assert.Equal("{}\n", result.Stdout);
    }

    [Fact]
    public void InstallThenUninstall_GlobalConfig_BackToWhatItWas()
    {
        using var box = new Sandbox();
        var installed = box.Git(box.Root, "config", "--global", "--list").AssertOk().Stdout;
        Assert.Contains("lfs.https://run-git-lfs-s3-install.invalid/.standalonetransferagent=lfs-s3", installed);
        Assert.DoesNotContain("\nlfs.standalonetransferagent=", "\n" + installed);
        Assert.Contains($"lfs.customtransfer.lfs-s3.path={TestEnvironment.Binary}", installed);
        Assert.Contains("filter.lfs.process=git-lfs filter-process", installed);

        box.Agent(box.Root, "install").AssertOk();
        Assert.Equal(installed, box.Git(box.Root, "config", "--global", "--list").AssertOk().Stdout);
        box.Agent(box.Root, "uninstall").AssertOk();

        var after = box.Git(box.Root, "config", "--global", "--list").AssertOk().Stdout;
        Assert.Equal("user.email=dev@example.com\nuser.name=Dev\ninit.defaultbranch=main\nadvice.detachedhead=false\n", after);
    }
}

public sealed class AgentOrphanTests
{
    [Fact]
    public async Task Upload_OidNotInHistory_StoredUnderReservedPrefixAndLogged()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var data = new byte[12_345];
        new Random(80).NextBytes(data);
        var oid = Sandbox.Sha256(data);
        var file = Path.Combine(box.Root, "loose-object");
        File.WriteAllBytes(file, data);
        var log = Path.Combine(box.Root, "agent.log");
        var input = """{"event":"init","operation":"upload","remote":"origin","concurrent":true,"concurrenttransfers":8}""" + "\n"
                    + $$"""{"event":"upload","oid":"{{oid}}","size":{{data.Length}},"path":"{{file}}","action":null}""" + "\n"
                    + """{"event":"terminate"}""" + "\n";

        var result = box.Run(TestEnvironment.Binary, work, ["agent"], input, new Dictionary<string, string?> { ["LFS_S3_LOG_FILE"] = log });

        result.AssertOk();
        Assert.DoesNotContain("\"error\"", result.Stdout);
        var key = $"my-repo/.git/lfs/objects/{oid[..2]}/{oid[2..4]}/{oid}";
        Assert.Contains(key, (await TestEnvironment.VersionsAsync(bucket)).Select(v => v.Key));
        Assert.Contains($"uploaded {oid}", File.ReadAllText(log));
    }
}
