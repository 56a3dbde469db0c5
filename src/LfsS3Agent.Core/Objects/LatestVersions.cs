using LfsS3Agent.Core.Diagnostics;
using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.Storage;
using Microsoft.Extensions.Logging;

namespace LfsS3Agent.Core.Objects;

/// <summary>
/// After a push: the latest version of each key it wrote or found must be the content the remote's default branch has
/// at that path, so the browsable bucket shows that branch. A push that carries several versions of one path uploads
/// them in parallel, and the last to finish would otherwise win, older or not; a rejected push leaves its content as
/// the latest until the push after the merge sets it right.
/// </summary>
public static class LatestVersions
{
    /// <summary>
    /// The commit whose content the bucket's latest versions follow: the remote's default branch (its HEAD) as this
    /// clone will push it (the local branch, when it holds everything the remote's has) or as the remote has it; HEAD
    /// when the remote's default branch is not known.
    /// </summary>
    public static async Task<string> TargetAsync(IGit git, string? remote, CancellationToken cancellationToken)
    {
        var prefix = $"refs/remotes/{remote}/";
        if (remote is null || await git.SymbolicRefAsync(prefix + "HEAD", cancellationToken) is not { } head || !head.StartsWith(prefix, StringComparison.Ordinal))
        {
            return "HEAD";
        }

        var local = await git.RevParseAsync("refs/heads/" + head[prefix.Length..] + "^{commit}", cancellationToken);
        var theirs = await git.RevParseAsync(head + "^{commit}", cancellationToken);
        return local is not null && (theirs is null || await git.IsAncestorAsync(theirs, local, cancellationToken)) ? local : theirs ?? "HEAD";
    }

    /// <summary>
    /// Promotes <paramref name="target"/>'s version wherever this process wrote or found other content at its path; returns how many.
    /// The agent processes of one push take turns (<paramref name="lockPath"/>), each looking afresh: a key whose latest
    /// version already holds the target's content (another process promoted it) is left alone, so a push promotes a key once.
    /// </summary>
    public static async Task<int> SettleAsync(IGit git, KeyLayout layout, IObjectStore store, string target,
        IReadOnlyCollection<(string Path, string Oid, long Size, bool Found)> uploads, string lockPath, ILogger logger, CancellationToken cancellationToken)
    {
        if (uploads.Count == 0)
        {
            return 0;
        }

        var blobs = (await git.LsTreeAsync(target, null, new LsTreeOptions(EmptyOnFailure: true), cancellationToken))
            .Where(f => f.Type == "blob").ToDictionary(f => f.Path, f => f.Blob, StringComparer.Ordinal);

        // A path can have the wrong latest version where this process wrote other content than the target's, or found
        // the target's content already stored: an old version (a file taken back to earlier content), maybe not the latest.
        var suspects = uploads.Where(u => blobs.TryGetValue(u.Path, out var blob) && (u.Found || blob != LfsPointer.BlobId(u.Oid, u.Size)))
            .Select(u => (blobs[u.Path], u.Path)).Distinct().ToList();
        var promoted = 0;
        var pointers = await new PointerScanner(git).ReadAsync(suspects, cancellationToken);
        if (pointers.Count == 0)
        {
            return 0;
        }

        using var turn = FileLock.Acquire(lockPath, TimeSpan.FromMinutes(5));
        // A fresh finder, inside the turn: the versions this process and the others just wrote or promoted must be in its listings.
        // Many suspects (a push of objects all stored before) are listed a folder at a time, not a key at a time.
        var finder = new VersionFinder(store, folderListings: pointers.Count > 8, compressed: true);
        foreach (var (pointer, path) in pointers)
        {
            var key = layout.KeyFor(path);
            if (await finder.FindVersionAsync(key, pointer.Oid, pointer.Size, cancellationToken) is { IsLatest: false } version
                && !await LatestHoldsAsync(finder, key, pointer.Oid, cancellationToken))
            {
                var copy = await store.PromoteAsync(key, version.VersionId, cancellationToken);
                Log.Promoted(logger, store.Describe(key), version.VersionId, copy);
                promoted++;
            }
        }

        return promoted;
    }

    /// <summary>The key's latest version is recorded as the object already (a copy an earlier promote made, compressed or not).</summary>
    private static async Task<bool> LatestHoldsAsync(VersionFinder finder, string key, string oid, CancellationToken cancellationToken) =>
        (await finder.VersionsAsync(key, cancellationToken)).FirstOrDefault(v => v.IsLatest) is { } latest
        && await finder.OidAsync(key, latest.VersionId, cancellationToken) == oid;
}
