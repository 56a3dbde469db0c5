using System.Collections.Concurrent;
using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Core.Objects;

/// <summary>A version prune would delete, and why nothing needs it.</summary>
public sealed record PruneCandidate(StoredVersion Version, string? Oid);

/// <summary>What prune would remove: versions and unfinished uploads, and the bytes they hold.</summary>
public sealed record PrunePlan(IReadOnlyList<PruneCandidate> Versions, IReadOnlyList<UnfinishedUpload> Uploads, int KeptYoung, int HistoryObjects)
{
    public long Bytes => Versions.Sum(v => v.Version.Size);

    /// <summary>Prefixes below this repository's that hold another repository's marker: nothing under them was considered.</summary>
    public IReadOnlyList<string> OtherRepositories { get; init; } = [];
}

/// <summary>
/// What prune reads beyond the path index: the pointers of commits only another remote's refs reach (history: each must
/// be stored), and those of stash entries (this clone's unfinished work: kept where stored, never required).
/// </summary>
public sealed record HistoryBeyond(IReadOnlyList<(string Oid, long Size, List<string> Paths)> Remote,
    IReadOnlyList<(string Oid, long Size, List<string> Paths)> Stashed)
{
    public static readonly HistoryBeyond None = new([], []);
}

/// <summary>
/// Finds the versions under the repository's prefix that nothing needs. A version is kept when it is younger than
/// the grace period (its commit may not be pushed yet), when it is the stored version of an object some commit
/// of some ref points at (as the locator finds it) or a stash entry holds, when a mapping entry of any ref or of the work tree names it,
/// or when it holds the same bytes as such an object (its metadata's OID). Keys under the reserved <c>.git/</c>
/// area other than the orphan objects (doctor's probes, locks, the marker) are never touched, nor anything under another
/// repository's marker below the prefix.
/// </summary>
public sealed class UnreferencedVersions(IObjectStore store, KeyLayout layout, CommittedMapping committed, ObjectLocator locator)
{
    public async Task<PrunePlan> PlanAsync(TimeSpan grace, IEnumerable<string> refs, HistoryBeyond beyond, Action<string> notStored,
        CancellationToken cancellationToken)
    {
        var prefix = layout.Prefix.Length == 0 ? "" : layout.Prefix + "/";
        var cutoff = DateTimeOffset.UtcNow - grace;

        var pointers = (await locator.HistoryPointersAsync(cancellationToken)).Concat(beyond.Remote)
            .GroupBy(p => p.Oid, StringComparer.Ordinal)
            .Select(g => (Oid: g.Key, g.First().Size, Paths: g.SelectMany(p => p.Paths).Distinct(StringComparer.Ordinal).ToList())).ToList();
        var history = await locator.LocateAllAsync(pointers, null, cancellationToken);
        foreach (var m in history.Missing.Select(p => $"{p.Paths.FirstOrDefault() ?? "?"} ({p.Oid[..12]})").Order(StringComparer.Ordinal))
        {
            notStored(m);
        }

        if (history.Missing.Count > 0)
        {
            return new PrunePlan([], [], 0, pointers.Count);
        }

        var pinned = new HashSet<(string, string)>();
        // Whatever a mapping names is kept: what the branch recorded within the grace period (someone pushed it, perhaps
        // in a commit this clone never fetched), and everything older releases committed in the branches.
        var mapping = await committed.BranchEntriesSinceAsync(cutoff, cancellationToken);
        mapping.AddRange((await committed.ReadAsync(MappingSource.WorkTree, cancellationToken)).Entries);
        foreach (var treeish in refs.Append(":"))
        {
            mapping.AddRange(treeish == ":" ? (await committed.ReadAsync(MappingSource.Index, cancellationToken)).Entries
                : await committed.EntriesAtAsync(treeish, cancellationToken));
        }

        foreach (var entry in mapping)
        {
            pinned.Add((entry.Key, entry.VersionId));
        }

        // A stash entry's objects are kept where they are stored; one that never was is no reason to refuse.
        pinned.UnionWith((await locator.LocateAllAsync(beyond.Stashed, null, cancellationToken)).Versions.Keys);
        var oids = pointers.Select(p => p.Oid).Concat(beyond.Stashed.Select(p => p.Oid)).ToHashSet(StringComparer.Ordinal);
        var orphans = layout.KeyFor(KeyLayout.OrphanFolder + "/");
        var reserved = layout.KeyFor(".git/");
        var young = 0;
        var candidates = new ConcurrentBag<PruneCandidate>();
        var listed = await store.Require<IStoreMaintenance>("list every version").ListAllVersionsAsync(prefix, cancellationToken);
        // Another repository inside this prefix (its marker) keeps everything under it, whatever this one's history says.
        var others = RepositoryMarkers.NestedPrefixes(listed.Select(v => v.Key), layout.Prefix);
        var versions = listed.Where(v => !RepositoryMarkers.IsUnder(v.Key, others))
            .Where(v => !v.Key.StartsWith(reserved, StringComparison.Ordinal) || v.Key.StartsWith(orphans, StringComparison.Ordinal))
            .Where(v => !history.Versions.ContainsKey((v.Key, v.VersionId)) && !pinned.Contains((v.Key, v.VersionId)))
            .Where(v =>
            {
                // A version without a time is treated as new: kept.
                var old = v.Modified is { } m && m < cutoff;
                if (!old)
                {
                    Interlocked.Increment(ref young);
                }

                return old;
            })
            .ToList();
        await Parallel.ForEachAsync(versions, new ParallelOptions { MaxDegreeOfParallelism = locator.Parallelism, CancellationToken = cancellationToken }, async (v, ct) =>
        {
            var oid = await locator.OidAsync(v.Key, v.VersionId, ct);
            if (oid is null || !oids.Contains(oid))
            {
                candidates.Add(new PruneCandidate(v, oid));
            }
        });

        var uploads = (await store.Require<IStoreMaintenance>("list unfinished uploads").ListUnfinishedUploadsAsync(prefix, cancellationToken)).Where(u => u.Started < cutoff && !RepositoryMarkers.IsUnder(u.Key, others)).ToList();
        return new PrunePlan(candidates.OrderBy(c => c.Version.Key, StringComparer.Ordinal).ThenBy(c => c.Version.Modified).ToList(), uploads, young,
            pointers.Count) { OtherRepositories = others };
    }
}
