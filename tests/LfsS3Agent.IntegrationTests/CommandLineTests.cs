using System.Text.Json;

namespace LfsS3Agent.IntegrationTests;

/// <summary>
/// Issue 23 through the native binary: env, completion in real bash, did-you-mean, the flags people type, --json reports,
/// SigV4 links, the log level check and the download trace, progress lines.
/// </summary>
public sealed class CommandLineTests
{
    private const string GitBashCompletion = "/usr/share/bash-completion/completions/git";

    [Fact]
    public void Completion_InstalledByTheScript_CompletesGitLfsS3AndGitDashLfsS3InRealBash()
    {
        using var box = new Sandbox(viaInstallScript: true);
        var prefix = Path.Combine(box.Root, "prefix");
        var bashFile = Path.Combine(prefix, "share", "bash-completion", "completions", "git-lfs-s3");
        var zshFile = Path.Combine(prefix, "share", "zsh", "site-functions", "_git-lfs-s3");
        Assert.True(File.Exists(GitBashCompletion), "git's bash completion is part of the git package");
        // git's completion loads a subcommand's completion through bash-completion's _completion_loader, by the name git-<command>.
        var script = $$"""
            _completion_loader () { . '{{Path.GetDirectoryName(bashFile)}}/'"$1"; }
            . {{GitBashCompletion}}
            complete_git () { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; COMPREPLY=(); __git_wrap__git_main; printf '%s|' "${COMPREPLY[@]}"; echo; }
            complete_git git lfs-s3 pr
            complete_git git lfs-s3 prune --d
            complete_git git lfs-s3 locks --
            complete_git git lfs-s3 completion ''
            complete -p git-lfs-s3
            COMP_WORDS=(git-lfs-s3 st); COMP_CWORD=1; _git_lfs_s3; printf '%s|' "${COMPREPLY[@]}"; echo
            """;

        var run = box.Run("bash", box.Root, ["--norc", "-c", script]).AssertOk();

        var lines = run.Stdout.Split('\n');
        Assert.Equal("prune |", lines[0]);
        Assert.Equal("--dry-run |", lines[1]);
        Assert.Equal("--help |--json |--path |", lines[2]);
        Assert.Equal("bash |zsh |", lines[3]);
        Assert.Equal("complete -o bashdefault -o default -o nospace -F _git_lfs_s3 git-lfs-s3", lines[4]);
        Assert.Equal("status |", lines[5]);
        Assert.StartsWith("#compdef git-lfs-s3", File.ReadAllText(zshFile));

        box.Run("bash", box.Root, [Path.Combine(TestEnvironment.RepoRoot, "scripts", "install.sh"), "--prefix", prefix, "--uninstall"]).AssertOk();

        Assert.False(File.Exists(bashFile));
        Assert.False(File.Exists(zshFile));
    }

    [Fact]
    public async Task Env_SettingsFromEachPlace_ValueAndSourceOfEachAndNoSecret()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        box.Git(work, "config", "--global", "lfs-s3.parallelism", "3").AssertOk();
        box.Git(work, "config", "lfs-s3.maxretries", "5").AssertOk();
        box.Env["LFS_S3_PART_SIZE"] = "8MiB";

        var json = box.Agent(work, "env", "--json").AssertOk();
        var text = box.Agent(work, "env").AssertOk();
        var doctor = box.Agent(work, "doctor").AssertOk();
        var doctorJson = box.Agent(work, "doctor", "--json").AssertOk();

        using var doc = JsonDocument.Parse(json.Stdout);
        var settings = doc.RootElement.GetProperty("settings").EnumerateArray()
            .ToDictionary(e => e.GetProperty("name").GetString()!, e => (Value: e.GetProperty("value").GetString(), Source: e.GetProperty("source").GetString()!));
        Assert.Equal((bucket, ".lfs-s3/config lfs-s3.bucket"), settings["lfs-s3.bucket"]);
        Assert.Equal("3", settings["lfs-s3.parallelism"].Value);
        Assert.Matches(@"^git config lfs-s3\.parallelism \(global file:.*\.gitconfig\)$", settings["lfs-s3.parallelism"].Source);
        Assert.Equal(("5", "git config lfs-s3.maxretries (local file:.git/config)"), settings["lfs-s3.maxretries"]);
        Assert.Equal(("8MiB", "environment LFS_S3_PART_SIZE"), settings["lfs-s3.partsize"]);
        Assert.Equal(("when_required", "default"), settings["lfs-s3.checksum"]);
        var store = doc.RootElement.GetProperty("store").EnumerateArray()
            .ToDictionary(e => e.GetProperty("name").GetString()!, e => (Value: e.GetProperty("value").GetString(), Source: e.GetProperty("source").GetString()!));
        Assert.Equal((TestEnvironment.Endpoint, ".lfs-s3/config lfs-s3.endpoint"), store["endpoint"]);
        Assert.Equal(("us-east-1", "environment AWS_REGION"), store["region"]);
        Assert.Equal("environment AWS_ACCESS_KEY_ID", store["credentials"].Value);
        var wiring = doc.RootElement.GetProperty("wiring").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!, e => e.GetProperty("value").GetString());
        Assert.Equal("lfs-s3", wiring["transfer agent"]);
        Assert.Contains("lfs.customtransfer.lfs-s3.path", wiring.Keys);
        Assert.Equal(wiring["lfs.url"], wiring[".lfsconfig lfs.url"]); // this clone's pin and the committed URL, each its own row
        Assert.DoesNotContain(TestEnvironment.SecretKey, json.All + text.All);
        Assert.Contains("agent wiring (as git-lfs resolves it):", text.Stdout);
        Assert.Matches($@"(?m)^ok +settings .*endpoint {System.Text.RegularExpressions.Regex.Escape(TestEnvironment.Endpoint)} .*region us-east-1 \(environment AWS_REGION\)", doctor.Stdout);
        using var checks = JsonDocument.Parse(doctorJson.Stdout);
        Assert.True(checks.RootElement.GetProperty("ok").GetBoolean());
        Assert.Contains(checks.RootElement.GetProperty("checks").EnumerateArray(), c => c.GetProperty("name").GetString() == "settings" && c.GetProperty("status").GetString() == "ok");
    }

    [Fact]
    public async Task Url_ManyExpiries_AlwaysSigV4AndTheLongestStillServesTheFile()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var data = Sandbox.WriteRandom(work, "a.bin", 5_000, 1);
        box.CommitAndPush(work, "a");
        string[] expiries = ["1s", "90s", "1h", "12h", "1d", "2d", "6d", "6d23h59m", "167h", "7d", "1w", "604800"];

        var links = expiries.Select(e => (Expires: e, Link: box.Agent(work, "url", "a.bin", "--expires", e).AssertOk().Stdout.Trim())).ToList();
        var tooLong = box.Agent(work, "url", "a.bin", "--expires", "8d");

        Assert.All(links, l =>
        {
            Assert.Contains("X-Amz-Signature=", l.Link);
            Assert.Contains("X-Amz-Algorithm=AWS4-HMAC-SHA256", l.Link);
            Assert.DoesNotContain("AWSAccessKeyId=", l.Link);
        });
        Assert.Equal(2, tooLong.ExitCode);
        Assert.Contains("longer than 7 days", tooLong.Stderr);
        using var http = new HttpClient();
        Assert.Equal(data, await http.GetByteArrayAsync(links.Single(l => l.Expires == "7d").Link));
    }

    [Fact]
    public async Task LogLevel_BogusInEnvironmentOrGitConfig_RefusedWithTheValidNames_DebugNamesTheDownloadedVersion()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var data = Sandbox.WriteRandom(work, "a.bin", 5_000, 2);
        box.CommitAndPush(work, "a");

        var fromEnv = box.Run(TestEnvironment.Binary, work, ["status"], extraEnv: new Dictionary<string, string?> { ["LFS_S3_LOG_LEVEL"] = "bogus" });
        box.Git(work, "config", "lfs-s3.loglevel", "loud").AssertOk();
        var fromConfig = box.Agent(work, "status");
        box.Git(work, "config", "--unset", "lfs-s3.loglevel").AssertOk();
        var clone = Path.Combine(box.Root, "clone");
        var cloned = box.Run("git", box.Root, ["clone", "-q", box.Origin, clone],
            extraEnv: new Dictionary<string, string?> { ["GIT_TRACE"] = "1", ["LFS_S3_LOG_LEVEL"] = "debug" }).AssertOk();

        Assert.Equal(1, fromEnv.ExitCode);
        Assert.Contains("fatal: lfs-s3.loglevel \"bogus\" (environment LFS_S3_LOG_LEVEL) is not a log level: use trace, debug, information, warning, error or none", fromEnv.Stderr);
        Assert.Equal(1, fromConfig.ExitCode);
        Assert.Contains("lfs-s3.loglevel \"loud\" (git config lfs-s3.loglevel", fromConfig.Stderr);
        var version = (await TestEnvironment.VersionsAsync(bucket)).Single(v => v.Key == "my-repo/a.bin").VersionId;
        Assert.Matches($"downloaded {Sandbox.Sha256(data)} from .*my-repo/a\\.bin version {System.Text.RegularExpressions.Regex.Escape(version)} ", cloned.Stderr);
        Assert.Equal(data, File.ReadAllBytes(Path.Combine(clone, "a.bin")));
    }

    [Fact]
    public async Task ReportVerbs_Json_OneDocumentEachWithTheirFields()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "a.bin", 5_000, 3);
        box.CommitAndPush(work, "a");
        box.Agent(work, "lock", "a.bin").AssertOk();

        using var status = JsonDocument.Parse(box.Agent(work, "status", "--json").AssertOk().Stdout);
        using var verify = JsonDocument.Parse(box.Agent(work, "verify", "--content", "--json").AssertOk().Stdout);
        using var prune = JsonDocument.Parse(box.Agent(work, "prune", "--dry-run", "--json").AssertOk().Stdout);
        using var locks = JsonDocument.Parse(box.Agent(work, "locks", "--json").AssertOk().Stdout);
        var pruneText = box.Agent(work, "prune", "--dry-run").AssertOk();

        Assert.True(status.RootElement.GetProperty("inSync").GetBoolean());
        Assert.Equal(1, status.RootElement.GetProperty("branchEntries").GetInt32());
        Assert.Equal(1, verify.RootElement.GetProperty("objects").GetInt32());
        Assert.True(verify.RootElement.GetProperty("ok").GetBoolean() && verify.RootElement.GetProperty("content").GetBoolean());
        Assert.False(prune.RootElement.GetProperty("applied").GetBoolean());
        Assert.Equal(0, prune.RootElement.GetProperty("versions").GetArrayLength());
        Assert.Equal(30, prune.RootElement.GetProperty("graceDays").GetDouble());
        var l = Assert.Single(locks.RootElement.EnumerateArray());
        Assert.Equal("a.bin", l.GetProperty("path").GetString());
        Assert.Equal("Dev", l.GetProperty("owner").GetProperty("name").GetString());
        Assert.True(l.GetProperty("locked_at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddHours(-1));
        Assert.False(string.IsNullOrEmpty(l.GetProperty("id").GetString()));
        Assert.Contains("Nothing deleted: run with --apply", pruneText.Stdout);
    }

    [Fact]
    public async Task UsageTransfers_SinceAndUntilAsGitLogTakesThem_WindowApplied()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "a.bin", 5_000, 4);
        box.CommitAndPush(work, "a");

        using var recent = JsonDocument.Parse(box.Agent(work, "usage", "--transfers", "--since", "2 weeks ago", "--json").AssertOk().Stdout);
        using var old = JsonDocument.Parse(box.Agent(work, "usage", "--transfers", "--since", "2020-01-01", "--until", "2 weeks ago", "--json").AssertOk().Stdout);
        var bogus = box.Agent(work, "usage", "--transfers", "--since", "someday");

        Assert.Equal(1, Assert.Single(recent.RootElement.EnumerateArray()).GetProperty("succeeded").GetInt32());
        Assert.Equal(0, old.RootElement.GetArrayLength());
        Assert.Equal(2, bogus.ExitCode);
        Assert.Contains("is not a time", bogus.Stderr);
    }

    [Fact]
    public async Task Progress_ForcedOrNotATerminalOrQuiet_ShownOnlyWhenForcedAndNotQuiet()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "a.bin", 5_000, 5);
        Sandbox.WriteRandom(work, "b.bin", 7_000, 6);
        box.CommitAndPush(work, "ab");
        var forced = new Dictionary<string, string?> { ["LFS_S3_PROGRESS"] = "1" };

        var plain = box.Agent(work, "verify", "--content").AssertOk();
        var shown = box.Run(TestEnvironment.Binary, work, ["verify", "--content"], extraEnv: forced).AssertOk();
        var quiet = box.Run(TestEnvironment.Binary, work, ["verify", "--content", "--quiet"], extraEnv: forced).AssertOk();
        var rebuild = box.Run(TestEnvironment.Binary, work, ["rebuild"], extraEnv: forced).AssertOk();

        Assert.Equal("", plain.Stderr);
        Assert.Matches(@"hashing stored objects: 2/2 objects, 11\.7 KiB, [0-9.]+ [KMG]?i?B/s", shown.Stderr);
        Assert.Equal("", quiet.Stderr);
        Assert.Contains("looking for history's objects: 2/2 objects", rebuild.Stderr);
        Assert.Equal(plain.Stdout, shown.Stdout);
    }

    [Fact]
    public async Task TypedAsUsersTypeThem_DidYouMeanVersionHelpAndAwsCliSpellingsOfInit()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        Directory.CreateDirectory(Path.Combine(box.Home, ".aws"));
        File.WriteAllText(Path.Combine(box.Home, ".aws", "credentials"),
            $"[team]\naws_access_key_id = {TestEnvironment.AccessKey}\naws_secret_access_key = {TestEnvironment.SecretKey}\n");

        var typo = box.Agent(box.Root, "stauts");
        var versionHelp = box.Agent(box.Root, "version", "--help").AssertOk();
        var work = box.CreateRepositoryWith("*.bin", "--bucket", bucket, "--prefix", "aws-cli", "--endpoint-url", TestEnvironment.Endpoint, "--profile", "team");

        Assert.Equal(2, typo.ExitCode);
        Assert.Contains("The most similar verb is\n\tstatus", typo.Stderr);
        Assert.StartsWith("usage: git lfs-s3 version", versionHelp.Stdout);
        Assert.Equal(TestEnvironment.Endpoint, box.Git(work, "config", "-f", ".lfs-s3/config", "lfs-s3.endpoint").AssertOk().Stdout.Trim());
        Assert.Equal("team", box.Git(work, "config", "--local", "lfs-s3.profile").AssertOk().Stdout.Trim());
        Assert.Equal(1, box.Git(work, "config", "-f", ".lfs-s3/config", "lfs-s3.profile").ExitCode);
        var data = Sandbox.WriteRandom(work, "a.bin", 3_000, 7);
        box.CommitAll(work, "a");
        box.Git(work, "push", "-q", "origin", "main").AssertOk();
        using var env = JsonDocument.Parse(box.Agent(work, "env", "--json").AssertOk().Stdout);
        var store = env.RootElement.GetProperty("store").EnumerateArray().ToDictionary(e => e.GetProperty("name").GetString()!, e => e.GetProperty("value").GetString());
        Assert.Equal("team", store["profile"]);
        Assert.Equal(data.Length, (await TestEnvironment.VersionsAsync(bucket)).Single(v => v.Key == "aws-cli/a.bin").Size);
    }
}
