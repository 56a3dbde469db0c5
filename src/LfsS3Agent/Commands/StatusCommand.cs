using LfsS3Agent.Commands.Shared;
using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Commands;

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
            await stdout.WriteLineAsync($"malformed: {problem.File} line {problem.Problem.Line}: {problem.Problem.Reason} (skipped)");
        }

        var headSet = head.Entries.ToHashSet();
        var indexSet = index.Entries.ToHashSet();
        var pending = work.Entries.Where(e => !headSet.Contains(e)).ToList();
        if (pending.Count > 0)
        {
            var staged = pending.All(indexSet.Contains);
            await stdout.WriteLineAsync($"pushed, not yet committed: {pending.Count} entries "
                + (staged ? "(staged: they go into your next commit)" : $"(not all staged: run `git add {SettingNames.MappingFolder}`)"));
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

        var outside = OutsidePrefix.Count(workspace, work.Entries.Concat(head.Entries));
        if (outside > 0)
        {
            await stdout.WriteLineAsync(OutsidePrefix.Message(workspace, outside));
        }

        if (pending.Count == 0 && unrecorded.Count == 0 && unmapped.Count == 0 && work.Problems.Count == 0 && outside == 0)
        {
            await stdout.WriteLineAsync("everything is in sync");
        }

        return 0;
    }
}
