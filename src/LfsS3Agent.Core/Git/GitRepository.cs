using LfsS3Agent.Core.Transfer;

namespace LfsS3Agent.Core.Git;

/// <summary>Where a repository lives: its work tree (null when bare) and its common git directory.</summary>
public sealed record GitRepository(string? WorkTree, string CommonDir, GitRunner Git)
{
    /// <summary>Where git-lfs wants downloads written: the same file system as its object store.</summary>
    public string LfsTempDir => Path.Combine(CommonDir, "lfs", "tmp");

    /// <summary>Private state of this tool: the SQLite cache and lock files (never committed).</summary>
    public string StateDir => Path.Combine(CommonDir, "lfs-s3");

    /// <summary>Finds the repository around <paramref name="directory"/>, or fails with what to do.</summary>
    public static async Task<GitRepository> DiscoverAsync(string directory, CancellationToken cancellationToken = default)
    {
        var git = new GitRunner(directory);
        var result = await git.RunAsync(["rev-parse", "--is-bare-repository", "--git-common-dir", "--show-toplevel"],
            allowFailure: true, cancellationToken: cancellationToken);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (result.ExitCode != 0 || lines.Length < 2)
        {
            throw new LfsS3Exception(ErrorCodes.NotConfigured,
                $"not inside a git repository ({directory}): run this inside a clone, or `git init` first");
        }

        var bare = lines[0] == "true";
        var commonDir = Path.GetFullPath(lines[1], directory);
        var workTree = !bare && lines.Length >= 3 ? lines[2] : null;
        return new GitRepository(workTree, commonDir, workTree is null ? git : new GitRunner(workTree));
    }
}
