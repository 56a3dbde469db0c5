namespace LfsS3Agent.Core.Git;

/// <summary>A commit that wrote a path: the path's name in that commit and the blob it wrote.</summary>
public sealed record PathChange(CommitInfo Commit, string Name, string Blob, bool Renamed);

/// <summary>
/// Which commits wrote each path, newest first, following renames backwards (as <c>git log --follow</c> does,
/// but for many paths from one walk of the history).
/// </summary>
public sealed class PathHistory(IGit git)
{
    /// <summary>The changes to each of <paramref name="paths"/> in the history of HEAD, or of every ref with <paramref name="allRefs"/>.</summary>
    public async Task<Dictionary<string, List<PathChange>>> ChangesAsync(IReadOnlyList<string> paths, bool allRefs, CancellationToken cancellationToken)
    {
        var commits = await git.LogAsync(new GitLogQuery { Revisions = [allRefs ? "--all" : "HEAD"], Commits = true, Renames = true }, cancellationToken);
        var result = new Dictionary<string, List<PathChange>>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var names = new HashSet<string>(StringComparer.Ordinal) { path };
            var changes = new List<PathChange>();
            foreach (var (commit, entries) in commits)
            {
                foreach (var entry in entries)
                {
                    if (commit is not null && entry.Status != 'D' && names.Contains(entry.Path))
                    {
                        changes.Add(new PathChange(commit, entry.Path, entry.NewBlob, entry.Status == 'R'));
                        if (entry.Status == 'R' && entry.From is not null)
                        {
                            names.Add(entry.From);
                        }
                    }
                }
            }

            result[path] = changes;
        }

        return result;
    }
}
