using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Core.Objects;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Core.Publishing;

/// <summary>What publish does to one key.</summary>
public enum PublishAction
{
    /// <summary>A server-side copy of the LFS object's exact stored version.</summary>
    Copy,
    /// <summary>An ordinary git file, uploaded from git.</summary>
    Upload,
    /// <summary>A key under the prefix that the snapshot does not have (--delete).</summary>
    Delete,
}

/// <summary>One change to the destination; <paramref name="Source"/> for copies, <paramref name="LocalFile"/> for uploads.</summary>
public sealed record PublishStep(PublishAction Action, string Path, string Key, long Size, string Oid, MappingEntry? Source, string? LocalFile);

/// <summary>Everything publish would change, worked out before anything is written.</summary>
public sealed record PublishPlan(string Revision, string Commit, IReadOnlyList<PublishedFile> Files, IReadOnlyList<PublishStep> Steps,
    int Unchanged, int Skipped, bool ManifestCurrent)
{
    public int Count(PublishAction action) => Steps.Count(s => s.Action == action);

    /// <summary>Keys under the destination that the revision lacks and --delete left alone, each with why (path -> reason).</summary>
    public IReadOnlyList<(string Path, string Reason)> Kept { get; init; } = [];
}

/// <summary>
/// A browsable copy of a commit's whole tree under another prefix (or bucket): LFS files copied server-side from
/// their exact stored versions, git's own files uploaded from git, each key's SHA-256 in its metadata so a later
/// run changes only what differs, and a manifest written last. Nothing is written until every LFS object of the
/// commit has been found in the store.
/// </summary>
public sealed class SnapshotPublisher(IGit git, IObjectStore source, ObjectLocator locator, IObjectStore destination, string prefix, string scratch)
{
    public const string ManifestName = ".lfs-s3-publish.json";

    private IPublishTarget Target => destination.Require<IPublishTarget>("be published to");

    private string KeyFor(string path) => prefix.Length == 0 ? path : prefix + "/" + path;

    public async Task<PublishPlan> PlanAsync(string revision, bool delete, CancellationToken cancellationToken)
    {
        var tree = new GitTree(git);
        var commit = await tree.ResolveCommitAsync(revision, cancellationToken);
        var all = await tree.FilesAsync(commit, null, cancellationToken);
        // The tool's own folder is bookkeeping, not content.
        var files = all.Where(f => f.IsRegular && !f.Path.StartsWith(".lfs-s3/", StringComparison.Ordinal) && f.Path != ManifestName).ToList();
        var pointers = (await new PointerScanner(git).ReadAsync(files.Select(f => (f.Blob, f.Path)).ToList(), cancellationToken))
            .ToDictionary(p => p.Path, p => p.Pointer, StringComparer.Ordinal);
        var listed = (await Target.ListLatestAsync(prefix.Length == 0 ? "" : prefix + "/", cancellationToken))
            .ToDictionary(v => v.Key, StringComparer.Ordinal);
        await RefuseRepositoriesAsync(listed.Keys, cancellationToken);

        var steps = new ConcurrentBag<PublishStep>();
        var published = new ConcurrentBag<PublishedFile>();
        var missing = new ConcurrentBag<string>();
        var unchanged = 0;
        var blobs = new ConcurrentDictionary<string, Lazy<Task<(string Oid, long Size)>>>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = locator.Parallelism, CancellationToken = cancellationToken },
            async (file, ct) =>
            {
                var key = KeyFor(file.Path);
                string oid;
                long size;
                PublishStep step;
                if (pointers.TryGetValue(file.Path, out var pointer))
                {
                    (oid, size) = (pointer.Oid, pointer.Size);
                    var located = await locator.LocateAsync(oid, size, [file.Path], ct);
                    if (located.Entry is null)
                    {
                        missing.Add($"{file.Path} ({oid[..12]})");
                        return;
                    }

                    step = new PublishStep(PublishAction.Copy, file.Path, key, size, oid, located.Entry, null);
                }
                else
                {
                    // Files with the same content (empty .gitkeep files, a copied licence) share a blob: written once.
                    var local = Path.Combine(scratch, file.Blob);
                    (oid, size) = await blobs.GetOrAdd(file.Blob, blob => new(() => WriteBlobAsync(tree, blob, local, ct))).Value;
                    step = new PublishStep(PublishAction.Upload, file.Path, key, size, oid, null, local);
                }

                published.Add(new PublishedFile(file.Path, oid, size));
                if (listed.TryGetValue(key, out var existing) && existing.Size == size && await OidOrNullAsync(key, existing.VersionId, ct) == oid)
                {
                    Interlocked.Increment(ref unchanged);
                    return;
                }

                steps.Add(step);
            });

        if (!missing.IsEmpty)
        {
            var list = missing.Order(StringComparer.Ordinal).ToList();
            throw new LfsS3Exception(ErrorCodes.NotFound,
                $"{list.Count} LFS file(s) of {revision} are not in the store, so nothing was published: {string.Join(", ", list.Take(10))}"
                + $"{(list.Count > 10 ? ", ..." : "")}. Run `git lfs-s3 verify {revision}`, and `git lfs push --all origin` in a clone that has them");
        }

        var wanted = published.Select(f => KeyFor(f.Path)).Append(KeyFor(ManifestName)).ToHashSet(StringComparer.Ordinal);
        var previous = await ManifestAsync(listed, cancellationToken);
        var kept = new List<(string, string)>();
        if (delete)
        {
            // Only what an earlier publish wrote goes (its manifest says which), and only while it still holds what was published.
            var wrote = (previous?.Files ?? []).Where(f => !f.Path.Split('/').Any(p => p is "" or "." or ".." or ".git"))
                .GroupBy(f => KeyFor(f.Path), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Oid, StringComparer.Ordinal);
            foreach (var gone in listed.Values.Where(v => !wanted.Contains(v.Key)).OrderBy(v => v.Key, StringComparer.Ordinal))
            {
                var path = prefix.Length == 0 ? gone.Key : gone.Key[(prefix.Length + 1)..];
                if (!wrote.TryGetValue(gone.Key, out var oid))
                {
                    kept.Add((path, previous is null ? "no earlier publish manifest here" : "not written by an earlier publish"));
                }
                else if (await OidOrNullAsync(gone.Key, gone.VersionId, cancellationToken) != oid)
                {
                    kept.Add((path, "changed since it was published"));
                }
                else
                {
                    steps.Add(new PublishStep(PublishAction.Delete, path, gone.Key, gone.Size, "", null, null));
                }
            }
        }

        var ordered = steps.OrderBy(s => s.Action).ThenBy(s => s.Path, StringComparer.Ordinal).ToList();
        var manifestFiles = published.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        var current = ordered.Count == 0 && previous is { } old && old.Commit == commit && old.Files.SequenceEqual(manifestFiles);
        return new PublishPlan(revision, commit, manifestFiles, ordered, unchanged, all.Count - files.Count, current) { Kept = kept };
    }

    /// <summary>A regular file's bytes into <paramref name="local"/>: its OID and size.</summary>
    private static async Task<(string Oid, long Size)> WriteBlobAsync(GitTree tree, string blob, string local, CancellationToken cancellationToken)
    {
        await tree.WriteBlobAsync(blob, local, cancellationToken);
        await using var stream = File.OpenRead(local);
        return (Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken)), stream.Length);
    }

    /// <summary>
    /// Refuses a destination where a repository keeps its files: at or inside another repository's prefix (its marker), or
    /// holding one (among <paramref name="keys"/>, the destination's listing).
    /// </summary>
    private async Task RefuseRepositoriesAsync(IEnumerable<string> keys, CancellationToken cancellationToken)
    {
        var markers = new RepositoryMarkers(destination);
        var survey = await markers.SurveyAsync(prefix, null, keys, cancellationToken);
        if (survey.Foreign.Count > 0)
        {
            var where = destination.Describe(prefix.Length == 0 ? "" : prefix + "/");
            throw new LfsS3Exception(ErrorCodes.BadRequest, $"{where} is not free for a snapshot: "
                + string.Join("; ", survey.Foreign.Select(f => f.Place switch
                {
                    MarkerPlace.Nested => $"a repository keeps its files inside it ({f.Describe(destination)})",
                    _ => $"it lies in a repository's prefix ({f.Describe(destination)})",
                }))
                + ". Nothing was published: publish to a prefix of its own, beside the repositories");
        }
    }

    /// <summary>Copies, uploads, deletes, then writes the manifest; <paramref name="done"/> is told after each step.</summary>
    public async Task ApplyAsync(PublishPlan plan, Action<PublishStep> done, CancellationToken cancellationToken)
    {
        var writes = plan.Steps.Where(s => s.Action != PublishAction.Delete);
        await Parallel.ForEachAsync(writes, new ParallelOptions { MaxDegreeOfParallelism = locator.Parallelism, CancellationToken = cancellationToken },
            async (step, ct) =>
            {
                if (step.Action == PublishAction.Copy)
                {
                    await Target.CopyFromAsync(source, step.Source!.Key, step.Source.VersionId, step.Size, step.Key, step.Oid, ct);
                }
                else
                {
                    await Target.PutFileAsync(step.Key, step.LocalFile!, step.Size, step.Oid, ct);
                }

                done(step);
            });

        foreach (var step in plan.Steps.Where(s => s.Action == PublishAction.Delete))
        {
            await Target.DeleteAsync(step.Key, cancellationToken);
            done(step);
        }

        if (!plan.ManifestCurrent)
        {
            var manifest = new PublishManifest(plan.Revision, plan.Commit, DateTimeOffset.UtcNow, plan.Files);
            var file = Path.Combine(scratch, ManifestName);
            await File.WriteAllBytesAsync(file, JsonSerializer.SerializeToUtf8Bytes(manifest, PublishJsonContext.Default.PublishManifest), cancellationToken);
            await using var stream = File.OpenRead(file);
            var oid = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
            await Target.PutFileAsync(KeyFor(ManifestName), file, stream.Length, oid, cancellationToken);
        }
    }

    private async Task<string?> OidOrNullAsync(string key, string versionId, CancellationToken cancellationToken)
    {
        try
        {
            return await destination.GetOidAsync(key, versionId, cancellationToken);
        }
        catch (StoreException ex) when (ex.Code == ErrorCodes.NotFound)
        {
            return null;
        }
    }

    /// <summary>The manifest already under the prefix, or null when there is none or it cannot be read.</summary>
    private async Task<PublishManifest?> ManifestAsync(Dictionary<string, StoredVersion> listed, CancellationToken cancellationToken)
    {
        if (!listed.TryGetValue(KeyFor(ManifestName), out var version) || version.Size > 256L << 20)
        {
            return null;
        }

        try
        {
            using var buffer = new MemoryStream();
            await destination.DownloadAsync(version.Key, version.VersionId, buffer, NoProgress.Instance, cancellationToken);
            return JsonSerializer.Deserialize(buffer.ToArray(), PublishJsonContext.Default.PublishManifest);
        }
        catch (Exception ex) when (ex is JsonException or StoreException)
        {
            return null;
        }
    }
}
