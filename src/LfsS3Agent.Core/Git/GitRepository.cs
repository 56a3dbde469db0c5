namespace LfsS3Agent.Core.Git;

/// <summary>Where a repository lives: its work tree (null when bare) and its common git directory, and git running at its top.</summary>
public sealed record GitRepository(string? WorkTree, string CommonDir, IGit Git)
{
    /// <summary>Where git-lfs wants downloads written: the same file system as its object store.</summary>
    public string LfsTempDir => Path.Combine(CommonDir, "lfs", "tmp");

    /// <summary>Private state of this tool: the SQLite cache and lock files (never committed).</summary>
    public string StateDir => Path.Combine(CommonDir, "lfs-s3");

    /// <summary>Finds the repository around <paramref name="directory"/>, or fails with what to do.</summary>
    /// <param name="environment">Everything git sees of the environment.</param>
    public static Task<GitRepository> DiscoverAsync(string directory, IReadOnlyDictionary<string, string> environment,
        CancellationToken cancellationToken = default) => DiscoverAsync(new GitCli(directory, environment), cancellationToken);

    /// <summary>Finds the repository around the directory <paramref name="git"/> runs in.</summary>
    public static async Task<GitRepository> DiscoverAsync(IGit git, CancellationToken cancellationToken = default)
    {
        var found = await git.RepositoryAsync(cancellationToken) ?? throw new LfsS3Exception(ErrorCodes.NotConfigured,
            $"not inside a git repository ({git.WorkingDirectory}): run this inside a clone, or `git init` first");
        var commonDir = Path.GetFullPath(found.CommonDir, git.WorkingDirectory);
        return new GitRepository(found.TopLevel, commonDir, found.TopLevel is { } top ? git.At(top) : git);
    }
}
