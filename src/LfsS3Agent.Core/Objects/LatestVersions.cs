using LfsS3Agent.Core.Diagnostics;
using LfsS3Agent.Core.Git;
using Microsoft.Extensions.Logging;

namespace LfsS3Agent.Core.Objects;

/// <summary>
/// After a push: the latest version of each key it wrote must be the content HEAD has at that path, so the
/// browsable bucket shows the pushed commit. A push that carries several versions of one path uploads them in
/// parallel, and the last to finish would otherwise win, older or not.
/// </summary>
public static class LatestVersions
{
    /// <summary>Promotes HEAD's version wherever this process uploaded some other content to HEAD's path; returns how many.</summary>
    public static async Task<int> SettleAsync(Workspace workspace, IReadOnlyCollection<(string Path, string Oid, long Size)> uploads,
        ILogger logger, CancellationToken cancellationToken)
    {
        if (uploads.Count == 0)
        {
            return 0;
        }

        var git = workspace.Repository.Git;
        var blobs = (await git.LsTreeAsync("HEAD", null, new LsTreeOptions(EmptyOnFailure: true), cancellationToken))
            .Where(f => f.Type == "blob").ToDictionary(f => f.Path, f => f.Blob, StringComparer.Ordinal);

        // Only a path where this process wrote other content than HEAD's can have the wrong latest version.
        var suspects = uploads.Where(u => blobs.TryGetValue(u.Path, out var blob) && blob != LfsPointer.BlobId(u.Oid, u.Size))
            .Select(u => (blobs[u.Path], u.Path)).Distinct().ToList();
        var promoted = 0;
        foreach (var (pointer, path) in await new PointerScanner(git).ReadAsync(suspects, cancellationToken))
        {
            var key = workspace.Layout.KeyFor(path);
            var store = workspace.Store;
            var versions = await store.ListVersionsAsync(key, cancellationToken);
            // A smaller version may hold the object compressed: its OID metadata says so.
            foreach (var version in versions.Where(v => v.Size == pointer.Size).Concat(versions.Where(v => v.Size < pointer.Size)))
            {
                var (oid, objectSize) = await store.GetIdentityAsync(key, version.VersionId, cancellationToken);
                if (oid != pointer.Oid || version.Size != pointer.Size && objectSize != pointer.Size)
                {
                    continue;
                }

                if (!version.IsLatest)
                {
                    var copy = await store.PromoteAsync(key, version.VersionId, cancellationToken);
                    Log.Promoted(logger, store.Describe(key), version.VersionId, copy);
                    promoted++;
                }

                break;
            }
        }

        return promoted;
    }
}
