using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.Settings;

namespace LfsS3Agent.Commands;

/// <summary>The per-developer git config that makes git-lfs use the agent, written by install and removed by uninstall.</summary>
internal static class AgentWiring
{
    public const string AgentName = "lfs-s3";

    public const string FiltersMarker = "lfs-s3.installedlfsfilters";

    public static readonly string[] Keys =
    [
        "lfs.standalonetransferagent",
        $"lfs.customtransfer.{AgentName}.path",
        $"lfs.customtransfer.{AgentName}.args",
        $"lfs.customtransfer.{AgentName}.concurrent",
    ];

    public static readonly IReadOnlySet<string> Flags = new HashSet<string> { "local" };

    /// <summary>--global, or --local inside a repository.</summary>
    public static async Task<string> ScopeAsync(GitRunner git, CommandLine options, CancellationToken cancellationToken)
    {
        if (!options.Has("local"))
        {
            return "--global";
        }

        var inside = await git.RunAsync(["rev-parse", "--git-dir"], allowFailure: true, cancellationToken: cancellationToken);
        return inside.ExitCode == 0 ? "--local" : throw new CommandException("--local needs to run inside a git repository");
    }
}

/// <summary><c>git lfs-s3 install</c>.</summary>
public sealed class InstallCommand(ProcessEnvironment environment, TextWriter stdout) : Verb
{
    public override string Name => "install";

    public override string Summary => "configure git-lfs to use git-lfs-s3 (once per machine)";

    public override IReadOnlySet<string> Flags => AgentWiring.Flags;

    public override string Help => """
        usage: git lfs-s3 install [--local]

        Configures git-lfs to move LFS objects with git-lfs-s3 (idempotent):
          lfs.standalonetransferagent = lfs-s3
          lfs.customtransfer.lfs-s3.path = <absolute path of this binary>
          lfs.customtransfer.lfs-s3.args = agent
          lfs.customtransfer.lfs-s3.concurrent = true
        in your global git config (--local: this repository only), and runs `git lfs install` if git-lfs's
        filters are not set up yet. git-lfs refuses these keys in .lfsconfig, so every machine needs this once.
        """;

    public override async Task<int> RunAsync(CommandLine options, CancellationToken cancellationToken)
    {
        var git = new GitRunner(environment.WorkingDirectory);
        var scope = await AgentWiring.ScopeAsync(git, options, cancellationToken);
        var lfs = await git.RunAsync(["lfs", "version"], allowFailure: true, cancellationToken: cancellationToken);
        if (lfs.ExitCode != 0)
        {
            throw new CommandException("git-lfs is not installed: install it (apt-get install git-lfs, brew install git-lfs, or https://git-lfs.com) and run this again");
        }

        var binary = System.Environment.ProcessPath ?? throw new CommandException("cannot tell where this binary is");
        var filters = await git.RunAsync(["config", scope, "--get", "filter.lfs.process"], allowFailure: true, cancellationToken: cancellationToken);
        if (filters.ExitCode != 0)
        {
            await git.RunAsync(scope == "--local" ? ["lfs", "install", "--local"] : ["lfs", "install", "--skip-repo"]);
            await git.RunAsync(["config", scope, AgentWiring.FiltersMarker, "true"]);
        }

        string[] values = [AgentWiring.AgentName, binary, "agent", "true"];
        for (var i = 0; i < AgentWiring.Keys.Length; i++)
        {
            await git.RunAsync(["config", scope, AgentWiring.Keys[i], values[i]]);
        }

        await stdout.WriteLineAsync($"git-lfs-s3 installed ({scope[2..]} git config): git-lfs now runs {binary} agent");
        await stdout.WriteLineAsync($"{lfs.Stdout.Trim()}");
        return 0;
    }
}

/// <summary><c>git lfs-s3 uninstall</c>.</summary>
public sealed class UninstallCommand(ProcessEnvironment environment, TextWriter stdout) : Verb
{
    public override string Name => "uninstall";

    public override string Summary => "undo install";

    public override IReadOnlySet<string> Flags => AgentWiring.Flags;

    public override string Help => """
        usage: git lfs-s3 uninstall [--local]

        Removes exactly what `git lfs-s3 install` wrote (and git-lfs's filters only if install added them).
        """;

    public override async Task<int> RunAsync(CommandLine options, CancellationToken cancellationToken)
    {
        var git = new GitRunner(environment.WorkingDirectory);
        var scope = await AgentWiring.ScopeAsync(git, options, cancellationToken);
        foreach (var key in AgentWiring.Keys)
        {
            // exit 5: the key was not set, which is fine for an idempotent uninstall
            await git.RunAsync(["config", scope, "--unset-all", key], allowFailure: true, cancellationToken: cancellationToken);
        }

        var marker = await git.RunAsync(["config", scope, "--get", AgentWiring.FiltersMarker], allowFailure: true, cancellationToken: cancellationToken);
        if (marker.Stdout.Trim() == "true")
        {
            await git.RunAsync(scope == "--local" ? ["lfs", "uninstall", "--local"] : ["lfs", "uninstall", "--skip-repo"]);
            await git.RunAsync(["config", scope, "--unset-all", AgentWiring.FiltersMarker], allowFailure: true, cancellationToken: cancellationToken);
        }

        // git leaves empty section headers behind; drop them when nothing of the user's is left inside.
        foreach (var section in new[] { $"lfs.customtransfer.{AgentWiring.AgentName}", "lfs-s3" })
        {
            var left = await git.RunAsync(["config", scope, "--get-regexp", "^" + section.Replace(".", "\\.") + "\\."],
                allowFailure: true, cancellationToken: cancellationToken);
            if (left.ExitCode != 0)
            {
                await git.RunAsync(["config", scope, "--remove-section", section], allowFailure: true, cancellationToken: cancellationToken);
            }
        }

        await stdout.WriteLineAsync($"git-lfs-s3 removed from the {scope[2..]} git config");
        return 0;
    }
}
