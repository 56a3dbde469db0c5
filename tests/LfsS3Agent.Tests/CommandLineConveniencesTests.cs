using System.Text.Json;
using LfsS3Agent.Commands;
using LfsS3Agent.Commands.Shared;
using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.S3;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LfsS3Agent.Tests;

/// <summary>Issue 23's command-line conveniences: did-you-mean, completion scripts, flags people type, dates, JSON shapes.</summary>
public sealed class CommandLineConveniencesTests : IDisposable
{
    private readonly StringWriter _stdout = new();
    private readonly StringWriter _stderr = new();

    private List<Verb> Verbs() => new ServiceCollection()
        .AddSingleton(new ProcessEnvironment(Path.GetTempPath(), new Dictionary<string, string>()))
        .AddSingleton<IObjectStoreFactory, StoreFactory>()
        .AddSingleton<TextWriter>(_stdout)
        .AddSingleton(new AgentStreams(() => Stream.Null, () => Stream.Null))
        .AddSingleton(new AgentLoggerProvider(TextWriter.Null, LogLevel.None, null))
        .AddSingleton(typeof(ILogger<>), typeof(NullLogger<>))
        .AddVerbs()
        .BuildServiceProvider().GetServices<Verb>().ToList();

    private Task<int> RunAsync(params string[] args) => new Application(Verbs(), _stdout, _stderr).RunAsync(args, CancellationToken.None);

    [Theory]
    [InlineData("ab", "ba", 0)]
    [InlineData("status", "status", 0)]
    [InlineData("stat", "status", 2)]
    [InlineData("statuss", "status", 3)]
    [InlineData("stotus", "status", 2)]
    public void Distance_GitsWeights_SwapFreeInsertOneDeleteThreeSubstituteTwo(string typed, string verb, int expected)
    {
        Assert.Equal(expected, Suggestion.Distance(typed, verb, 0, 2, 1, 3));
    }

    [Theory]
    [InlineData("stauts", "status")]
    [InlineData("verfy", "verify")]
    [InlineData("prnue", "prune")]
    [InlineData("enc", "env")]
    [InlineData("docter", "doctor")]
    public void Closest_OneTypo_ThatVerb(string typed, string expected)
    {
        Assert.Equal([expected], Suggestion.Closest(typed, Verbs().Select(v => v.Name)));
    }

    [Fact]
    public void Closest_NothingAlike_NoSuggestion()
    {
        Assert.Empty(Suggestion.Closest("frobnicate", Verbs().Select(v => v.Name)));
    }

    [Fact]
    public void Progress_StepsFromManyThreads_TheLineEndsOnTheFinalCount()
    {
        for (var round = 0; round < 200; round++)
        {
            var output = new StringWriter();
            var progress = new TerminalProgress("hashing", 32, output);

            Parallel.For(0, 32, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ => progress.Step(1024));
            progress.Done();

            Assert.StartsWith("hashing: 32/32 objects, 32.0 KiB, ", output.ToString().Split('\r')[^1]);
        }
    }

    [Fact]
    public async Task Run_MistypedVerb_ExitTwoSuggestingTheClosest()
    {
        var code = await RunAsync("stauts");

        Assert.Equal(2, code);
        Assert.Equal("error: unknown verb \"stauts\"\n\nThe most similar verb is\n\tstatus\n\nSee `git lfs-s3 --help` for every verb.",
            _stderr.ToString().Trim().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Run_UnknownVerbLikeNothing_MainHelp()
    {
        var code = await RunAsync("frobnicate");

        Assert.Equal(2, code);
        Assert.Contains("usage: git lfs-s3 <verb>", _stderr.ToString());
        Assert.DoesNotContain("most similar", _stderr.ToString());
    }

    [Theory]
    [InlineData("version", "--help")]
    [InlineData("version", "-h")]
    [InlineData("help", "version")]
    public async Task Run_VersionHelp_PrintsTheVerbsHelpNotTheVersion(string verb, string arg)
    {
        var code = await RunAsync(verb, arg);

        Assert.Equal(0, code);
        Assert.StartsWith("usage: git lfs-s3 version", _stdout.ToString());
    }

    [Theory]
    [InlineData("bash")]
    [InlineData("zsh")]
    public async Task Completion_EachShell_EveryVerbAndEveryOptionOfEachVerb(string shell)
    {
        var code = await RunAsync("completion", shell);

        Assert.Equal(0, code);
        var script = _stdout.ToString();
        foreach (var verb in Verbs().Where(v => !v.Hidden))
        {
            Assert.Contains(verb.Name, script);
            foreach (var option in verb.Flags.Concat(verb.ValueOptions))
            {
                Assert.Matches($@"\({verb.Name}\)|{verb.Name}\)", script);
                Assert.Contains("--" + option, script);
            }
        }

        Assert.Contains(shell == "bash" ? "_git_lfs_s3 ()" : "#compdef git-lfs-s3", script);
        Assert.DoesNotContain("agent)", script);
        Assert.DoesNotContain(" agent ", script.Split("\n").First(l => l.Contains("words=\"install", StringComparison.Ordinal) || l.Contains("verbs=(", StringComparison.Ordinal)));
    }

    [Fact]
    public void CompletionBash_Options_ListedUnderTheirOwnVerb()
    {
        var script = Completion.Script("bash", new Application(Verbs(), _stdout, _stderr).CompletionVerbs);

        var prune = script[script.IndexOf("            prune)", StringComparison.Ordinal)..];
        prune = prune[..prune.IndexOf("esac ;;", StringComparison.Ordinal)];
        Assert.Contains("words=\"--apply --dry-run --grace --help --json --quiet\"", prune);
        Assert.Contains("--grace) return 0", prune);
    }

    [Fact]
    public async Task Completion_UnknownShell_UsageErrorNamingTheShells()
    {
        var code = await RunAsync("completion", "fish");

        Assert.Equal(2, code);
        Assert.Contains("use bash or zsh", _stderr.ToString());
    }

    [Fact]
    public async Task Prune_DryRunAndApply_UsageError()
    {
        Assert.True(Verbs().Single(v => v.Name == "prune").Parse(["--dry-run"]).Has("dry-run"));

        var code = await RunAsync("prune", "--dry-run", "--apply");

        Assert.Equal(2, code);
        Assert.Contains("--dry-run and --apply exclude each other", _stderr.ToString());
    }

    [Fact]
    public void Init_AwsCliSpellings_ParsedBesideTheOldOnes()
    {
        var init = Verbs().Single(v => v.Name == "init");

        var args = init.Parse(["--bucket", "b", "--endpoint-url", "http://s3.local", "--profile=work"]);
        var old = init.Parse(["--bucket", "b", "--endpoint", "http://old"]);

        Assert.Equal("http://s3.local", args.Value("endpoint-url"));
        Assert.Equal("work", args.Value("profile"));
        Assert.Equal("http://old", old.Value("endpoint"));
    }

    [Fact]
    public async Task ParseDate_WhatGitLogTakes_ReadByGit()
    {
        using var repo = new TempGitRepo();

        var day = await repo.Cli.ParseDateAsync("2026-11-01 12:00:00 +0000", CancellationToken.None);
        var ago = await repo.Cli.ParseDateAsync("2 weeks ago", CancellationToken.None);
        var bogus = await repo.Cli.ParseDateAsync("not a date at all", CancellationToken.None);

        Assert.Equal(new DateTimeOffset(2026, 11, 1, 12, 0, 0, TimeSpan.Zero), day);
        Assert.InRange((DateTimeOffset.UtcNow - ago!.Value).TotalDays, 13.9, 14.1);
        Assert.Null(bogus);
    }

    [Fact]
    public async Task PointInTime_DurationOrGitDateOrNeither_TimeOrUsageError()
    {
        using var repo = new TempGitRepo();

        var duration = await Duration.PointInTimeAsync(repo.Cli, "since", "30d", CancellationToken.None);
        var date = await Duration.PointInTimeAsync(repo.Cli, "since", "yesterday", CancellationToken.None);
        var ex = await Assert.ThrowsAsync<UsageException>(() => Duration.PointInTimeAsync(repo.Cli, "until", "someday", CancellationToken.None));

        Assert.InRange((DateTimeOffset.UtcNow - duration).TotalDays, 29.9, 30.1);
        Assert.InRange((DateTimeOffset.UtcNow - date).TotalDays, 0.5, 2.1);
        Assert.Contains("--until \"someday\" is not a time", ex.Message);
    }

    [Fact]
    public void Resolve_GitConfigOrigins_SourceNamesScopeAndFile()
    {
        var git = new Dictionary<string, string> { ["lfs-s3.bucket"] = "b", ["lfs-s3.region"] = "eu-west-1" };
        var origins = new Dictionary<string, string> { ["lfs-s3.bucket"] = "global file:/home/u/.gitconfig" };

        var settings = SettingsResolver.Resolve(new Dictionary<string, string>(), git, new Dictionary<string, string>(), origins);

        Assert.Equal("git config lfs-s3.bucket (global file:/home/u/.gitconfig)", settings.Find(SettingNames.Bucket)!.Source);
        Assert.Equal("git config lfs-s3.region", settings.Find(SettingNames.Region)!.Source);
    }

    [Fact]
    public async Task LoadWithOrigins_LocalAndGlobalAndCommitted_EachSourceNamed()
    {
        using var repo = new TempGitRepo();
        repo.Git("config", "--global", "lfs-s3.region", "eu-west-1");
        repo.Git("config", "lfs-s3.bucket", "mine");
        repo.WriteFile(".lfs-s3/config", "[lfs-s3]\n\tprefix = team\n");
        var repository = await GitRepository.DiscoverAsync(repo.Cli);

        var settings = await SettingsResolver.LoadWithOriginsAsync(repository, new ProcessEnvironment(repo.Root, repo.Environment));

        Assert.Equal("git config lfs-s3.bucket (local file:.git/config)", settings.Find(SettingNames.Bucket)!.Source);
        Assert.Matches(@"^git config lfs-s3\.region \(global file:.*\.gitconfig\)$", settings.Find(SettingNames.Region)!.Source);
        Assert.Equal(".lfs-s3/config lfs-s3.prefix", settings.Find(SettingNames.Prefix)!.Source);
    }

    [Fact]
    public void ConfigListWithOrigins_RepeatedKey_LastOccurrenceWithItsOrigin()
    {
        var output = "global\0file:/h/.gitconfig\0lfs-s3.bucket\na\0local\0file:.git/config\0lfs-s3.bucket\nb\0local\0file:.git/config\0lfs-s3.pathstyle\0";

        var entries = GitOutput.ConfigListWithOrigins(output);

        Assert.Equal(("b", "local file:.git/config"), entries["lfs-s3.bucket"]);
        Assert.Equal(("true", "local file:.git/config"), entries["lfs-s3.pathstyle"]);
    }

    [Fact]
    public void LocksJson_GitLfsShape_IdPathOwnerNameLockedAt()
    {
        var json = JsonSerializer.Serialize(
            [new LockJson("42", "design/logo.psd", new LockOwnerJson("Ana", "ana@studio"), new DateTimeOffset(2026, 11, 1, 9, 30, 0, TimeSpan.Zero), "ws1")],
            ReportJsonContext.Default.ListLockJson);

        using var doc = JsonDocument.Parse(json);
        var l = Assert.Single(doc.RootElement.EnumerateArray());
        Assert.Equal(["id", "path", "owner", "locked_at", "host"], l.EnumerateObject().Select(p => p.Name));
        Assert.Equal("Ana", l.GetProperty("owner").GetProperty("name").GetString());
        Assert.Equal("2026-11-01T09:30:00+00:00", l.GetProperty("locked_at").GetString());
    }

    [Fact]
    public void DoctorAndEnvJson_Shapes_Pinned()
    {
        var doctor = JsonSerializer.Serialize(new DoctorReport([new DoctorCheckJson("git", "ok", "git version 2.39")], 0, true),
            ReportJsonContext.Default.DoctorReport);
        var env = JsonSerializer.Serialize(new EnvReport("1.0.0", "git version 2.39", null, "/r", [new EnvEntry("lfs-s3.bucket", "b", "default")], [], []),
            ReportJsonContext.Default.EnvReport);

        Assert.Equal("""{"checks":[{"name":"git","status":"ok","detail":"git version 2.39"}],"failures":0,"ok":true}""",
            JsonSerializer.Serialize(JsonDocument.Parse(doctor).RootElement));
        Assert.Equal("""{"version":"1.0.0","git":"git version 2.39","gitLfs":null,"repository":"/r","settings":[{"name":"lfs-s3.bucket","value":"b","source":"default"}],"store":[],"wiring":[]}""",
            JsonSerializer.Serialize(JsonDocument.Parse(env).RootElement));
    }

    [Fact]
    public void StatusVerifyPruneJson_Shapes_Pinned()
    {
        static string Names(string json) => string.Join(",", JsonDocument.Parse(json).RootElement.EnumerateObject().Select(p => p.Name));
        var at = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

        var status = JsonSerializer.Serialize(new StatusReport("s3://b", "p", "lfs-s3", 3, 0, [new StatusProblem("f", 2, "bad")],
            [new StatusEntry("ab", "p/a.bin", "v1")], new StatusPushFailure("origin", "rejected"), 1, 0, false), ReportJsonContext.Default.StatusReport);
        var verify = JsonSerializer.Serialize(new VerifyReport(2, true, [new VerifyFailure("ab", "a.bin", "gone")], false), ReportJsonContext.Default.VerifyReport);
        var prune = JsonSerializer.Serialize(new PruneReport(false, [new PruneVersion("p/a.bin", "v1", 10, at, null)], [new PruneUpload("p/b.bin", at)],
            10, 0.01m, 0.023m, 4, 1, 30), ReportJsonContext.Default.PruneReport);

        Assert.Equal("store,prefix,mappingBranch,branchEntries,legacyEntries,malformed,pending,lastPushFailure,unmappedInHead,outsidePrefix,inSync", Names(status));
        Assert.Equal("objects,content,failures,ok", Names(verify));
        Assert.Equal("oid,path,problem", string.Join(",", JsonDocument.Parse(verify).RootElement.GetProperty("failures")[0].EnumerateObject().Select(p => p.Name)));
        Assert.Equal("applied,versions,uploads,bytes,monthlySaving,pricePerGbMonth,historyObjects,keptYoung,graceDays", Names(prune));
        Assert.Equal("key,versionId,size,modified,oid", string.Join(",", JsonDocument.Parse(prune).RootElement.GetProperty("versions")[0].EnumerateObject().Select(p => p.Name)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3600)]
    [InlineData(86400 * 6)]
    [InlineData(86400 * 7 - 30)]
    [InlineData(86400 * 7)]
    public void SigV4Expiry_AnyLifetimeAndSkew_NeverBeyondSevenDaysOfEitherClock(int seconds)
    {
        var now = new DateTime(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);
        foreach (var skew in new[] { -300, -1, 0, 1, 300 })
        {
            var sdkNow = now.AddSeconds(skew);

            var expiry = S3ObjectStore.SigV4Expiry(sdkNow, now, TimeSpan.FromSeconds(seconds));

            Assert.True(expiry - sdkNow < TimeSpan.FromDays(7) && expiry - now < TimeSpan.FromDays(7), $"{seconds}s, skew {skew}s: {expiry - sdkNow}");
            Assert.True(expiry - sdkNow >= TimeSpan.FromSeconds(Math.Min(seconds, 86400 * 7 - 60 - 300)));
        }
    }

    [Fact]
    public void ParseLevel_Bogus_NullAndTheNamesListed()
    {
        Assert.Null(AgentLoggerProvider.ParseLevel("bogus"));
        Assert.Equal(LogLevel.Trace, AgentLoggerProvider.ParseLevel("TRACE"));
        Assert.Equal("trace, debug, information, warning, error or none", AgentLoggerProvider.LevelNames);
    }

    public void Dispose()
    {
        _stdout.Dispose();
        _stderr.Dispose();
    }
}
