using System.Collections.Concurrent;
using System.Text;
using LfsS3Agent.Core.Git;

namespace LfsS3Agent.Core.Mapping;

/// <summary>What became of pushing the mapping branch.</summary>
/// <param name="Pushed">The remote's branch now holds every entry that was committed locally.</param>
/// <param name="Reason">Why not, in git's own words (a protected branch, no rights, offline), when not pushed.</param>
public sealed record BranchPush(bool Pushed, string? Reason);

/// <summary>
/// The mapping on a branch of its own (<c>lfs-s3</c> by default, as git-annex keeps its own branch): shards
/// <c>xx.tsv</c> at the root of a tree that is never checked out, written with plumbing only (hash-object, mktree,
/// commit-tree, update-ref), so the user's branches, index and work tree never see it. This clone's commits live
/// under <c>refs/lfs-s3/</c> (never listed by <c>git branch</c>, never pushed by <c>git push --all</c>) and go to
/// <c>refs/heads/&lt;branch&gt;</c> of the remote; every clone reads the branch from every remote it fetched. Two
/// sides are joined as the union of their lines per shard, so nobody ever sees a conflict.
/// </summary>
public sealed class MappingBranch(GitRepository repository, string branch)
{
    /// <summary>Where everything of ours lives in a clone's refs.</summary>
    public const string RefNamespace = "refs/lfs-s3/";

    private const string Readme = """
        This branch is written by git-lfs-s3: it records where each LFS object of this repository is stored
        (one line per object: oid, size, S3 version id, S3 key; a file per first two hex digits of the OID).
        Every push adds to it; nobody needs to check it out, edit or merge it. See the git-lfs-s3 README.

        """;

    /// <summary>
    /// The file that holds the repository's id for repositories whose committed config has none (set up by older
    /// releases): the first clone to push the branch writes it, every later commit keeps the remote's.
    /// </summary>
    public const string IdentityFile = "repository";

    // Shared by lookups that run in parallel (publish, prune, verify): one read of a commit's tree serves them all.
    // (Lazy: GetOrAdd may run its factory for each racer and keep one result; the read starts only for the kept one.)
    private readonly ConcurrentDictionary<string, Lazy<Task<(IReadOnlyDictionary<string, string> Shards, string? Identity)>>> _trees =
        new(StringComparer.Ordinal);

    public string Branch { get; } = branch;

    /// <summary>This clone's own commits of the branch.</summary>
    public string LocalRef => RefNamespace + Branch;

    /// <summary>The branch on a remote.</summary>
    public string RemoteRef => "refs/heads/" + Branch;

    /// <summary>Where a remote's copy is kept: its remote-tracking branch, or a private ref for a URL without a name.</summary>
    public string TrackingRef(string remote) => IsName(remote)
        ? $"refs/remotes/{remote}/{Branch}"
        : $"{RefNamespace}remotes/{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(remote)))[..16]}/{Branch}";

    private static bool IsName(string remote) =>
        remote.Length > 0 && !remote.Contains('/') && !remote.Contains(':') && !remote.Contains('\\') && !remote.StartsWith('.');

    /// <summary>The shard of an OID on the branch.</summary>
    public static string ShardName(string oid) => oid[..2] + ".tsv";

    /// <summary>Every copy of the branch this clone has (its own, and each remote's it fetched), each commit once.</summary>
    public async Task<IReadOnlyList<string>> TipsAsync(CancellationToken cancellationToken)
    {
        var refs = await repository.Git.ForEachRefAsync("%(objectname)", [RefNamespace.TrimEnd('/'), $"refs/remotes/*/{Branch}"], cancellationToken);
        return refs.Select(r => r.Trim()).Where(r => r.Length > 0).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>The shards of one commit of the branch: file name -> blob id (read once per commit).</summary>
    public async Task<IReadOnlyDictionary<string, string>> ShardsAsync(string commit, CancellationToken cancellationToken) =>
        (await TreeAsync(commit, cancellationToken)).Shards;

    private async Task<(IReadOnlyDictionary<string, string> Shards, string? Identity)> TreeAsync(string commit, CancellationToken cancellationToken)
    {
        var read = _trees.GetOrAdd(commit, c => new(() => ReadTreeAsync(c, cancellationToken)));
        try
        {
            return await read.Value;
        }
        catch (Exception)
        {
            // A failed or cancelled read is not remembered: the next caller reads again.
            _trees.TryRemove(KeyValuePair.Create(commit, read));
            throw;
        }
    }

    private async Task<(IReadOnlyDictionary<string, string> Shards, string? Identity)> ReadTreeAsync(string commit, CancellationToken cancellationToken)
    {
        var tree = await repository.Git.LsTreeAsync(commit, null, new LsTreeOptions(Recursive: false, EmptyOnFailure: true), cancellationToken);
        var shards = tree.Where(f => f.IsRegular && f.Path.EndsWith(".tsv", StringComparison.Ordinal) && !f.Path.Contains('/'))
            .ToDictionary(f => f.Path, f => f.Blob, StringComparer.Ordinal);
        return (shards, tree.FirstOrDefault(f => f.IsRegular && f.Path == IdentityFile)?.Blob);
    }

    /// <summary>The repository id one commit of the branch records, or null (a branch written by an older release).</summary>
    public async Task<string?> IdentityAtAsync(string commit, CancellationToken cancellationToken) =>
        (await TreeAsync(commit, cancellationToken)).Identity is { } blob
        && (await repository.Git.BatchAsync([blob], cancellationToken)).TryGetValue(blob, out var bytes)
        && Encoding.UTF8.GetString(bytes).Trim() is { Length: > 0 and <= 200 } id ? id : null;

    /// <summary>The id the branch records, from the remote's copy as last fetched, else this clone's own; null when neither has one.</summary>
    public async Task<string?> IdentityAsync(string? remote, CancellationToken cancellationToken)
    {
        foreach (var reference in remote is null ? [LocalRef] : new[] { TrackingRef(remote), LocalRef })
        {
            if (await ResolveAsync(reference, cancellationToken) is { } commit && await IdentityAtAsync(commit, cancellationToken) is { } id)
            {
                return id;
            }
        }

        return null;
    }

    /// <summary>The commit a ref names, or null.</summary>
    private Task<string?> ResolveAsync(string reference, CancellationToken cancellationToken) =>
        repository.Git.RevParseAsync(reference + "^{commit}", cancellationToken);

    /// <summary>
    /// Commits <paramref name="entries"/> on top of this clone's copy joined with the remote's (each shard the union
    /// of both sides' lines); returns the new local tip, unchanged when nothing was new. Callers hold the mapping lock.
    /// </summary>
    public async Task<string?> CommitAsync(IReadOnlyCollection<MappingEntry> entries, string? remote, CancellationToken cancellationToken)
    {
        var local = await ResolveAsync(LocalRef, cancellationToken);
        var theirs = remote is null ? null : await ResolveAsync(TrackingRef(remote), cancellationToken);
        var parents = new List<string>();
        if (local is not null)
        {
            parents.Add(local);
        }

        if (theirs is not null && theirs != local && (local is null || !await IsAncestorAsync(theirs, local, cancellationToken)))
        {
            parents.Add(theirs);
        }

        // Their side already holds ours: move to it instead of making a merge.
        if (parents.Count == 2 && await IsAncestorAsync(local!, theirs!, cancellationToken))
        {
            parents.RemoveAt(0);
        }

        // Each shard as the blobs it is made of: one where the parents agree, more where they differ (joined as the union).
        var sources = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var parent in parents)
        {
            foreach (var (name, blob) in await ShardsAsync(parent, cancellationToken))
            {
                if (!sources.TryGetValue(name, out var blobs))
                {
                    sources[name] = [blob];
                }
                else if (!blobs.Contains(blob))
                {
                    blobs.Add(blob);
                }
            }
        }

        // The shards to rewrite (joined ones, and those the entries fall in): read in one cat-file and written in one
        // hash-object, whatever their number.
        var groups = entries.GroupBy(e => ShardName(e.Oid)).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var touched = sources.Where(s => s.Value.Count > 1).Select(s => s.Key).Union(groups.Keys).ToList();
        var stored = await repository.Git.BatchAsync(touched.SelectMany(n => sources.GetValueOrDefault(n) ?? []).Distinct().ToList(), cancellationToken);
        var rewritten = new List<(string Name, string Text)>();
        foreach (var name in touched)
        {
            var blobs = sources.GetValueOrDefault(name) ?? [];
            var set = blobs.SelectMany(b => stored.TryGetValue(b, out var bytes) ? MappingFile.Parse(Encoding.UTF8.GetString(bytes)).Entries : [])
                .ToHashSet();
            var grew = blobs.Count > 1;
            foreach (var entry in groups.GetValueOrDefault(name) ?? [])
            {
                grew |= set.Add(entry);
            }

            if (grew)
            {
                rewritten.Add((name, MappingFile.Format(set)));
            }
        }

        var shards = sources.ToDictionary(s => s.Key, s => s.Value[0], StringComparer.Ordinal);
        // The remote's id wins over this clone's: whoever pushed the branch first named the repository.
        string? identity = null;
        foreach (var parent in parents.AsEnumerable().Reverse())
        {
            identity ??= (await TreeAsync(parent, cancellationToken)).Identity;
        }

        var ids = await repository.Git.WriteBlobObjectsAsync([.. rewritten.Select(r => r.Text), Guid.NewGuid().ToString("N") + "\n", Readme], cancellationToken);
        identity ??= ids[^2];
        for (var i = 0; i < rewritten.Count; i++)
        {
            shards[rewritten[i].Name] = ids[i];
        }

        var changed = parents.Count == 2 || rewritten.Count > 0;
        if (!changed || parents.Count == 1 && parents[0] != local && shards.Count > 0 && entries.Count == 0)
        {
            // Nothing of ours to add: this clone's copy simply moves to theirs.
            if (parents.Count == 1 && parents[0] != local)
            {
                await UpdateRefAsync(LocalRef, parents[0], local, cancellationToken);
                return parents[0];
            }

            return local;
        }

        var tree = shards.Select(s => new TreeFile("100644", s.Value, s.Key, -1)).Append(new TreeFile("100644", ids[^1], "README", -1))
            .Append(new TreeFile("100644", identity, IdentityFile, -1)).ToList();

        var treeId = await repository.Git.MakeTreeAsync(tree, cancellationToken);
        var added = entries.Count;
        var message = $"git-lfs-s3: {(added == 0 ? "join both sides" : added == 1 ? "1 object" : $"{added} objects")} [skip ci]\n";
        var commit = await repository.Git.CommitTreeAsync(treeId, parents, message, cancellationToken);
        await UpdateRefAsync(LocalRef, commit, local, cancellationToken);
        return commit;
    }

    private async Task UpdateRefAsync(string reference, string commit, string? old, CancellationToken cancellationToken)
    {
        if (!await repository.Git.UpdateRefAsync(reference, commit, old, cancellationToken))
        {
            throw new GitException($"could not move {reference} to {commit} (another process moved it)", 1);
        }
    }

    private Task<bool> IsAncestorAsync(string ancestor, string descendant, CancellationToken cancellationToken) =>
        repository.Git.IsAncestorAsync(ancestor, descendant, cancellationToken);

    /// <summary>Whether the remote's copy, as this clone last saw it, is this clone's own (nothing to push).</summary>
    public async Task<bool> IsPushedAsync(string remote, CancellationToken cancellationToken) =>
        await ResolveAsync(LocalRef, cancellationToken) is var local && local == await ResolveAsync(TrackingRef(remote), cancellationToken);

    /// <summary>
    /// Brings the remote's branch into this clone (its remote-tracking ref); false when the remote has none or
    /// cannot be reached. A shallow clone fetches only the tip.
    /// </summary>
    public async Task<bool> FetchAsync(string remote, CancellationToken cancellationToken)
    {
        var shallow = await repository.Git.IsShallowAsync(cancellationToken);
        var outcome = await repository.Git.FetchOwnAsync(remote, [$"+{RemoteRef}:{TrackingRef(remote)}"], shallow, await QuietAsync(cancellationToken), cancellationToken);
        return outcome.Succeeded;
    }

    /// <summary>
    /// Pushes this clone's copy to the remote's branch; when someone pushed first, fetches theirs, joins both and
    /// tries again. Never prompts and runs no hooks; a failure is returned, never thrown: the user's own push goes on.
    /// </summary>
    public async Task<BranchPush> PushAsync(string remote, CancellationToken cancellationToken)
    {
        var push = await TryPushAsync(remote, cancellationToken);
        var failure = Path.Combine(repository.StateDir, FailureFile);
        var success = Path.Combine(repository.StateDir, SuccessFile);
        if (push.Pushed)
        {
            File.Delete(failure);
            Directory.CreateDirectory(repository.StateDir);
            await File.WriteAllTextAsync(success, $"{remote}\t{Branch}\n", cancellationToken);
        }
        else
        {
            Directory.CreateDirectory(repository.StateDir);
            File.Delete(success);
            await File.WriteAllTextAsync(failure, $"{remote}\t{push.Reason}\n", cancellationToken);
        }

        return push;
    }

    /// <summary>
    /// Why the last push of the branch failed (the remote, git's words), kept until one succeeds; null when it did, or
    /// when it failed longer ago than <paramref name="within"/>.
    /// </summary>
    public (string Remote, string Reason)? LastFailure(TimeSpan? within = null) =>
        ReadStamp(FailureFile, within) is [var remote, var reason] ? (remote, reason) : null;

    /// <summary>The remote the branch is kept on when none is named: origin, else the first remote; null without remotes.</summary>
    public async Task<string?> DefaultRemoteAsync(CancellationToken cancellationToken)
    {
        var remotes = await repository.Git.RemotesAsync(cancellationToken);
        return remotes.Contains("origin") ? "origin" : remotes.FirstOrDefault();
    }

    /// <summary>
    /// Whether a process of this clone pushed this branch to <paramref name="remote"/> within <paramref name="within"/>
    /// (the first agent of a push to end publishes for all; the others then need no git process to know it).
    /// </summary>
    public bool PushedRecently(string remote, TimeSpan within) =>
        ReadStamp(SuccessFile, within) is [var pushedTo, var branch] && pushedTo == remote && branch == Branch;

    /// <summary>
    /// The two tab-separated fields of a state file written by <see cref="PushAsync"/>; null when it is missing, older
    /// than <paramref name="within"/>, or cannot be read (another process replacing it counts as not there).
    /// </summary>
    private string[]? ReadStamp(string name, TimeSpan? within)
    {
        var file = Path.Combine(repository.StateDir, name);
        try
        {
            return File.Exists(file) && (within is null || DateTime.UtcNow - File.GetLastWriteTimeUtc(file) < within)
                ? File.ReadAllText(file).TrimEnd('\n').Split('\t', 2)
                : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private const string FailureFile = "mapping-push-failed";

    private const string SuccessFile = "mapping-pushed";

    private async Task<BranchPush> TryPushAsync(string remote, CancellationToken cancellationToken)
    {
        string? reason = null;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var local = await ResolveAsync(LocalRef, cancellationToken);
            if (local is null)
            {
                return new BranchPush(true, null);
            }

            var result = await repository.Git.PushAsync(remote, [$"{LocalRef}:{RemoteRef}"], await QuietAsync(cancellationToken), cancellationToken);
            if (result.Succeeded)
            {
                // A remote whose fetch refspec does not cover the branch (a single-branch clone) still knows it has it.
                await UpdateRefAsync(TrackingRef(remote), local, null, cancellationToken);
                return new BranchPush(true, null);
            }

            reason = Explain(result.Error);
            // Someone else's push got there first (refused as not a fast-forward, or lost the race for the ref's
            // lock): their tip moved, so join it and try again. Anything else (no rights, a protected branch,
            // offline) is not solved by trying again.
            var before = await ResolveAsync(TrackingRef(remote), cancellationToken);
            if (!await FetchAsync(remote, cancellationToken) || await ResolveAsync(TrackingRef(remote), cancellationToken) == before)
            {
                break;
            }

            await CommitAsync([], remote, cancellationToken);
        }

        return new BranchPush(false, reason);
    }

    private static string Explain(string error)
    {
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(l => !l.StartsWith("error: failed to push", StringComparison.Ordinal) && !l.StartsWith("To ", StringComparison.Ordinal)
                && !l.StartsWith("hint:", StringComparison.Ordinal))
            .Select(l => l.StartsWith("remote: ", StringComparison.Ordinal) ? l[8..] : l).Distinct().Take(4);
        return string.Join("; ", lines);
    }

    /// <summary>
    /// A nested git that never asks anybody anything: no terminal prompt, no credential window, and ssh in batch mode
    /// (no passphrase or host-key question) unless the user chose their own ssh command, which is left as it is.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, string>> QuietAsync(CancellationToken cancellationToken)
    {
        if (_quiet is null)
        {
            var git = repository.Git;
            var quiet = new Dictionary<string, string> { ["GIT_TERMINAL_PROMPT"] = "0", ["GCM_INTERACTIVE"] = "never" };
            if (!git.Environment.ContainsKey("GIT_SSH_COMMAND") && !git.Environment.ContainsKey("GIT_SSH")
                && await git.ConfigGetAsync(GitConfigSource.Effective, "core.sshCommand", cancellationToken) is null)
            {
                quiet["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes";
            }

            _quiet = quiet;
        }

        return _quiet;
    }

    private IReadOnlyDictionary<string, string>? _quiet;
}
