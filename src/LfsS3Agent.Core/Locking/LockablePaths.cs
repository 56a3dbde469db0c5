using LfsS3Agent.Core.Git;

namespace LfsS3Agent.Core.Locking;

/// <summary>
/// Which paths carry git-lfs's <c>lockable</c> attribute. A repository whose attributes never mention it pays
/// nothing: that is found once per process, and only then is <c>git check-attr</c> asked about paths.
/// </summary>
public sealed class LockablePaths(GitRepository repository)
{
    private Task<bool>? _any;

    public async Task<List<string>> FilterAsync(IReadOnlyCollection<string> paths, CancellationToken cancellationToken)
    {
        if (paths.Count == 0 || !await AnyAsync(cancellationToken))
        {
            return [];
        }

        var attributes = await repository.Git.CheckAttrAsync("lockable", paths, cancellationToken);
        return [.. attributes.Where(a => a.Value is "set" or "true").Select(a => a.Path)];
    }

    /// <summary>Whether any tracked .gitattributes or the repository's info/attributes mentions lockable (asked once).</summary>
    public Task<bool> AnyAsync(CancellationToken cancellationToken) => _any ??= FindAnyAsync(cancellationToken);

    private async Task<bool> FindAnyAsync(CancellationToken cancellationToken)
    {
        var info = Path.Combine(repository.CommonDir, "info", "attributes");
        if (File.Exists(info) && (await File.ReadAllTextAsync(info, cancellationToken)).Contains("lockable", StringComparison.Ordinal))
        {
            return true;
        }

        return await repository.Git.GrepAsync("lockable", [".gitattributes", "*/.gitattributes"], cancellationToken);
    }
}
