using System.Text;
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
        var log = await repository.Git.RunAsync(
            ["log", "--raw", "--no-renames", "--no-abbrev", "-z", "--diff-filter=AM", "--format=", "--find-object=" + LfsPointer.BlobId(oid, size), "HEAD"],
            allowFailure: true, cancellationToken: cancellationToken);
        var inHead = ParseRaw(log.Stdout).Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
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
        var log = await LogAsync(tips, rewritten ? new HashSet<string>() : scanned, cancellationToken)
                  ?? throw new GitException("git log failed while scanning for LFS pointers", 1);
        var found = await new PointerScanner(repository.Git).ReadAsync(log, cancellationToken);
        _table.AddScan(found.Select(f => (f.Pointer.Oid, f.Pointer.Size, f.Path)), tips, replace: rewritten);
    }

    private async Task<bool> AnyUnreachableAsync(IReadOnlySet<string> scanned, HashSet<string> tips, CancellationToken cancellationToken)
    {
        var revs = string.Concat(scanned.Select(t => t + "\n")) + string.Concat(tips.Select(t => "^" + t + "\n"));
        var result = await repository.Git.RunAsync(["rev-list", "-1", "--stdin"], revs, allowFailure: true, cancellationToken: cancellationToken);
        return result.ExitCode != 0 || result.Stdout.Trim().Length > 0;
    }

    /// <summary>Added or modified regular files of each commit, newest first, as (blob, path).</summary>
    private async Task<List<(string Blob, string Path)>?> LogAsync(HashSet<string> tips, IReadOnlySet<string> exclude,
        CancellationToken cancellationToken)
    {
        var revs = new StringBuilder();
        foreach (var tip in tips)
        {
            revs.Append(tip).Append('\n');
        }

        foreach (var old in exclude)
        {
            revs.Append('^').Append(old).Append('\n');
        }

        var result = await repository.Git.RunAsync(
            ["log", "--raw", "--no-renames", "--no-abbrev", "-z", "--diff-filter=AM", "--format=", "--stdin"],
            revs.ToString(), allowFailure: true, cancellationToken: cancellationToken);
        return result.ExitCode == 0 ? ParseRaw(result.Stdout) : null;
    }

    private static List<(string Blob, string Path)> ParseRaw(string output)
    {
        // -z records: ":<old mode> <new mode> <old sha> <new sha> <status>" then the path, each NUL-terminated.
        var files = new List<(string, string)>();
        var records = output.Split('\0');
        for (var i = 0; i + 1 < records.Length; i++)
        {
            var header = records[i].TrimStart('\n');
            if (!header.StartsWith(':'))
            {
                continue;
            }

            var fields = header.Split(' ');
            var path = records[++i];
            if (fields.Length == 5 && fields[1] is "100644" or "100755")
            {
                files.Add((fields[3], path));
            }
        }

        return files;
    }

    private async Task<HashSet<string>> CurrentTipsAsync(CancellationToken cancellationToken)
    {
        var refs = await repository.Git.RunAsync(["for-each-ref", "--format=%(objectname)"], cancellationToken: cancellationToken);
        var head = await repository.Git.RunAsync(["rev-parse", "--verify", "-q", "HEAD"], allowFailure: true, cancellationToken: cancellationToken);
        var tips = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in (refs.Stdout + "\n" + head.Stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            tips.Add(line);
        }

        return tips;
    }
}
