using System.Collections.Concurrent;
using LfsS3Agent.Commands.Shared;
using LfsS3Agent.Core;
using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Core.Objects;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;
using Microsoft.Extensions.Logging;

namespace LfsS3Agent.Commands;

/// <summary><c>git lfs-s3 verify</c>.</summary>
public sealed class VerifyCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, TextWriter stdout,
    ILogger<VerifyCommand> logger) : WorkspaceVerb(storeFactory, environment)
{
    public override string Name => "verify";

    public override string Summary => "check that every LFS object of HEAD (or given revisions, or --all) is stored";

    public override IReadOnlySet<string> Flags { get; } = new HashSet<string> { "all", "content", "json", "quiet" };

    public override bool TakesArguments => true;

    public override string Help => """
        usage: git lfs-s3 verify [<revision>...] [--all] [--content] [--json] [--quiet]

        Checks that every LFS object in the given revisions (default HEAD; --all: every object in the
        history of every ref) resolves to a stored version of the right size with its OID recorded, and with
        --content that the bytes hash to the OID. Exit code 1 when anything is missing or wrong. On a terminal
        a progress line (objects, bytes, rate) shows on stderr (--quiet: none). --json prints
        {"objects", "content", "failures": [{"oid", "path", "problem"}], "ok"}.
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        using var workspace = await OpenAsync(cancellationToken);
        var pointers = new Dictionary<string, (long Size, string Path)>(StringComparer.Ordinal);
        await workspace.Paths.UpdateAsync(cancellationToken);
        if (args.Has("all"))
        {
            foreach (var p in workspace.Paths.AllPointers())
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

        var mapping = (await workspace.Mapping.BranchEntriesAsync(cancellationToken)).Entries
            .Concat((await workspace.Mapping.ReadAsync(MappingSource.WorkTree, cancellationToken)).Entries)
            .Concat((await workspace.Mapping.ReadAsync(MappingSource.Head, cancellationToken)).Entries);
        var json = args.Has("json");
        var text = json ? TextWriter.Null : stdout;
        if (OutsidePrefix.Count(workspace, mapping) is > 0 and var outside)
        {
            await text.WriteLineAsync("warning: " + OutsidePrefix.Message(workspace, outside));
        }

        var locator = workspace.CreateLocator(logger);
        var failures = new ConcurrentBag<VerifyFailure>();
        var content = args.Has("content");
        var progress = new TerminalProgress(content ? "hashing stored objects" : "checking stored objects", pointers.Count);
        await Parallel.ForEachAsync(pointers, new ParallelOptions { MaxDegreeOfParallelism = workspace.Settings.Parallelism, CancellationToken = cancellationToken },
            async (pair, ct) =>
            {
                var (oid, (size, path)) = (pair.Key, pair.Value);
                if (await CheckAsync(workspace.Store, locator, oid, size, path, content, ct) is { } problem)
                {
                    failures.Add(new VerifyFailure(oid, path, problem));
                }

                progress.Step(content ? size : 0);
            });
        progress.Done();

        var sorted = failures.OrderBy(f => f.Oid, StringComparer.Ordinal).ThenBy(f => f.Path, StringComparer.Ordinal).ToList();
        foreach (var failure in sorted)
        {
            await text.WriteLineAsync($"FAIL {failure.Oid[..12]} {failure.Path}: {failure.Problem}");
        }

        if (json)
        {
            await ReportJson.WriteAsync(stdout, new VerifyReport(pointers.Count, content, sorted, sorted.Count == 0), ReportJsonContext.Default.VerifyReport);
        }

        await text.WriteLineAsync(failures.IsEmpty
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
