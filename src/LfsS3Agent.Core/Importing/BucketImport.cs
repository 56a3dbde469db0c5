using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Core.Objects;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Core.Importing;

/// <summary>What a bucket change does to a path.</summary>
public enum ImportKind
{
    Added,
    Modified,
    Deleted,
}

/// <summary>One path the bucket changed: its key's latest state (a version written outside git, or a delete marker).</summary>
public sealed record ImportChange(string Path, ImportKind Kind, LatestState State);

/// <summary>
/// What an import would do: the commit it starts from (null on an unborn branch) and the ref it moves, the changes
/// found, the keys that cannot be paths, and the versions found to be git's own (recorded so they are not asked again).
/// </summary>
public sealed record ImportPlan(string? Base, string Ref, IReadOnlyList<ImportChange> Changes, IReadOnlyList<string> Skipped,
    IReadOnlyList<(string Key, string VersionId)> GitsOwn, int Listed)
{
    /// <summary>What <see cref="Ref"/> points at now (null: it does not exist yet), so that a ref moved meanwhile is not overwritten.</summary>
    public string? RefNow { get; init; }
}

/// <summary>One file an import committed: the change, and its object (LFS) or blob (git's own file).</summary>
public sealed record ImportedFile(ImportChange Change, bool Lfs, string? Oid, long Size, string? Blob);

/// <summary>How an import ended: the commit made (null when the bucket held nothing new) and the files it holds.</summary>
public sealed record ImportResult(string? Commit, IReadOnlyList<ImportedFile> Files);

/// <summary>
/// <c>import</c>: turns what people changed in the bucket, outside git, into one commit. One listing of the prefix
/// (latest versions and delete markers) is compared with the base commit and with what git wrote (the cache, the
/// mapping branch, OID metadata, versions looked at before); each changed file is downloaded once, hashed as it
/// streams, and becomes an LFS pointer (its object put in the local LFS store and recorded for the mapping with that
/// exact version, so nothing is ever uploaded again) or a git file. The commit is built in a scratch index, and only
/// then are the branch, index and work tree moved, as a fast-forward merge would.
/// </summary>
public sealed class BucketImport(GitRepository repository, IObjectStore store, KeyLayout layout, ObjectCache cache, CommittedMapping mapping,
    ImportedVersions seen, string lfsTempDir, int parallelism)
{
    /// <summary>The name publish gives its manifest; publish refuses the repository's prefix, but a manifest is never a file of it.</summary>
    private const string ManifestName = ".lfs-s3-publish.json";

    private IGit Git => repository.Git;

    /// <summary>
    /// Compares the bucket with the commit the import starts from: <paramref name="branch"/>'s tip (HEAD when that
    /// branch does not exist yet), or HEAD. <paramref name="paths"/> narrows it to those files and folders.
    /// </summary>
    public async Task<ImportPlan> PlanAsync(string? branch, IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        var listing = store.Require<ILatestStates>("list a prefix's latest versions and delete markers, which import needs");
        var head = await Git.RevParseAsync("HEAD^{commit}", cancellationToken);
        var tip = branch is null ? head : await Git.RevParseAsync($"refs/heads/{branch}^{{commit}}", cancellationToken);
        var (refName, start) = branch is null ? ("HEAD", head) : ("refs/heads/" + branch, tip ?? head);
        var tree = start is null ? [] : await Git.LsTreeAsync(start, null, new LsTreeOptions(), cancellationToken);
        var files = tree.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var folders = Folders(files.Keys);

        var states = await listing.ListLatestStatesAsync(layout.Prefix.Length == 0 ? "" : layout.Prefix + "/", cancellationToken);
        var known = await KnownVersionsAsync(cancellationToken);
        var skipped = new List<string>();
        var deleted = new List<ImportChange>();
        var unknown = new List<(string Path, LatestState State)>();
        foreach (var state in states)
        {
            if (layout.PathOf(state.Key) is not { } path || path == ManifestName || path.EndsWith("/" + ManifestName, StringComparison.Ordinal)
                || !Wanted(path, paths))
            {
                continue;
            }

            if (state.Deleted)
            {
                if (files.ContainsKey(path) && WhyNotAPath(path) is null)
                {
                    deleted.Add(new ImportChange(path, ImportKind.Deleted, state));
                }
            }
            else if (!known.Contains((state.Key, state.VersionId)))
            {
                if (WhyNotAPath(path) is { } why)
                {
                    skipped.Add($"{store.Describe(state.Key)}: {why}");
                }
                else if (folders.Contains(path))
                {
                    skipped.Add($"{store.Describe(state.Key)}: {path} is a folder in {(start is null ? "the commit" : start[..7])}");
                }
                else
                {
                    unknown.Add((path, state));
                }
            }
        }

        // A version that records an OID was written by git (an upload, or a promote copy): never the bucket's own change.
        var gits = new ConcurrentBag<(string, string)>();
        var changed = new ConcurrentBag<ImportChange>();
        await Parallel.ForEachAsync(unknown, Options(cancellationToken), async (item, ct) =>
        {
            string? oid;
            try
            {
                oid = await store.GetOidAsync(item.State.Key, item.State.VersionId, ct);
            }
            catch (StoreException ex) when (ex.Code == ErrorCodes.NotFound)
            {
                return;
            }

            if (oid is not null)
            {
                gits.Add((item.State.Key, item.State.VersionId));
            }
            else
            {
                changed.Add(new ImportChange(item.Path, files.ContainsKey(item.Path) ? ImportKind.Modified : ImportKind.Added, item.State));
            }
        });

        var changes = changed.Concat(deleted).ToList();
        // A new file inside another new file's name ("a" and "a/b" both added) cannot be in one tree: the folder wins.
        var newFolders = Folders(changes.Where(c => c.Kind != ImportKind.Deleted).Select(c => c.Path));
        foreach (var clash in changes.Where(c => c.Kind == ImportKind.Added && newFolders.Contains(c.Path)).ToList())
        {
            skipped.Add($"{store.Describe(clash.State.Key)}: {clash.Path} is also a folder of other keys");
            changes.Remove(clash);
        }

        // A new file under a path that is a file in the commit (and stays one) cannot be added either.
        foreach (var clash in changes.Where(c => c.Kind == ImportKind.Added && Parents(c.Path).Any(p => files.ContainsKey(p)
            && !changes.Any(d => d.Kind == ImportKind.Deleted && d.Path == p))).ToList())
        {
            skipped.Add($"{store.Describe(clash.State.Key)}: a folder of {clash.Path} is a file in the commit");
            changes.Remove(clash);
        }

        changes.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        skipped.Sort(StringComparer.Ordinal);
        return new ImportPlan(start, refName, changes, skipped, [.. gits], states.Count) { RefNow = tip };
    }

    /// <summary>
    /// Downloads the changed files, builds the commit and moves <see cref="ImportPlan.Ref"/> to it (and, for HEAD, the
    /// index and work tree). <paramref name="step"/> after each file downloaded. Nothing changes when a changed path has
    /// local changes, or when every changed file turns out to hold what the commit already has.
    /// </summary>
    public async Task<ImportResult> ApplyAsync(ImportPlan plan, string? message, Action? step, CancellationToken cancellationToken)
    {
        var updateWorkTree = plan.Ref == "HEAD";
        if (updateWorkTree && plan.Base is null && plan.Changes.Count > 0 && (await Git.LsFilesStagedAsync([], cancellationToken)).Count > 0)
        {
            throw new LfsS3Exception(ErrorCodes.BadRequest,
                "this branch has no commit yet and files are staged: commit them first (git commit -m \"Set up git-lfs-s3\"), then import; nothing was changed");
        }

        if (updateWorkTree && plan.Changes.Count > 0)
        {
            await CheckNoLocalChangesAsync(plan, cancellationToken);
        }

        var files = await DownloadAsync(plan, step, cancellationToken);
        var tree = plan.Base is null ? [] : await Git.LsTreeAsync(plan.Base, null, new LsTreeOptions(), cancellationToken);
        var before = tree.ToDictionary(f => f.Path, StringComparer.Ordinal);
        var imported = files.Where(f => f.Change.Kind == ImportKind.Deleted || !before.TryGetValue(f.Change.Path, out var old) || old.Blob != f.Blob || !old.IsRegular)
            .OrderBy(f => f.Change.Path, StringComparer.Ordinal).ToList();
        var looked = plan.GitsOwn.Concat(files.Where(f => f.Change.Kind != ImportKind.Deleted).Select(f => (f.Change.State.Key, f.Change.State.VersionId))).ToList();
        if (imported.Count == 0)
        {
            seen.Add(looked);
            return new ImportResult(null, []);
        }

        var commit = await CommitAsync(plan, imported, before, message, cancellationToken);
        await MoveAsync(plan, commit, updateWorkTree, cancellationToken);

        // Recorded for the mapping branch (the next push sends it): the object is stored, at exactly this version.
        foreach (var file in imported.Where(f => f.Lfs && cache.Find(f.Oid!) is null))
        {
            cache.Put(new MappingEntry(file.Oid!, file.Size, file.Change.State.VersionId, file.Change.State.Key), uploaded: true);
        }

        seen.Add(looked);
        return new ImportResult(commit, imported);
    }

    /// <summary>Every (key, version) git wrote or import looked at: the cache, the mapping branch, and bucket_imports.</summary>
    private async Task<HashSet<(string, string)>> KnownVersionsAsync(CancellationToken cancellationToken)
    {
        var known = seen.All();
        known.UnionWith(cache.All().Select(e => (e.Key, e.VersionId)));
        known.UnionWith((await mapping.BranchEntriesAsync(cancellationToken)).Entries.Select(e => (e.Key, e.VersionId)));
        return known;
    }

    private async Task CheckNoLocalChangesAsync(ImportPlan plan, CancellationToken cancellationToken)
    {
        var root = repository.WorkTree ?? throw new LfsS3Exception(ErrorCodes.BadRequest,
            "this repository has no work tree: import onto a branch of its own (--branch <name>)");
        var dirty = (await Git.ChangedTrackedPathsAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var blocked = plan.Changes.Where(c => dirty.Contains(c.Path)
            || (c.Kind == ImportKind.Added && (File.Exists(Path.Combine(root, c.Path)) || Directory.Exists(Path.Combine(root, c.Path)))))
            .Select(c => c.Path).ToList();
        if (blocked.Count > 0)
        {
            throw new LfsS3Exception(ErrorCodes.BadRequest,
                $"local changes to {Plural(blocked.Count, "path")} the import would change ({string.Join(", ", blocked.Take(10))}{(blocked.Count > 10 ? ", ..." : "")}): "
                + "commit or stash them (git stash -u), or import onto another branch (--branch <name>); nothing was changed");
        }
    }

    /// <summary>Each changed file downloaded once, lfs-s3.parallelism at a time, hashed as it streams.</summary>
    private async Task<List<ImportedFile>> DownloadAsync(ImportPlan plan, Action? step, CancellationToken cancellationToken)
    {
        var present = plan.Changes.Where(c => c.Kind != ImportKind.Deleted).Select(c => c.Path).ToList();
        var lfs = (await Git.CheckAttrAsync("filter", present, cancellationToken)).Where(a => a.Value == "lfs").Select(a => a.Path)
            .ToHashSet(StringComparer.Ordinal);
        var objects = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(lfsTempDir))!, "objects");
        var downloaded = new ConcurrentBag<(ImportChange Change, string Oid, long Size, string? File)>();
        var scratch = new ConcurrentBag<string>();
        try
        {
            await Parallel.ForEachAsync(plan.Changes.Where(c => c.Kind != ImportKind.Deleted), Options(cancellationToken), async (change, ct) =>
            {
                var (file, oid, size) = await VerifiedDownload.ToHashedFileAsync(store, change.State.Key, change.State.VersionId, lfsTempDir,
                    NoProgress.Instance, ct);
                scratch.Add(file);
                if (lfs.Contains(change.Path))
                {
                    // git-lfs's own layout: the object is then in the local store, as after a download.
                    var target = Path.Combine(objects, oid[..2], oid[2..4], oid);
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    File.Move(file, target, overwrite: true);
                    downloaded.Add((change, oid, size, null));
                }
                else
                {
                    downloaded.Add((change, oid, size, file));
                }

                step?.Invoke();
            });

            var list = downloaded.ToList();
            var pointers = list.Where(d => d.File is null).ToList();
            var pointerBlobs = await Git.WriteBlobObjectsAsync(pointers.Select(d => PointerText(d.Oid, d.Size)).ToList(), cancellationToken);
            var plain = list.Where(d => d.File is not null).ToList();
            var plainBlobs = await Git.WriteFileBlobsAsync(plain.Select(d => d.File!).ToList(), cancellationToken);
            return
            [
                .. pointers.Select((d, i) => new ImportedFile(d.Change, true, d.Oid, d.Size, pointerBlobs[i])),
                .. plain.Select((d, i) => new ImportedFile(d.Change, false, d.Oid, d.Size, plainBlobs[i])),
                .. plan.Changes.Where(c => c.Kind == ImportKind.Deleted).Select(c => new ImportedFile(c, false, null, 0, null)),
            ];
        }
        finally
        {
            foreach (var file in scratch)
            {
                File.Delete(file);
            }
        }
    }

    /// <summary>The pointer file git-lfs writes for an object.</summary>
    public static string PointerText(string oid, long size) =>
        $"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size.ToString(CultureInfo.InvariantCulture)}\n";

    /// <summary>The commit of the base's tree with the imported files, built in a scratch index (the user's is not touched).</summary>
    private async Task<string> CommitAsync(ImportPlan plan, IReadOnlyList<ImportedFile> imported, Dictionary<string, TreeFile> before,
        string? message, CancellationToken cancellationToken)
    {
        var index = Path.Combine(repository.StateDir, $"import-{Guid.NewGuid():N}.index");
        Directory.CreateDirectory(repository.StateDir);
        try
        {
            await Git.ReadTreeIntoAsync(index, plan.Base, cancellationToken);
            var entries = imported.Where(f => f.Change.Kind != ImportKind.Deleted).Select(f => new TreeFile(
                before.TryGetValue(f.Change.Path, out var old) && old.IsRegular ? old.Mode : "100644", f.Blob!, f.Change.Path, -1)).ToList();
            await Git.UpdateIndexAsync(index, entries, imported.Where(f => f.Change.Kind == ImportKind.Deleted).Select(f => f.Change.Path).ToList(),
                cancellationToken);
            var tree = await Git.WriteTreeAsync(index, cancellationToken);
            return await Git.CommitTreeAsync(tree, plan.Base is null ? [] : [plan.Base], Message(imported, message), cancellationToken);
        }
        finally
        {
            File.Delete(index);
        }
    }

    /// <summary>
    /// The subject (<paramref name="message"/> or a summary), the counts, and one line per file with the version and,
    /// where the bucket records it, who wrote it.
    /// </summary>
    public string Message(IReadOnlyList<ImportedFile> imported, string? message)
    {
        var counts = string.Join(", ", new[] { ImportKind.Added, ImportKind.Modified, ImportKind.Deleted }
            .Select(k => (k, n: imported.Count(f => f.Change.Kind == k))).Where(x => x.n > 0)
            .Select(x => $"{x.n} {x.k.ToString().ToLowerInvariant()}"));
        var text = new StringBuilder();
        text.Append(message ?? $"Import changes made in {store.Describe(layout.Prefix.Length == 0 ? "" : layout.Prefix + "/")}").Append("\n\n");
        text.Append(CultureInfo.InvariantCulture, $"{counts}\n\n");
        foreach (var file in imported)
        {
            text.Append(Line(file.Change)).Append('\n');
        }

        var writers = imported.Select(f => f.Change.State.Owner).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
        if (writers.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"\nWritten in the bucket by: {string.Join(", ", writers)}\n");
        }

        return text.ToString();
    }

    /// <summary>"A path (version v, by owner, at time)": how a change is shown in the commit message and the plan.</summary>
    public static string Line(ImportChange change)
    {
        var letter = change.Kind switch { ImportKind.Added => "A", ImportKind.Modified => "M", _ => "D" };
        var what = change.Kind == ImportKind.Deleted ? "delete marker" : $"version {change.State.VersionId}";
        var by = change.State.Owner is { } owner ? $", by {owner}" : "";
        var at = change.State.Modified is { } time ? $", {time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture)}" : "";
        return $"{letter} {change.Path} ({what}{by}{at})";
    }

    /// <summary>Moves the ref (and for HEAD, index and work tree first, refusing where local changes would be lost).</summary>
    private async Task MoveAsync(ImportPlan plan, string commit, bool updateWorkTree, CancellationToken cancellationToken)
    {
        var expected = plan.RefNow ?? new string('0', 40);
        if (updateWorkTree)
        {
            if (await Git.RevParseAsync("HEAD^{commit}", cancellationToken) != plan.Base)
            {
                throw new LfsS3Exception(ErrorCodes.BadRequest, "HEAD moved while importing: run the import again; nothing was changed");
            }

            var moved = await Git.MoveWorkTreeAsync(plan.Base, commit, cancellationToken);
            if (!moved.Succeeded)
            {
                throw new LfsS3Exception(ErrorCodes.BadRequest,
                    $"the work tree cannot take the import ({moved.Error}): commit or stash your changes (git stash -u) and run it again; nothing was changed");
            }

            if (!await Git.UpdateRefAsync("HEAD", commit, expected, cancellationToken))
            {
                await Git.MoveWorkTreeAsync(commit, plan.Base ?? commit, cancellationToken);
                throw new LfsS3Exception(ErrorCodes.BadRequest, "HEAD moved while importing: run the import again; nothing was changed");
            }
        }
        else if (!await Git.UpdateRefAsync(plan.Ref, commit, expected, cancellationToken))
        {
            throw new LfsS3Exception(ErrorCodes.BadRequest, $"{plan.Ref} moved while importing: run the import again");
        }
    }

    private ParallelOptions Options(CancellationToken cancellationToken) =>
        new() { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken };

    private static bool Wanted(string path, IReadOnlyList<string> paths) =>
        paths.Count == 0 || paths.Any(p => p.Length == 0 || path == p || path.StartsWith(p.TrimEnd('/') + "/", StringComparison.Ordinal));

    /// <summary>Why git cannot track a file at this key's path (S3 allows any key; git does not), or null.</summary>
    private static string? WhyNotAPath(string path)
    {
        if (path.EndsWith('/'))
        {
            return "a folder marker, not a file";
        }

        var parts = path.Split('/');
        if (parts.Any(p => p is "" or "." or ".."))
        {
            return "an empty, \".\" or \"..\" path component";
        }

        // The repository's own settings decide where bytes go: a key in the bucket never does.
        if (parts[0] == SettingNames.RepoDir || path == ".lfsconfig")
        {
            return "the repository's git-lfs-s3 settings are never imported";
        }

        return parts.Any(p => p.Equals(".git", StringComparison.OrdinalIgnoreCase)) ? "git never tracks a path inside .git"
            : path.Any(c => c is '\0' or '\n' or '\r') ? "a control character in the name"
            : null;
    }

    private static IEnumerable<string> Parents(string path)
    {
        for (var at = path.IndexOf('/'); at >= 0; at = path.IndexOf('/', at + 1))
        {
            yield return path[..at];
        }
    }

    private static HashSet<string> Folders(IEnumerable<string> paths) => paths.SelectMany(Parents).ToHashSet(StringComparer.Ordinal);

    private static string Plural(int n, string what) => n == 1 ? $"1 {what}" : $"{n} {what}s";
}
