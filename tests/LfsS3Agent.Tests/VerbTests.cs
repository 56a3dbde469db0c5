using LfsS3Agent.Commands;
using LfsS3Agent.Core.Settings;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LfsS3Agent.Tests;

/// <summary>Each verb's command line, and the one dispatcher's help, usage errors and exit codes.</summary>
public sealed class VerbTests : IDisposable
{
    private readonly StringWriter _stdout = new();
    private readonly StringWriter _stderr = new();

    /// <summary>The verbs as Program.cs composes them (the same AddVerbs), with test streams and no logs.</summary>
    private List<Verb> Verbs()
    {
        var services = new ServiceCollection()
            .AddSingleton(new ProcessEnvironment(Path.GetTempPath(), new Dictionary<string, string>()))
            .AddSingleton<IObjectStoreFactory, StoreFactory>()
            .AddSingleton<TextWriter>(_stdout)
            .AddSingleton(new AgentStreams(() => Stream.Null, () => Stream.Null))
            .AddSingleton(new AgentLoggerProvider(TextWriter.Null, LogLevel.None, null))
            .AddSingleton(typeof(ILogger<>), typeof(NullLogger<>))
            .AddVerbs();
        return services.BuildServiceProvider().GetServices<Verb>().ToList();
    }

    private Verb Verb(string name) => Verbs().Single(v => v.Name == name);

    [Fact]
    public void Init_ValuesInBothFormsAndFlags_Parsed()
    {
        var args = Verb("init").Parse(["--bucket", "b", "--prefix=team/x", "--path-style", "--no-check"]);

        Assert.Equal("b", args.Value("bucket"));
        Assert.Equal("team/x", args.Value("prefix"));
        Assert.True(args.Has("path-style") && args.Has("no-check"));
        Assert.False(args.Has("endpoint"));
    }

    [Fact]
    public void Init_ValueOptionWithoutValue_UsageError()
    {
        var ex = Assert.Throws<UsageException>(() => Verb("init").Parse(["--bucket"]));

        Assert.Equal("--bucket needs a value", ex.Message);
    }

    [Fact]
    public void Verify_RevisionsAndFlagsInAnyOrder_RevisionsKeptInOrder()
    {
        var args = Verb("verify").Parse(["main", "--content", "HEAD~2", "--", "--odd-name"]);

        Assert.Equal(["main", "HEAD~2", "--odd-name"], args.Arguments);
        Assert.True(args.Has("content"));
        Assert.False(args.Has("all"));
    }

    [Theory]
    [InlineData("status")]
    [InlineData("sync")]
    [InlineData("rebuild")]
    [InlineData("doctor")]
    [InlineData("install")]
    public void VerbWithoutArguments_PositionalArgument_UsageError(string verb)
    {
        var ex = Assert.Throws<UsageException>(() => Verb(verb).Parse(["surprise"]));

        Assert.Equal("unexpected argument \"surprise\"", ex.Message);
    }

    [Fact]
    public void Rebuild_FlagOfAnotherVerb_UsageError()
    {
        Assert.Equal("unknown option --all", Assert.Throws<UsageException>(() => Verb("rebuild").Parse(["--all"])).Message);
        Assert.True(Verb("rebuild").Parse(["--write"]).Has("write"));
        Assert.True(Verb("install").Parse(["--local"]).Has("local"));
    }

    [Fact]
    public async Task Run_UnknownOption_ExitTwoPointingAtTheVerbsHelp()
    {
        var code = await new Application(Verbs(), _stdout, _stderr).RunAsync(["init", "--bukket", "x"], CancellationToken.None);

        Assert.Equal(2, code);
        Assert.Equal("error: unknown option --bukket (see `git lfs-s3 init --help`)", _stderr.ToString().Trim());
    }

    [Fact]
    public async Task Run_VerbHelp_PrintsThatVerbsHelpAndRunsNothing()
    {
        var code = await new Application(Verbs(), _stdout, _stderr).RunAsync(["status", "--help"], CancellationToken.None);

        Assert.Equal(0, code);
        Assert.StartsWith("usage: git lfs-s3 status", _stdout.ToString());
    }

    [Fact]
    public async Task Run_NoArguments_MainHelpListsEveryVerbWithItsSummary()
    {
        var verbs = Verbs();

        var code = await new Application(verbs, _stdout, _stderr).RunAsync([], CancellationToken.None);

        Assert.Equal(0, code);
        Assert.Equal(["install", "uninstall", "init", "doctor", "env", "status", "sync", "verify", "rebuild", "import", "url", "publish", "log", "usage", "prune",
            "lock", "locks", "unlock", "trust"], verbs.Where(v => !v.Hidden).Select(v => v.Name));
        Assert.DoesNotMatch("(?m)^  agent ", _stdout.ToString());
        foreach (var verb in verbs.Where(v => !v.Hidden))
        {
            Assert.Matches($"(?m)^  {verb.Name} +{System.Text.RegularExpressions.Regex.Escape(verb.Summary)}$", _stdout.ToString());
        }
    }

    [Fact]
    public async Task Run_UnknownVerb_ExitTwoWithMainHelp()
    {
        var code = await new Application(Verbs(), _stdout, _stderr).RunAsync(["pussh"], CancellationToken.None);

        Assert.Equal(2, code);
        Assert.StartsWith("error: unknown verb \"pussh\"", _stderr.ToString());
    }

    [Fact]
    public async Task Run_VerbFailsWithUserError_FatalLineExitOne()
    {
        var env = new ProcessEnvironment(Directory.CreateTempSubdirectory("lfs-s3-nogit-").FullName, new Dictionary<string, string>());
        var code = await new Application([new StatusCommand(new StoreFactory(), env, _stdout)], _stdout, _stderr)
            .RunAsync(["status"], CancellationToken.None);

        Assert.Equal(1, code);
        Assert.StartsWith("fatal: not inside a git repository", _stderr.ToString());
    }

    public void Dispose()
    {
        _stdout.Dispose();
        _stderr.Dispose();
    }
}
