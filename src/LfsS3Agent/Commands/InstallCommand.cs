using LfsS3Agent.Commands.Shared;
using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.Settings;

namespace LfsS3Agent.Commands;

/// <summary><c>git lfs-s3 install</c>.</summary>
public sealed class InstallCommand(ProcessEnvironment environment, TextWriter stdout) : Verb
{
    public override string Name => "install";

    public override string Summary => "configure git-lfs to use git-lfs-s3 (once per machine)";

    public override IReadOnlySet<string> Flags => AgentWiring.Flags;

    public override string Help => """
        usage: git lfs-s3 install [--local]

        Configures git-lfs to move LFS objects with git-lfs-s3 (idempotent), in your global git config:
          lfs.https://run-git-lfs-s3-install.invalid/.standalonetransferagent = lfs-s3
          lfs.customtransfer.lfs-s3.path = <absolute path of this binary>
          lfs.customtransfer.lfs-s3.args = agent
          lfs.customtransfer.lfs-s3.concurrent = true
        The agent is tied to the placeholder lfs.url that `git lfs-s3 init` commits in .lfsconfig, so only
        repositories set up with init use it; every other LFS repository keeps its own server.
        --local: this repository only, and whatever its .lfsconfig says (lfs.standalonetransferagent = lfs-s3).
        Also runs `git lfs install` if git-lfs's filters are not set up yet. git-lfs refuses these keys in
        .lfsconfig, so every machine needs this once.
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        var git = new GitCli(environment.WorkingDirectory, environment.Variables);
        var scope = await AgentWiring.ScopeAsync(git, args, cancellationToken);
        var lfs = await git.LfsVersionAsync(cancellationToken) ?? throw new CommandException(GitLfsVersion.NotInstalled + " and run this again");
        var local = scope == GitConfigSource.Local;
        var binary = System.Environment.ProcessPath ?? throw new CommandException("cannot tell where this binary is");
        if (await git.ConfigGetAsync(scope, "filter.lfs.process", cancellationToken) is null)
        {
            await git.LfsInstallAsync(local, cancellationToken);
            await git.ConfigSetAsync(scope, AgentWiring.FiltersMarker, "true", cancellationToken);
        }

        // Global: only for the placeholder URL; an unscoped key from an older install would take over every repository.
        var agentKey = local ? AgentWiring.AgentKey : AgentWiring.ScopedAgentKey;
        if (!local)
        {
            await UnsetOldAgentKeyAsync(git, cancellationToken);
        }

        string[] values = [binary, "agent", "true"];
        await git.ConfigSetAsync(scope, agentKey, AgentWiring.AgentName, cancellationToken);
        for (var i = 0; i < AgentWiring.TransferKeys.Length; i++)
        {
            await git.ConfigSetAsync(scope, AgentWiring.TransferKeys[i], values[i], cancellationToken);
        }

        await stdout.WriteLineAsync(local
            ? $"git-lfs-s3 installed for this repository: git-lfs runs {binary} agent for all its LFS files"
            : $"git-lfs-s3 installed (global git config): git-lfs runs {binary} agent in repositories set up with `git lfs-s3 init`; other repositories keep their LFS server");
        await stdout.WriteLineAsync(lfs.Text);
        if (await git.IsInsideRepositoryAsync(cancellationToken))
        {
            await LfsUrlPin.PinAsync(await GitRepository.DiscoverAsync(git, cancellationToken), cancellationToken);
        }

        if (await CloneBeforeInstallAsync(git, cancellationToken))
        {
            await stdout.WriteLineAsync("this clone was made before git-lfs-s3 was installed, so its checkout failed (every file shows as deleted): "
                + "run `git reset --hard` in it to finish the checkout (the failed checkout left nothing of yours to lose)");
        }

        return 0;
    }

    /// <summary>
    /// A clone of an init'ed repository made without the agent: git-lfs failed on the placeholder URL, and git left
    /// HEAD set but the index empty. Told by the committed lfs.url and an index that holds none of HEAD's files.
    /// </summary>
    private static async Task<bool> CloneBeforeInstallAsync(IGit git, CancellationToken cancellationToken) =>
        await git.IsInsideRepositoryAsync(cancellationToken)
        && await git.ConfigGetAsync(GitConfigSource.Blob("HEAD:.lfsconfig"), "lfs.url", cancellationToken) == AgentWiring.PlaceholderLfsUrl
        && (await git.LsFilesStagedAsync([":/"], cancellationToken)).Count == 0;

    /// <summary>Installs before 0.2 set the unscoped key globally; it is ours only when it names our agent.</summary>
    private static Task UnsetOldAgentKeyAsync(IGit git, CancellationToken cancellationToken) =>
        git.ConfigUnsetAllAsync(GitConfigSource.Global, AgentWiring.AgentKey, $"^{AgentWiring.AgentName}$", cancellationToken);
}

/// <summary><c>git lfs-s3 uninstall</c>.</summary>
public sealed class UninstallCommand(ProcessEnvironment environment, TextWriter stdout) : Verb
{
    public override string Name => "uninstall";

    public override string Summary => "undo install";

    public override IReadOnlySet<string> Flags => AgentWiring.Flags;

    public override string Help => """
        usage: git lfs-s3 uninstall [--local]

        Removes exactly what `git lfs-s3 install` wrote (and git-lfs's filters only if install added them),
        including the unscoped lfs.standalonetransferagent = lfs-s3 of installs before 0.2.
        --local also removes the lfs.concurrenttransfers = 10 that init and the agent write in a clone.
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        var git = new GitCli(environment.WorkingDirectory, environment.Variables);
        var scope = await AgentWiring.ScopeAsync(git, args, cancellationToken);
        // The agent keys only where they name our agent (the unscoped one may be the user's own for another agent).
        foreach (var key in new[] { AgentWiring.ScopedAgentKey, AgentWiring.AgentKey })
        {
            await git.ConfigUnsetAllAsync(scope, key, $"^{AgentWiring.AgentName}$", cancellationToken);
        }

        foreach (var key in AgentWiring.TransferKeys)
        {
            // exit 5: the key was not set, which is fine for an idempotent uninstall
            await git.ConfigUnsetAllAsync(scope, key, null, cancellationToken);
        }

        if (await git.ConfigGetAsync(scope, AgentWiring.FiltersMarker, cancellationToken) == "true")
        {
            await git.LfsUninstallAsync(scope == GitConfigSource.Local, cancellationToken);
            await git.ConfigUnsetAllAsync(scope, AgentWiring.FiltersMarker, null, cancellationToken);
        }

        if (scope == GitConfigSource.Local)
        {
            await TransferProcesses.RemoveAsync(git, cancellationToken);
        }

        // git leaves empty section headers behind; drop them when nothing of the user's is left inside.
        foreach (var section in new[] { $"lfs.customtransfer.{AgentWiring.AgentName}", "lfs-s3", $"lfs.{AgentWiring.PlaceholderLfsUrl}" })
        {
            var left = await git.ConfigGetRegexpAsync(scope, "^" + section.Replace(".", "\\.") + "\\.", cancellationToken);
            if (left.Count == 0)
            {
                await git.ConfigRemoveSectionAsync(scope, section, cancellationToken);
            }
        }

        await stdout.WriteLineAsync($"git-lfs-s3 removed from the {scope.Name} git config");
        return 0;
    }
}
