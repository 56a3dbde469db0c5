using LfsS3Agent.Core.LocalState;

namespace LfsS3Agent.Core.Git;

/// <summary>
/// Finds the paths of an LFS object in the repository from the pointer files in git history, since
/// git-lfs only sends the OID. It reads every commit's added and modified files (so a renamed file is
/// known under each of its names), only for commits not reachable from the last scan's tips, and shares
/// the result through SQLite, under a lock so eight agent processes do the work once.
/// Only commits some ref or HEAD reaches count: after history is rewritten (amend, rebase, reset, a deleted
/// branch) the index is rebuilt, so a path the remote can never see is never chosen.
/// </summary>
public sealed class PathIndex(GitRepository repository, LocalDatabase database, string lockPath)
{
    /// <summary>Where prune keeps, while it runs, the refs of remotes this clone does not fetch (<c>&lt;remote&gt;/&lt;ref&gt;</c>).</summary>
    public const string PruneRefs = "refs/lfs-s3-prune/";

    private const string StashRef = "refs/stash";

    private readonly PathIndexTable _table = new(database);
    private bool _updated;

    /// <summary>
    /// The paths an upload of this OID may use, best first: of several, those the OID had in HEAD's history
    /// (what is being pushed, in the usual case) come before those only other refs reach.
    /// </summary>
    public async Task<IReadOnlyList<string>> UploadPathsAsync(string oid, long size, CancellationToken cancellationToken)
    {
        if (!_updated)
        {
            await UpdateAsync(cancellationToken);
        }

        var paths = _table.FindPaths(oid);
        if (paths.Count < 2)
        {
            return paths;
        }

        // Where HEAD's history added this exact pointer blob: one history walk, only for an OID with several paths.
        var inHead = (await AddedFilesAsync(new GitLogQuery { Revisions = ["HEAD"], FindObject = LfsPointer.BlobId(oid, size) }, cancellationToken) ?? [])
            .Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        return [.. paths.Where(inHead.Contains), .. paths.Where(p => !inHead.Contains(p))];
    }

    /// <summary>Every path the OID had in history, the upload path first.</summary>
    public async Task<IReadOnlyList<string>> FindPathsAsync(string oid, CancellationToken cancellationToken)
    {
        var known = _table.FindPaths(oid);
        if (known.Count > 0 || _updated)
        {
            return known;
        }

        await UpdateAsync(cancellationToken);
        return _table.FindPaths(oid);
    }

    /// <summary>Every pointer the index holds (<see cref="UpdateAsync"/> first for all of history): OID, size, paths (upload path first).</summary>
    public List<(string Oid, long Size, List<string> Paths)> AllPointers() => _table.AllPointers();

    /// <summary>Indexes the pointers reachable from every ref and HEAD that earlier scans have not covered.</summary>
    public async Task UpdateAsync(CancellationToken cancellationToken)
    {
        _updated = true;
        using var fileLock = FileLock.Acquire(lockPath, TimeSpan.FromMinutes(10));
        var tips = await CurrentTipsAsync(cancellationToken);
        var scanned = _table.ScannedTips();
        // Commits an earlier scan saw that no tip reaches any more (amend, rebase, reset, a deleted branch, or gone
        // after gc) would leave paths no remote can have: then the index is rebuilt from the current tips.
        var rewritten = scanned.Count > 0 && !scanned.IsSubsetOf(tips) && await AnyUnreachableAsync(scanned, tips, cancellationToken);
        if (tips.Count == 0 || (!rewritten && tips.IsSubsetOf(scanned)))
        {
            return;
        }

        var exclude = rewritten ? Enumerable.Empty<string>() : scanned.Select(old => "^" + old);
        var log = await AddedFilesAsync(new GitLogQuery { StdinRevisions = [.. tips, .. exclude] }, cancellationToken)
                  ?? throw new GitException("git log failed while scanning for LFS pointers", 1);
        var found = await new PointerScanner(repository.Git).ReadAsync(log, cancellationToken);
        _table.AddScan(found.Select(f => (f.Pointer.Oid, f.Pointer.Size, f.Path)), tips, replace: rewritten);
    }

    /// <summary>
    /// The pointers of the commits <paramref name="tips"/> reach that the index's own tips do not (another remote's refs
    /// fetched for prune, stash entries), read without being added to the index: OID, size, paths.
    /// </summary>
    public async Task<List<(string Oid, long Size, List<string> Paths)>> PointersBeyondAsync(IReadOnlyCollection<string> tips,
        CancellationToken cancellationToken)
    {
        if (tips.Count == 0)
        {
            return [];
        }

        var exclude = (await CurrentTipsAsync(cancellationToken)).Select(t => "^" + t);
        var log = await AddedFilesAsync(new GitLogQuery { StdinRevisions = [.. tips, .. exclude] }, cancellationToken)
                  ?? throw new GitException("git log failed while scanning for LFS pointers", 1);
        var found = await new PointerScanner(repository.Git).ReadAsync(log, cancellationToken);
        return [.. found.GroupBy(f => f.Pointer.Oid, StringComparer.Ordinal)
            .Select(g => (Oid: g.Key, g.First().Pointer.Size, Paths: g.Select(f => f.Path).Distinct(StringComparer.Ordinal).ToList()))];
    }

    private async Task<bool> AnyUnreachableAsync(IReadOnlySet<string> scanned, HashSet<string> tips, CancellationToken cancellationToken)
    {
        try
        {
            return await repository.Git.FirstReachableAsync([.. scanned, .. tips.Select(t => "^" + t)], cancellationToken) is not null;
        }
        catch (GitException)
        {
            return true; // a scanned commit git no longer has
        }
    }

    /// <summary>Added or modified regular files of each commit the query walks, newest first, as (blob, path); null when git log failed.</summary>
    private async Task<List<(string Blob, string Path)>?> AddedFilesAsync(GitLogQuery query, CancellationToken cancellationToken)
    {
        try
        {
            var log = await repository.Git.LogAsync(query with { DiffFilter = "AM" }, cancellationToken);
            return [.. log.SelectMany(e => e.Changes).Where(c => c.IsRegular).Select(c => (c.NewBlob, c.Path))];
        }
        catch (GitException)
        {
            return null;
        }
    }

    private async Task<HashSet<string>> CurrentTipsAsync(CancellationToken cancellationToken)
    {
        // A stash is this clone's own unfinished work and prune's fetched refs are another remote's: neither is history
        // a push chooses paths from (prune reads both with PointersBeyondAsync).
        var tips = (await repository.Git.ForEachRefAsync("%(objectname) %(refname)", [], cancellationToken))
            .Select(line => line.Split(' ', 2))
            .Where(p => p.Length == 2 && p[1] != StashRef && !p[1].StartsWith(PruneRefs, StringComparison.Ordinal))
            .Select(p => p[0]).ToHashSet(StringComparer.Ordinal);
        if (await repository.Git.RevParseAsync("HEAD", cancellationToken) is { } head)
        {
            tips.Add(head);
        }

        return tips;
    }
}
