using LfsS3Agent.Core.Git;

namespace LfsS3Agent.Commands.Shared;

/// <summary>
/// The LFS URL that ties a repository to git-lfs-s3, pinned in the clone's own git config, which git-lfs reads
/// before <c>.lfsconfig</c>: a commit that changes <c>lfs.url</c> or <c>lfs.pushurl</c> there cannot send this
/// clone's pushes to another LFS server. The change is reported (status, doctor) and followed only after
/// <c>git lfs-s3 trust</c>. <see cref="MarkerKey"/> tells the pin from a value the user set themselves.
/// </summary>
internal static class LfsUrlPin
{
    public const string MarkerKey = Core.Settings.AgentSettings.PinnedLfsUrlKey;

    private const string UrlKey = "lfs.url";

    private const string PushUrlKey = "lfs.pushurl";

    /// <summary>
    /// Pins the placeholder URL when the committed <c>.lfsconfig</c> names it and this clone has no lfs.url of its own.
    /// Best effort: another agent process of the same clone may hold git's config lock, and then pins it.
    /// </summary>
    public static async Task PinAsync(GitRepository repository, CancellationToken cancellationToken)
    {
        var git = repository.Git;
        if (await CommittedAsync(repository, UrlKey, cancellationToken) != AgentWiring.PlaceholderLfsUrl
            || await git.ConfigGetAsync(GitConfigSource.Local, MarkerKey, cancellationToken) is not null
            || await git.ConfigGetAsync(GitConfigSource.Local, UrlKey, cancellationToken) is not null)
        {
            return;
        }

        try
        {
            await git.ConfigSetAsync(GitConfigSource.Local, UrlKey, AgentWiring.PlaceholderLfsUrl, cancellationToken);
            if (await git.ConfigGetAsync(GitConfigSource.Local, PushUrlKey, cancellationToken) is null)
            {
                await git.ConfigSetAsync(GitConfigSource.Local, PushUrlKey, AgentWiring.PlaceholderLfsUrl, cancellationToken);
            }

            await git.ConfigSetAsync(GitConfigSource.Local, MarkerKey, AgentWiring.PlaceholderLfsUrl, cancellationToken);
        }
        catch (GitException)
        {
            // .git/config is locked by a sibling process doing the same; the next run pins what is still missing.
        }
    }

    /// <summary>The URL this clone pinned, while its lfs.url still is that pin (null: no pin, or the user replaced it).</summary>
    public static async Task<string?> PinnedAsync(IGit git, CancellationToken cancellationToken) =>
        await git.ConfigGetAsync(GitConfigSource.Local, MarkerKey, cancellationToken) is { } pin
        && await git.ConfigGetAsync(GitConfigSource.Local, UrlKey, cancellationToken) == pin ? pin : null;

    /// <summary>The lfs.url the user set in git config (any scope), not counting the pin.</summary>
    public static async Task<string?> OwnUrlAsync(IGit git, CancellationToken cancellationToken)
    {
        var url = await git.ConfigGetAsync(GitConfigSource.Effective, UrlKey, cancellationToken);
        return url is not null && url == await PinnedAsync(git, cancellationToken) ? null : url;
    }

    /// <summary>A key of the committed <c>.lfsconfig</c>: the work tree's, or HEAD's while a clone is still checking out (as git-lfs reads it).</summary>
    public static Task<string?> CommittedAsync(GitRepository repository, string key, CancellationToken cancellationToken) =>
        repository.Git.ConfigGetAsync(repository.WorkTree is { } wt && File.Exists(Path.Combine(wt, ".lfsconfig"))
            ? GitConfigSource.File(Path.Combine(wt, ".lfsconfig"))
            : GitConfigSource.Blob("HEAD:.lfsconfig"), key, cancellationToken);

    /// <summary>
    /// What is wrong with the LFS URL this clone uses, for status and doctor: a commit that changed it (not followed, or
    /// followed because nothing was pinned), with the commit, the value it sets, the value in force and how to accept; or null.
    /// </summary>
    public static async Task<string?> ProblemAsync(GitRepository repository, CancellationToken cancellationToken)
    {
        var git = repository.Git;
        var pin = await PinnedAsync(git, cancellationToken);
        foreach (var key in new[] { UrlKey, PushUrlKey })
        {
            var committed = await CommittedAsync(repository, key, cancellationToken);
            var inForce = await git.ConfigGetAsync(GitConfigSource.Local, key, cancellationToken);
            if (pin is not null && committed is not null && committed != pin && inForce == pin)
            {
                return $"the committed .lfsconfig sets {key} = {committed} (changed in {await ChangedInAsync(git, cancellationToken)}), but this clone "
                    + $"keeps {key} = {pin}, pinned in .git/config: git-lfs still moves its files with git-lfs-s3 and sends nothing to {committed}. "
                    + "If the repository really moved to that LFS server, accept it with `git lfs-s3 trust`; if not, restore .lfsconfig";
            }
        }

        var url = await CommittedAsync(repository, UrlKey, cancellationToken);
        var effective = await git.ConfigGetAsync(GitConfigSource.Effective, UrlKey, cancellationToken);
        if (pin is null && url is not null && url != AgentWiring.PlaceholderLfsUrl && effective == url
            && repository.WorkTree is { } root && File.Exists(Path.Combine(root, Core.Settings.SettingNames.RepoConfigFile)))
        {
            return $"the committed .lfsconfig sets lfs.url = {url} (changed in {await ChangedInAsync(git, cancellationToken)}), not git-lfs-s3's "
                + $"{AgentWiring.PlaceholderLfsUrl}, and this clone pinned none: git-lfs sends this repository's pushes to {url}. "
                + $"Unless the repository really moved there, keep git-lfs-s3 with `git config lfs.url {AgentWiring.PlaceholderLfsUrl}` and restore .lfsconfig";
        }

        return null;
    }

    /// <summary>Accepts the committed URLs: pins them (or drops the pin when the commit sets none). Returns what is pinned now.</summary>
    public static async Task<IReadOnlyList<string>> TrustAsync(GitRepository repository, CancellationToken cancellationToken)
    {
        var git = repository.Git;
        if (await PinnedAsync(git, cancellationToken) is not { } pin)
        {
            // Nothing pinned (or the user's own lfs.url): pin the placeholder if that is what the commit names.
            await PinAsync(repository, cancellationToken);
            return await PinnedAsync(git, cancellationToken) is { } now ? [$"{UrlKey} = \"{now}\""] : [];
        }

        var url = await CommittedAsync(repository, UrlKey, cancellationToken);
        var pushUrl = await CommittedAsync(repository, PushUrlKey, cancellationToken) ?? url;
        var ownPushUrl = await git.ConfigGetAsync(GitConfigSource.Local, PushUrlKey, cancellationToken) is { } p && p != pin;
        var pinned = new List<string>();
        foreach (var (key, value) in new[] { (UrlKey, url), (PushUrlKey, pushUrl), (MarkerKey, url) })
        {
            if (key == PushUrlKey && ownPushUrl)
            {
                continue;
            }

            if (value is null)
            {
                await git.ConfigUnsetAllAsync(GitConfigSource.Local, key, null, cancellationToken);
            }
            else
            {
                await git.ConfigSetAsync(GitConfigSource.Local, key, value, cancellationToken);
                if (key != MarkerKey)
                {
                    pinned.Add($"{key} = \"{value}\"");
                }
            }
        }

        return pinned;
    }

    private static async Task<string> ChangedInAsync(IGit git, CancellationToken cancellationToken) =>
        await git.LastCommitAsync("commit %h by %an (\"%s\")", ".lfsconfig", cancellationToken) ?? "the work tree, not committed yet";
}
