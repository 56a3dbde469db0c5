using System.Collections.Concurrent;
using LfsS3Agent.Core;
using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Core.Objects;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;
using Microsoft.Extensions.Logging;

namespace LfsS3Agent.Commands;

/// <summary>A verb that works in an opened repository: its settings, store, cache and mapping.</summary>
public abstract class WorkspaceVerb(IObjectStoreFactory storeFactory, ProcessEnvironment environment) : Verb
{
    /// <summary>Objects checked at once by verify and rebuild.</summary>
    protected const int Parallelism = 8;

    protected Task<Workspace> OpenAsync(CancellationToken cancellationToken) => Workspace.OpenAsync(environment, storeFactory, cancellationToken);
}

/// <summary><c>git lfs-s3 status</c>.</summary>
public sealed class StatusCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, TextWriter stdout)
    : WorkspaceVerb(storeFactory, environment)
{
    public override string Name => "status";

    public override string Summary => "mapping entries pushed but not committed, and anything else out of sync";

    public override string Help => """
        usage: git lfs-s3 status

        Shows what is out of sync: mapping entries pushed but not yet committed (staged or not), uploads
        recorded in this clone that the mapping file lacks (an interrupted push; `git lfs-s3 sync` adds them),
        malformed mapping lines, and LFS files of HEAD that have no mapping entry yet.
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        using var workspace = await OpenAsync(cancellationToken);
        await stdout.WriteLineAsync($"store: {workspace.Settings.StoreDescription}, prefix \"{workspace.Settings.Prefix}\"");
        var work = await workspace.Mapping.ReadAsync(MappingSource.WorkTree, cancellationToken);
        var index = await workspace.Mapping.ReadAsync(MappingSource.Index, cancellationToken);
        var head = await workspace.Mapping.ReadAsync(MappingSource.Head, cancellationToken);
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
        var unrecorded = workspace.Cache.Uploaded().Where(e => !workSet.Contains(e)).ToList();
        if (unrecorded.Count > 0)
        {
            await stdout.WriteLineAsync($"uploaded from this clone but missing from the mapping file: {unrecorded.Count} (an interrupted push?): run `git lfs-s3 sync`");
        }

        var known = work.Entries.Concat(head.Entries).Select(e => e.Oid).ToHashSet(StringComparer.Ordinal);
        var unmapped = (await new PointerScanner(workspace.Repository.Git).ReadTreeAsync("HEAD", cancellationToken))
            .Where(p => !known.Contains(p.Pointer.Oid) && workspace.Cache.Find(p.Pointer.Oid) is null)
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
}

/// <summary><c>git lfs-s3 sync</c>.</summary>
public sealed class SyncCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, TextWriter stdout)
    : WorkspaceVerb(storeFactory, environment)
{
    public override string Name => "sync";

    public override string Summary => "add this clone's uploads to the mapping file (completes an interrupted push)";

    public override string Help => """
        usage: git lfs-s3 sync

        Adds every upload recorded in this clone to .lfs-s3/mapping.tsv and stages it (every push does the
        same at its end; this completes a push that was interrupted).
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        using var workspace = await OpenAsync(cancellationToken);
        var added = await workspace.SyncMappingAsync(cancellationToken);
        await stdout.WriteLineAsync(added == 0 ? "the mapping file already holds every upload of this clone"
            : $"added {added} entries to {SettingNames.MappingFile} and staged it");
        return 0;
    }
}

/// <summary><c>git lfs-s3 rebuild</c>.</summary>
public sealed class RebuildCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, TextWriter stdout,
    ILogger<RebuildCommand> logger) : WorkspaceVerb(storeFactory, environment)
{
    public override string Name => "rebuild";

    public override string Summary => "reconstruct the mapping from the bucket's versions and their metadata";

    public override IReadOnlySet<string> Flags { get; } = new HashSet<string> { "write" };

    public override string Help => """
        usage: git lfs-s3 rebuild [--write]

        Reconstructs the mapping for every LFS object referenced anywhere in the repository's history from the
        bucket: the versions of each file's key(s) and the OID in their metadata. Reports what it could not
        find (exit code 1 then). --write adds what it found to .lfs-s3/mapping.tsv and stages it.
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        using var workspace = await OpenAsync(cancellationToken);
        await workspace.Paths.UpdateAsync(cancellationToken);
        var pointers = workspace.Cache.AllPointers();
        var locator = workspace.CreateLocator(logger);
        var found = new ConcurrentBag<MappingEntry>();
        var missing = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(pointers, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (pointer, ct) =>
            {
                if ((await locator.LocateAsync(pointer.Oid, pointer.Size, pointer.Paths, ct)).Entry is { } entry)
                {
                    found.Add(entry);
                }
                else
                {
                    missing.Add($"{pointer.Oid} {pointer.Size,12} {pointer.Paths[0]}");
                }
            });

        foreach (var entry in found)
        {
            workspace.Cache.Put(entry, uploaded: args.Has("write"));
        }

        await stdout.WriteLineAsync($"found {found.Count} of {pointers.Count} LFS objects in {workspace.Settings.StoreDescription}");
        foreach (var line in missing.Order(StringComparer.Ordinal))
        {
            await stdout.WriteLineAsync($"not found: {line}");
        }

        // --write recorded what it found as this clone's own entries: the same sync as after a push writes them.
        if (args.Has("write") && workspace.Mapping.FilePath is not null)
        {
            var added = await workspace.SyncMappingAsync(cancellationToken);
            await stdout.WriteLineAsync($"{SettingNames.MappingFile}: {added} entries added (staged)");
        }

        return missing.IsEmpty ? 0 : 1;
    }
}

/// <summary><c>git lfs-s3 verify</c>.</summary>
public sealed class VerifyCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, TextWriter stdout,
    ILogger<VerifyCommand> logger) : WorkspaceVerb(storeFactory, environment)
{
    public override string Name => "verify";

    public override string Summary => "check that every LFS object of HEAD (or given revisions, or --all) is stored";

    public override IReadOnlySet<string> Flags { get; } = new HashSet<string> { "all", "content" };

    public override bool TakesArguments => true;

    public override string Help => """
        usage: git lfs-s3 verify [<revision>...] [--all] [--content]

        Checks that every LFS object in the given revisions (default HEAD; --all: every object in the
        history of every ref) resolves to a stored version of the right size with its OID recorded, and with
        --content that the bytes hash to the OID. Exit code 1 when anything is missing or wrong.
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        using var workspace = await OpenAsync(cancellationToken);
        var pointers = new Dictionary<string, (long Size, string Path)>(StringComparer.Ordinal);
        await workspace.Paths.UpdateAsync(cancellationToken);
        if (args.Has("all"))
        {
            foreach (var p in workspace.Cache.AllPointers())
            {
                pointers.TryAdd(p.Oid, (p.Size, p.Paths[0]));
            }
        }

        var scanner = new PointerScanner(workspace.Repository.Git);
        foreach (var revision in args.Arguments.Count == 0 && !args.Has("all") ? ["HEAD"] : args.Arguments)
        {
            foreach (var (pointer, path) in await scanner.ReadTreeAsync(revision, cancellationToken))
            {
                pointers.TryAdd(pointer.Oid, (pointer.Size, path));
            }
        }

        var locator = workspace.CreateLocator(logger);
        var failures = new ConcurrentBag<string>();
        var content = args.Has("content");
        await Parallel.ForEachAsync(pointers, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (pair, ct) =>
            {
                var (oid, (size, path)) = (pair.Key, pair.Value);
                if (await CheckAsync(workspace.Store, locator, oid, size, path, content, ct) is { } problem)
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
    private static async Task<string?> CheckAsync(IObjectStore store, ObjectLocator locator, string oid, long size, string path,
        bool content, CancellationToken cancellationToken)
    {
        var located = await locator.LocateAsync(oid, size, [path], cancellationToken);
        if (located.Entry is not { } entry)
        {
            return located.Rejected.Count == 0 ? "no stored version holds it" : $"no stored version holds it ({string.Join("; ", located.Rejected)})";
        }

        try
        {
            if (content)
            {
                await VerifiedDownload.CheckAsync(store, entry, oid, size, cancellationToken);
            }

            return null;
        }
        catch (LfsS3Exception ex)
        {
            return ex.Message;
        }
    }
}
