using System.Globalization;
using LfsS3Agent.Commands.Shared;
using LfsS3Agent.Core;
using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Commands;

/// <summary>
/// <c>git lfs-s3 env</c>, in the spirit of <c>git lfs env</c> and <c>aws configure list</c>: every setting in force and where
/// it came from, what the store makes of them (endpoint, region, profile, credential source; never a secret), and
/// the agent wiring as git-lfs resolves it.
/// </summary>
public sealed class EnvCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, TextWriter stdout) : Verb
{
    public override string Name => "env";

    public override string Summary => "print every setting in force and where it came from, the endpoint, region, credentials' source and agent wiring";

    public override IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json" };

    public override string Help => """
        usage: git lfs-s3 env [--json]

        Prints what this repository (or, outside one, this user) runs with, as `git lfs env` and `aws configure list`
        do: every setting with its value and where it came from (the environment variable, the git config file and
        scope, the committed .lfs-s3/config, or the default), then what the store makes of them (the endpoint and
        region it uses, the AWS profile and where the credentials come from; never a secret), then the agent
        wiring as git-lfs resolves it (lfs.url, lfs.<url>.standalonetransferagent, lfs.customtransfer.lfs-s3.*).
        --json prints the same for scripts. Asks nothing of the store: `git lfs-s3 doctor` checks that it answers.
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        IGit git = new GitCli(environment.WorkingDirectory, environment.Variables);
        GitRepository? repository = null;
        try
        {
            repository = await GitRepository.DiscoverAsync(git, cancellationToken);
            git = repository.Git;
        }
        catch (LfsS3Exception)
        {
            // Outside a repository env still shows the personal settings and the global wiring, as git lfs env does.
        }

        var settings = await SettingsResolver.LoadWithOriginsAsync(repository, environment, cancellationToken);
        var report = new EnvReport(
            Application.Version,
            await git.VersionAsync(cancellationToken),
            (await git.LfsVersionAsync(cancellationToken))?.Text,
            repository is null ? null : repository.WorkTree ?? repository.CommonDir,
            Settings(settings),
            Store(settings),
            await WiringAsync(git, repository, cancellationToken));
        if (args.Has("json"))
        {
            await ReportJson.WriteAsync(stdout, report, ReportJsonContext.Default.EnvReport);
            return 0;
        }

        await stdout.WriteLineAsync($"git-lfs-s3 {report.Version}\n{report.Git}\n{report.GitLfs ?? GitLfsVersion.NotInstalled}");
        await stdout.WriteLineAsync($"repository: {report.Repository ?? "none (not inside a git repository)"}");
        await WriteSectionAsync("settings (environment, then git config, then .lfs-s3/config, then the default)", report.Settings);
        await WriteSectionAsync("store (as the agent resolves it)", report.Store);
        await WriteSectionAsync("agent wiring (as git-lfs resolves it)", report.Wiring);
        return 0;
    }

    private async Task WriteSectionAsync(string title, IReadOnlyList<EnvEntry> entries)
    {
        await stdout.WriteLineAsync($"\n{title}:");
        var width = entries.Count == 0 ? 0 : entries.Max(e => e.Name.Length);
        foreach (var e in entries)
        {
            var value = e.Value switch { null => "(not set)", "" => "\"\"", var v => v };
            await stdout.WriteLineAsync($"  {e.Name.PadRight(width)} = {value}  ({e.Source})");
        }
    }

    private static List<EnvEntry> Settings(AgentSettings settings)
    {
        var rows = SettingNames.All.Select(n => settings.Find(n) is { } v
            ? new EnvEntry(n.GitKey, v.Value, v.Source)
            : Default(n) is { } d ? new EnvEntry(n.GitKey, d, "default") : new EnvEntry(n.GitKey, null, $"set with {n.EnvVar} or git config {n.GitKey}")).ToList();
        if (settings.LfsStorage is { } storage)
        {
            rows.Add(new EnvEntry(AgentSettings.LfsStorageKey, storage, settings.Find(new SettingName(AgentSettings.LfsStorageKey, "", false, ""))?.Source ?? "git config"));
        }

        return rows;
    }

    /// <summary>The value a setting takes when nothing sets it; null where there is none (bucket, region, profile...).</summary>
    private static string? Default(SettingName name)
    {
        static string Mib(long bytes) => $"{bytes >> 20}MiB";
        var inv = CultureInfo.InvariantCulture;
        return name.GitKey switch
        {
            "lfs-s3.store" => "s3",
            "lfs-s3.prefix" => "",
            "lfs-s3.pathstyle" => "false (true with an endpoint)",
            "lfs-s3.checksum" => "when_required",
            "lfs-s3.multipartthreshold" => Mib(AgentSettings.DefaultMultipartThreshold),
            "lfs-s3.partsize" => Mib(AgentSettings.DefaultPartSize),
            "lfs-s3.parallelparts" => AgentSettings.DefaultParallelParts.ToString(inv),
            "lfs-s3.maxretries" => AgentSettings.DefaultMaxRetries.ToString(inv),
            "lfs-s3.instancemetadata" => "auto",
            "lfs-s3.allowotherprefixes" => "false",
            "lfs-s3.loglevel" => "warning (information in the agent)",
            "lfs-s3.pricepergb" => AgentSettings.DefaultPricePerGb.ToString(inv),
            "lfs-s3.compress" => "none",
            "lfs-s3.compressminsaving" => $"{AgentSettings.DefaultCompressMinSaving * 100:0}%",
            "lfs-s3.parallelism" => AgentSettings.DefaultParallelism.ToString(inv),
            "lfs-s3.mappingbranch" => AgentSettings.DefaultMappingBranch,
            _ => null,
        };
    }

    private List<EnvEntry> Store(AgentSettings settings)
    {
        try
        {
            settings.RequireStore();
            var source = (settings.Find(SettingNames.Store) ?? settings.Find(SettingNames.Bucket))!.Source;
            return
            [
                new("store", settings.StoreDescription, source),
                new("prefix", settings.Prefix, settings.Find(SettingNames.Prefix)?.Source ?? "default: the bucket root"),
                .. storeFactory.Describe(settings).Select(f => new EnvEntry(f.Name, f.Value, f.Source)),
            ];
        }
        catch (LfsS3Exception ex)
        {
            return [new("store", null, ex.Message)];
        }
    }

    private static async Task<List<EnvEntry>> WiringAsync(IGit git, GitRepository? repository, CancellationToken cancellationToken)
    {
        var rows = new List<EnvEntry>();
        var (own, committed) = repository is null ? (null, null) : await AgentWiring.LfsUrlsAsync(repository, cancellationToken);
        var keys = await git.ConfigGetRegexpWithOriginsAsync(@"^lfs\.url$|^lfs\..*standalonetransferagent$|^lfs\.customtransfer\.", cancellationToken);
        foreach (var (key, (value, origin)) in keys.OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            rows.Add(new EnvEntry(key, value, $"git config ({origin})"));
        }

        if (committed is not null)
        {
            // Its own name: a clone's pin (or the user's own lfs.url) is a row of its own above.
            rows.Add(new EnvEntry(".lfsconfig lfs.url", committed, own is null ? "committed .lfsconfig" : "committed .lfsconfig, overridden by git config"));
        }

        var url = own ?? committed;
        var agent = await AgentWiring.AgentForAsync(git, url ?? AgentWiring.PlaceholderLfsUrl, cancellationToken);
        rows.Add(new EnvEntry("transfer agent", agent ?? "none: git-lfs uses its own HTTP transfer",
            url is null
                ? $"{AgentWiring.AgentKey} for {AgentWiring.PlaceholderLfsUrl}, the lfs.url init commits (this repository has none)"
                : $"{AgentWiring.AgentKey} for {url}, matched as git-lfs matches it"));
        return rows;
    }
}
