using System.Collections.Concurrent;
using LfsS3Agent.Commands.Shared;
using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;
using Microsoft.Extensions.Logging;

namespace LfsS3Agent.Commands;

/// <summary><c>git lfs-s3 rebuild</c>.</summary>
public sealed class RebuildCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, TextWriter stdout,
    ILogger<RebuildCommand> logger) : WorkspaceVerb(storeFactory, environment)
{
    public override string Name => "rebuild";

    public override string Summary => "reconstruct the mapping from the bucket's versions and their metadata";

    public override IReadOnlySet<string> Flags { get; } = new HashSet<string> { "write", "quiet" };

    public override string Help => """
        usage: git lfs-s3 rebuild [--write] [--quiet]

        Reconstructs the mapping for every LFS object referenced anywhere in the repository's history from the
        bucket: the versions of each file's key(s) and the OID in their metadata. Reports what it could not
        find (exit code 1 then). --write records what it found on the mapping branch and pushes it (to origin).
        On a terminal a progress line shows on stderr (--quiet: none).
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        using var workspace = await OpenAsync(cancellationToken);
        await workspace.Paths.UpdateAsync(cancellationToken);
        var pointers = workspace.Paths.AllPointers();
        var locator = workspace.CreateLocator(logger);
        var found = new ConcurrentBag<MappingEntry>();
        var missing = new ConcurrentBag<string>();
        var progress = new TerminalProgress("looking for history's objects", pointers.Count);
        await Parallel.ForEachAsync(pointers, new ParallelOptions { MaxDegreeOfParallelism = workspace.Settings.Parallelism, CancellationToken = cancellationToken },
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

                progress.Step();
            });
        progress.Done();

        foreach (var entry in found)
        {
            workspace.Cache.Put(entry, uploaded: args.Has("write"));
        }

        await stdout.WriteLineAsync($"found {found.Count} of {pointers.Count} LFS objects in {workspace.Settings.StoreDescription}");
        foreach (var line in missing.Order(StringComparer.Ordinal))
        {
            await stdout.WriteLineAsync($"not found: {line}");
        }

        // --write: what it found goes onto the mapping branch, exactly as a push sends its uploads.
        if (args.Has("write"))
        {
            workspace.Cache.MarkPending(found);
            var remote = await MappingRemoteAsync(workspace, null, cancellationToken);
            var (_, push) = await workspace.PublishMappingAsync(remote, fetchFirst: true, cancellationToken);
            var branch = workspace.Mapping.Branch.Branch;
            await stdout.WriteLineAsync(push.Pushed ? $"mapping branch {branch} on {remote}: holds all {found.Count} entries found"
                : $"could not push the mapping branch {branch} to {remote} (the entries stay pending; `git lfs-s3 sync` retries): {push.Reason}");
            if (!push.Pushed)
            {
                return 1;
            }
        }

        return missing.IsEmpty ? 0 : 1;
    }
}
