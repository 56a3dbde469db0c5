using System.Collections.Concurrent;
using System.Text;
using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;
using LfsS3Agent.Core.Transfer;

namespace LfsS3Agent.Commands;

/// <summary><c>status</c>, <c>sync</c>, <c>rebuild</c> and <c>verify</c>: the mapping and the bucket, side by side.</summary>
public sealed class MappingCommands(IObjectStoreFactory storeFactory, ProcessEnvironment environment, TextWriter stdout)
{
    public const string StatusHelp = """
        usage: git lfs-s3 status

        Shows what is out of sync: mapping entries pushed but not yet committed (staged or not), uploads
        recorded in this clone that the mapping file lacks (an interrupted push; `git lfs-s3 sync` adds them),
        malformed mapping lines, and LFS files of HEAD that have no mapping entry yet.
        """;

    public const string SyncHelp = """
        usage: git lfs-s3 sync

        Adds every upload recorded in this clone to .lfs-s3/mapping.tsv and stages it (every push does the
        same at its end; this completes a push that was interrupted).
        """;

    public const string RebuildHelp = """
        usage: git lfs-s3 rebuild [--write]

        Reconstructs the mapping for every LFS object referenced anywhere in the repository's history from the
        bucket: the versions of each file's key(s) and the OID in their metadata. Reports what it could not
        find (exit code 1 then). --write adds what it found to .lfs-s3/mapping.tsv and stages it.
        """;

    public const string VerifyHelp = """
        usage: git lfs-s3 verify [<revision>...] [--all] [--content]

        Checks that every LFS object in the given revisions (default HEAD; --all: every object in the
        history of every ref) resolves to a stored version of the right size with its OID recorded, and with
        --content that the bytes hash to the OID. Exit code 1 when anything is missing or wrong.
        """;

    private const int Parallelism = 8;

    public async Task<int> StatusAsync(CancellationToken cancellationToken)
    {
        using var context = await OpenAsync(cancellationToken);
        var git = context.Repository.Git;
        await stdout.WriteLineAsync($"store: {context.Settings.StoreDescription}, prefix \"{context.Settings.Prefix}\"");
        var work = ReadMapping(context.MappingFilePath is { } p && File.Exists(p) ? await File.ReadAllTextAsync(p, cancellationToken) : null);
        var index = ReadMapping(await BlobAsync(git, ":" + SettingNames.MappingFile, cancellationToken));
        var head = ReadMapping(await BlobAsync(git, "HEAD:" + SettingNames.MappingFile, cancellationToken));
        await stdout.WriteLineAsync($"mapping: {work.Entries.Count} entries in the work tree, {head.Entries.Count} in HEAD");

        foreach (var problem in work.Problems)
        {
            await stdout.WriteLineAsync($"malformed: {SettingNames.MappingFile} line {problem.Line}: {problem.Reason} (skipped)");
        }

        var headSet = head.Entries.ToHashSet();
        var indexSet = index.Entries.ToHashSet();
        var pending = work.Entries.Where(e => !headSet.Contains(e)).ToList();
        if (pending.Count > 0)
        {
            var staged = pending.All(indexSet.Contains);
            await stdout.WriteLineAsync($"pushed, not yet committed: {pending.Count} entries "
                + (staged ? "(staged: they go into your next commit)" : $"(not all staged: run `git add {SettingNames.MappingFile}`)"));
            foreach (var e in pending.Take(20))
            {
                await stdout.WriteLineAsync($"  {e.Oid[..12]} {e.Key} (version {e.VersionId})");
            }
        }

        var workSet = work.Entries.ToHashSet();
        var unrecorded = context.Cache.Uploaded(context.Store.Id).Where(e => !workSet.Contains(e)).ToList();
        if (unrecorded.Count > 0)
        {
            await stdout.WriteLineAsync($"uploaded from this clone but missing from the mapping file: {unrecorded.Count} (an interrupted push?): run `git lfs-s3 sync`");
        }

        var known = work.Entries.Concat(head.Entries).Select(e => e.Oid).ToHashSet(StringComparer.Ordinal);
        var unmapped = (await new PointerScanner(git).ReadTreeAsync("HEAD", cancellationToken))
            .Where(p => !known.Contains(p.Pointer.Oid) && context.Cache.Find(context.Store.Id, p.Pointer.Oid) is null)
            .ToList();
        if (unmapped.Count > 0)
        {
            await stdout.WriteLineAsync($"LFS files in HEAD without a mapping entry: {unmapped.Count} (clones still find them in the bucket; "
                + "`git lfs-s3 rebuild --write` records them)");
        }

        if (pending.Count == 0 && unrecorded.Count == 0 && unmapped.Count == 0 && work.Problems.Count == 0)
        {
            await stdout.WriteLineAsync("everything is in sync");
        }

        return 0;
    }

    public async Task<int> SyncAsync(CancellationToken cancellationToken)
    {
        using var context = await OpenAsync(cancellationToken);
        var added = await context.SyncMappingFileAsync(cancellationToken);
        await stdout.WriteLineAsync(added == 0 ? "the mapping file already holds every upload of this clone"
            : $"added {added} entries to {SettingNames.MappingFile} and staged it");
        return 0;
    }

    public async Task<int> RebuildAsync(CommandLine options, CancellationToken cancellationToken)
    {
        using var context = await OpenAsync(cancellationToken);
        await context.Paths.UpdateAsync(cancellationToken);
        var pointers = context.Cache.AllPointers();
        var finder = new VersionFinder(context.Store);
        var found = new ConcurrentBag<MappingEntry>();
        var missing = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(pointers, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (pointer, ct) =>
            {
                foreach (var key in context.CandidateKeys(pointer.Paths, pointer.Oid))
                {
                    if (await finder.FindAsync(key, pointer.Oid, pointer.Size, ct) is { } entry)
                    {
                        found.Add(entry);
                        return;
                    }
                }

                missing.Add($"{pointer.Oid} {pointer.Size,12} {pointer.Paths[0]}");
            });

        // SQLite connections are not shared between threads: record after the parallel part.
        foreach (var entry in found)
        {
            context.Cache.Put(context.Store.Id, entry, uploaded: options.Has("write"));
        }

        await stdout.WriteLineAsync($"found {found.Count} of {pointers.Count} LFS objects in {context.Settings.StoreDescription}");
        foreach (var line in missing.Order(StringComparer.Ordinal))
        {
            await stdout.WriteLineAsync($"not found: {line}");
        }

        // --write recorded what it found as this clone's own entries: the same sync as after a push writes them.
        if (options.Has("write") && context.MappingFilePath is not null)
        {
            var added = await context.SyncMappingFileAsync(cancellationToken);
            await stdout.WriteLineAsync($"{SettingNames.MappingFile}: {added} entries added (staged)");
        }

        return missing.IsEmpty ? 0 : 1;
    }

    public async Task<int> VerifyAsync(CommandLine options, IReadOnlyList<string> revisions, CancellationToken cancellationToken)
    {
        using var context = await OpenAsync(cancellationToken);
        var pointers = new Dictionary<string, (long Size, string Path)>(StringComparer.Ordinal);
        await context.Paths.UpdateAsync(cancellationToken);
        var history = context.Cache.AllPointers().ToDictionary(p => p.Oid, StringComparer.Ordinal);
        var cached = context.Cache.All(context.Store.Id).ToDictionary(e => e.Oid, StringComparer.Ordinal);
        if (options.Has("all"))
        {
            foreach (var p in history.Values)
            {
                pointers.TryAdd(p.Oid, (p.Size, p.Paths[0]));
            }
        }

        var scanner = new PointerScanner(context.Repository.Git);
        foreach (var revision in revisions.Count == 0 && !options.Has("all") ? ["HEAD"] : revisions)
        {
            foreach (var (pointer, path) in await scanner.ReadTreeAsync(revision, cancellationToken))
            {
                pointers.TryAdd(pointer.Oid, (pointer.Size, path));
            }
        }

        var hints = await context.ReadMappingHintsAsync(problem => stdout.WriteLine($"warning: {problem}"), cancellationToken);
        var finder = new VersionFinder(context.Store);
        var failures = new ConcurrentBag<string>();
        var content = options.Has("content");
        await Parallel.ForEachAsync(pointers, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (pair, ct) =>
            {
                var (oid, (size, path)) = (pair.Key, pair.Value);
                var candidates = (hints.GetValueOrDefault(oid) ?? []).Prepend(cached.GetValueOrDefault(oid)).OfType<MappingEntry>();
                var keys = context.CandidateKeys((history.TryGetValue(oid, out var known) ? known.Paths : []).Append(path).Distinct(), oid);
                var problem = await VerifyOneAsync(context.Store, finder, candidates, keys, oid, size, content, ct);
                if (problem is not null)
                {
                    failures.Add($"{oid[..12]} {path}: {problem}");
                }
            });

        foreach (var failure in failures.Order(StringComparer.Ordinal))
        {
            await stdout.WriteLineAsync($"FAIL {failure}");
        }

        await stdout.WriteLineAsync(failures.IsEmpty
            ? $"verified {pointers.Count} LFS objects{(content ? " (content hashed)" : "")}: all stored"
            : $"{failures.Count} of {pointers.Count} LFS objects missing or wrong");
        return failures.IsEmpty ? 0 : 1;
    }

    /// <summary>Null when the object is stored as it should be, else what is wrong.</summary>
    private static async Task<string?> VerifyOneAsync(IObjectStore store, VersionFinder finder, IEnumerable<MappingEntry> candidates,
        IEnumerable<string> keys, string oid, long size, bool content, CancellationToken cancellationToken)
    {
        MappingEntry? good = null;
        string? reason = null;
        foreach (var candidate in candidates.Where(c => c.Size == size).Distinct())
        {
            reason = await finder.CheckAsync(candidate, cancellationToken);
            if (reason is null)
            {
                good = candidate;
                break;
            }
        }

        foreach (var key in keys)
        {
            good ??= await finder.FindAsync(key, oid, size, cancellationToken);
        }

        if (good is null)
        {
            return reason is null ? "no stored version holds it" : $"no stored version holds it ({reason})";
        }

        if (content)
        {
            using var hash = new HashingStream(Stream.Null, NoProgress.Instance);
            await store.DownloadAsync(good.Key, good.VersionId, hash, NoProgress.Instance, cancellationToken);
            var digest = hash.HexDigest();
            if (digest != oid || hash.BytesWritten != size)
            {
                return $"{store.Describe(good.Key)} version {good.VersionId} hashes to {digest} ({hash.BytesWritten} bytes)";
            }
        }

        return null;
    }

    private async Task<RepositoryContext> OpenAsync(CancellationToken cancellationToken) =>
        await RepositoryContext.OpenAsync(environment.WorkingDirectory, environment.Variables, storeFactory, cancellationToken);

    private static (List<MappingEntry> Entries, List<MappingProblem> Problems) ReadMapping(string? text) =>
        text is null ? ([], []) : MappingFile.Parse(text);

    private static async Task<string?> BlobAsync(GitRunner git, string spec, CancellationToken cancellationToken)
    {
        var result = await git.RunAsync(["cat-file", "blob", spec], allowFailure: true, cancellationToken: cancellationToken);
        return result.ExitCode == 0 ? result.Stdout : null;
    }
}
