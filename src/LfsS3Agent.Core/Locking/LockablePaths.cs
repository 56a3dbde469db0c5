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

        var result = await repository.Git.RunAsync(["check-attr", "-z", "--stdin", "lockable"], string.Concat(paths.Select(p => p + "\0")),
            allowFailure: true, cancellationToken: cancellationToken);
        // "<path>\0lockable\0<value>\0" per path
        var fields = result.Stdout.Split('\0');
        var lockable = new List<string>();
        for (var i = 0; i + 2 < fields.Length; i += 3)
        {
            if (fields[i + 2] is "set" or "true")
            {
                lockable.Add(fields[i]);
            }
        }

        return lockable;
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

        var grep = await repository.Git.RunAsync(["grep", "-q", "-F", "lockable", "--", ".gitattributes", "*/.gitattributes"], allowFailure: true,
            cancellationToken: cancellationToken);
        return grep.ExitCode == 0;
    }
}
