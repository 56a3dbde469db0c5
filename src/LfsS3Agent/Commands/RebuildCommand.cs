using System.Collections.Concurrent;
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

    public override IReadOnlySet<string> Flags { get; } = new HashSet<string> { "write" };

    public override string Help => """
        usage: git lfs-s3 rebuild [--write]

        Reconstructs the mapping for every LFS object referenced anywhere in the repository's history from the
        bucket: the versions of each file's key(s) and the OID in their metadata. Reports what it could not
        find (exit code 1 then). --write adds what it found to .lfs-s3/mapping/ and stages it.
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        using var workspace = await OpenAsync(cancellationToken);
        await workspace.Paths.UpdateAsync(cancellationToken);
        var pointers = workspace.Paths.AllPointers();
        var locator = workspace.CreateLocator(logger);
        var found = new ConcurrentBag<MappingEntry>();
        var missing = new ConcurrentBag<string>();
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
        if (args.Has("write") && workspace.Repository.WorkTree is not null)
        {
            var added = await workspace.SyncMappingAsync(all: true, cancellationToken);
            await stdout.WriteLineAsync($"{SettingNames.MappingFolder}/: {added} entries added (staged)");
        }

        return missing.IsEmpty ? 0 : 1;
    }
}
