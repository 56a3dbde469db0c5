using LfsS3Agent.Core.Git;

namespace LfsS3Agent.Core.Locking;

/// <summary>
/// What a push changes, as far as an agent can see it. git-lfs sends an agent no refs, so the commits being pushed are
/// taken to be those that HEAD and the local branches reach and the push remote's tracking refs do not. Locks are per
/// path: an object is checked at the paths these commits write it to (not at every path its bytes ever had), and a
/// path these commits delete is checked as well. Read once per process; null when the push goes to a URL rather than
/// a named remote (nothing tells which commits that remote has).
/// </summary>
public sealed class PushedChanges(IGit git, string? remote)
{
    private Task<Changes?>? _changes;

    /// <summary>The paths each pointer blob is written to, and the paths deleted, by the commits being pushed.</summary>
    public sealed record Changes(ILookup<string, string> PathsByBlob, IReadOnlyList<string> Deleted)
    {
        /// <summary>Where the pushed commits write this object.</summary>
        public IReadOnlyList<string> PathsOf(string oid, long size) => [.. PathsByBlob[LfsPointer.BlobId(oid, size)].Distinct(StringComparer.Ordinal)];
    }

    public Task<Changes?> ReadAsync(CancellationToken cancellationToken) => _changes ??= FindAsync(cancellationToken);

    private async Task<Changes?> FindAsync(CancellationToken cancellationToken)
    {
        if (remote is null || !(await git.RemotesAsync(cancellationToken)).Contains(remote, StringComparer.Ordinal))
        {
            return null;
        }

        var local = await git.ForEachRefAsync("%(objectname)", ["refs/heads/"], cancellationToken);
        var pushed = await git.ForEachRefAsync("%(objectname)", [$"refs/remotes/{remote}/"], cancellationToken);
        var head = await git.RevParseAsync("HEAD", cancellationToken);
        List<string> tips = [.. local, .. head is null ? Array.Empty<string>() : [head]];
        if (tips.Count == 0)
        {
            return new Changes(Array.Empty<string>().ToLookup(b => b), []);
        }

        var log = await git.LogAsync(new GitLogQuery { StdinRevisions = [.. tips, .. pushed.Select(p => "^" + p)], DiffFilter = "AMD" },
            cancellationToken);
        var changes = log.SelectMany(e => e.Changes).ToList();
        return new Changes(
            changes.Where(c => c.Status != 'D' && c.IsRegular).ToLookup(c => c.NewBlob, c => c.Path, StringComparer.Ordinal),
            [.. changes.Where(c => c.Status == 'D').Select(c => c.Path).Distinct(StringComparer.Ordinal)]);
    }
}
