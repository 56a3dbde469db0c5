using LfsS3Agent.Core.Git;

namespace LfsS3Agent.Commands;

/// <summary><c>git lfs-s3 install / uninstall</c>: the per-developer git config that makes git-lfs use the agent.</summary>
public sealed class InstallCommand(ProcessEnvironment environment, TextWriter stdout)
{
    public const string AgentName = "lfs-s3";

    public const string InstallHelp = """
        usage: git lfs-s3 install [--local]

        Configures git-lfs to move LFS objects with git-lfs-s3 (idempotent):
          lfs.standalonetransferagent = lfs-s3
          lfs.customtransfer.lfs-s3.path = <absolute path of this binary>
          lfs.customtransfer.lfs-s3.args = agent
          lfs.customtransfer.lfs-s3.concurrent = true
        in your global git config (--local: this repository only), and runs `git lfs install` if git-lfs's
        filters are not set up yet. git-lfs refuses these keys in .lfsconfig, so every machine needs this once.
        """;

    public const string UninstallHelp = """
        usage: git lfs-s3 uninstall [--local]

        Removes exactly what `git lfs-s3 install` wrote (and git-lfs's filters only if install added them).
        """;

    private const string FiltersMarker = "lfs-s3.installedlfsfilters";

    private static readonly string[] Keys =
    [
        "lfs.standalonetransferagent",
        $"lfs.customtransfer.{AgentName}.path",
        $"lfs.customtransfer.{AgentName}.args",
        $"lfs.customtransfer.{AgentName}.concurrent",
    ];

    public async Task<int> InstallAsync(CommandLine options, CancellationToken cancellationToken)
    {
        var git = new GitRunner(environment.WorkingDirectory);
        var scope = await ScopeAsync(git, options, cancellationToken);
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
            await git.RunAsync(["config", scope, FiltersMarker, "true"]);
        }

        string[] values = ["lfs-s3", binary, "agent", "true"];
        for (var i = 0; i < Keys.Length; i++)
        {
            await git.RunAsync(["config", scope, Keys[i], values[i]]);
        }

        await stdout.WriteLineAsync($"git-lfs-s3 installed ({scope[2..]} git config): git-lfs now runs {binary} agent");
        await stdout.WriteLineAsync($"{lfs.Stdout.Trim()}");
        return 0;
    }

    public async Task<int> UninstallAsync(CommandLine options, CancellationToken cancellationToken)
    {
        var git = new GitRunner(environment.WorkingDirectory);
        var scope = await ScopeAsync(git, options, cancellationToken);
        foreach (var key in Keys)
        {
            // exit 5: the key was not set, which is fine for an idempotent uninstall
            await git.RunAsync(["config", scope, "--unset-all", key], allowFailure: true, cancellationToken: cancellationToken);
        }

        var marker = await git.RunAsync(["config", scope, "--get", FiltersMarker], allowFailure: true, cancellationToken: cancellationToken);
        if (marker.Stdout.Trim() == "true")
        {
            await git.RunAsync(scope == "--local" ? ["lfs", "uninstall", "--local"] : ["lfs", "uninstall", "--skip-repo"]);
            await git.RunAsync(["config", scope, "--unset-all", FiltersMarker], allowFailure: true, cancellationToken: cancellationToken);
        }

        // git leaves empty section headers behind; drop them when nothing of the user's is left inside.
        foreach (var section in new[] { $"lfs.customtransfer.{AgentName}", "lfs-s3" })
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

    private async Task<string> ScopeAsync(GitRunner git, CommandLine options, CancellationToken cancellationToken)
    {
        if (!options.Has("local"))
        {
            return "--global";
        }

        var inside = await git.RunAsync(["rev-parse", "--git-dir"], allowFailure: true, cancellationToken: cancellationToken);
        return inside.ExitCode == 0 ? "--local" : throw new CommandException("--local needs to run inside a git repository");
    }
}

/// <summary>A failure of a command-line verb: printed as <c>fatal: message</c>, exit code 1.</summary>
public sealed class CommandException(string message) : Exception(message);
