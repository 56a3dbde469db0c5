using LfsS3Agent.Core.Git;

namespace LfsS3Agent.Commands.Shared;

/// <summary>
/// The per-developer git config that makes git-lfs use the agent, written by install and removed by uninstall.
/// Globally the agent is tied to the placeholder LFS URL that <c>init</c> commits in <c>.lfsconfig</c>
/// (<c>lfs.&lt;url&gt;.standalonetransferagent</c>, which git-lfs matches against a repository's LFS endpoint), so
/// exactly the repositories set up with init use it and every other one keeps its LFS server.
/// </summary>
internal static class AgentWiring
{
    public const string AgentName = "lfs-s3";

    /// <summary>
    /// The lfs.url that init commits: an https URL on a host that can never resolve (.invalid). git-lfs then never
    /// tries `ssh ... git-lfs-transfer` on SSH remotes, matches the scoped agent key, and on a machine without
    /// git-lfs-s3 fails on this name, which says what to do, instead of sending files to the git host's LFS.
    /// </summary>
    public const string PlaceholderLfsUrl = "https://run-git-lfs-s3-install.invalid/";

    public const string FiltersMarker = "lfs-s3.installedlfsfilters";

    public const string AgentKey = "lfs.standalonetransferagent";

    /// <summary>The agent key scoped to the placeholder URL.</summary>
    public const string ScopedAgentKey = $"lfs.{PlaceholderLfsUrl}.standalonetransferagent";

    public static readonly string[] TransferKeys =
    [
        $"lfs.customtransfer.{AgentName}.path",
        $"lfs.customtransfer.{AgentName}.args",
        $"lfs.customtransfer.{AgentName}.concurrent",
    ];

    public static readonly IReadOnlySet<string> Flags = new HashSet<string> { "local" };

    /// <summary>--global, or --local inside a repository.</summary>
    public static async Task<GitConfigSource> ScopeAsync(IGit git, CommandLine options, CancellationToken cancellationToken)
    {
        if (!options.Has("local"))
        {
            return GitConfigSource.Global;
        }

        return await git.IsInsideRepositoryAsync(cancellationToken)
            ? GitConfigSource.Local
            : throw new CommandException("--local needs to run inside a git repository");
    }

    /// <summary>The repository's LFS URL as git-lfs takes it: the user's own lfs.url, and the one committed in .lfsconfig (or HEAD's).</summary>
    public static async Task<(string? Own, string? Committed)> LfsUrlsAsync(GitRepository repository, CancellationToken cancellationToken)
    {
        var git = repository.Git;
        var own = await git.ConfigGetAsync(GitConfigSource.Effective, "lfs.url", cancellationToken);
        var committed = await LfsUrlPin.CommittedAsync(repository, "lfs.url", cancellationToken);
        return (own, committed);
    }

    /// <summary>The agent git-lfs picks for this LFS endpoint URL, resolved as git-lfs does (URL match, then the plain key).</summary>
    public static Task<string?> AgentForAsync(IGit git, string url, CancellationToken cancellationToken) =>
        git.ConfigGetUrlmatchAsync(AgentKey, url, cancellationToken);
}
