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

    public override string Summary => "what the mapping branch holds, what is pending, and anything else out of sync";

    public override string Help => """
        usage: git lfs-s3 status [--json]

        Shows the mapping branch (lfs-s3.mappingbranch, default lfs-s3) as this clone has it, the entries
        this clone recorded that the branch does not have yet (a push that could not push the branch, with
        git's reason; `git lfs-s3 sync` sends them), malformed mapping lines, a mapping that older releases
        committed in your branches (still read), and LFS files of HEAD that have no mapping entry anywhere.
        --json prints {"store", "prefix", "mappingBranch", "branchEntries", "legacyEntries", "malformed",
        "pending", "lastPushFailure", "unmappedInHead", "outsidePrefix", "inSync"}.
        """;

    public override IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json" };

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        using var workspace = await OpenAsync(cancellationToken);
        var json = args.Has("json");
        var text = json ? TextWriter.Null : stdout;
        await text.WriteLineAsync($"store: {workspace.Settings.StoreDescription}, prefix \"{workspace.Settings.Prefix}\"");
        var branch = workspace.Mapping.Branch;
        var onBranch = await workspace.Mapping.BranchEntriesAsync(cancellationToken);
        var work = await workspace.Mapping.ReadAsync(MappingSource.WorkTree, cancellationToken);
        var head = await workspace.Mapping.ReadAsync(MappingSource.Head, cancellationToken);
        await text.WriteLineAsync($"mapping branch {branch.Branch}: {onBranch.Entries.Count} entries");
        var legacy = work.Entries.Concat(head.Entries).ToHashSet();
        if (legacy.Count > 0)
        {
            await text.WriteLineAsync($"committed by an older release in your branches ({SettingNames.MappingFolder}): {legacy.Count} entries, still read");
        }

        var problems = onBranch.Problems.Concat(work.Problems).ToList();
        foreach (var problem in problems)
        {
            await text.WriteLineAsync($"malformed: {problem.File} line {problem.Problem.Line}: {problem.Problem.Reason} (skipped)");
        }

        var pending = workspace.Cache.Uploaded(notYetWritten: true);
        if (pending.Count > 0)
        {
            var failure = branch.LastFailure();
            await text.WriteLineAsync($"not yet on the mapping branch: {pending.Count} entries recorded by this clone; "
                + (failure is { } f ? $"the last push of {branch.Branch} to {f.Remote} failed: {f.Reason}. Fix that, then `git lfs-s3 sync`"
                    : "the next push sends them, or `git lfs-s3 sync` now"));
            foreach (var e in pending.Take(20))
            {
                await text.WriteLineAsync($"  {e.Oid[..12]} {e.Key} (version {e.VersionId})");
            }
        }

        var known = onBranch.Entries.Select(e => e.Oid).Concat(legacy.Select(e => e.Oid)).ToHashSet(StringComparer.Ordinal);
        var unmapped = (await new PointerScanner(workspace.Repository.Git).ReadTreeAsync("HEAD", cancellationToken))
            .Where(p => !known.Contains(p.Pointer.Oid) && workspace.Cache.Find(p.Pointer.Oid) is null)
            .ToList();
        if (unmapped.Count > 0)
        {
            await text.WriteLineAsync($"LFS files in HEAD without a mapping entry: {unmapped.Count} (clones still find them in the bucket; "
                + "`git lfs-s3 rebuild --write` records them)");
        }

        var outside = OutsidePrefix.Count(workspace, onBranch.Entries.Concat(legacy));
        if (outside > 0)
        {
            await text.WriteLineAsync(OutsidePrefix.Message(workspace, outside));
        }

        if (json)
        {
            var failed = branch.LastFailure();
            await ReportJson.WriteAsync(stdout, new StatusReport(workspace.Settings.StoreDescription, workspace.Settings.Prefix, branch.Branch,
                onBranch.Entries.Count, legacy.Count,
                problems.Select(p => new StatusProblem(p.File, p.Problem.Line, p.Problem.Reason)).ToList(),
                pending.Select(e => new StatusEntry(e.Oid, e.Key, e.VersionId)).ToList(),
                failed is { } f ? new StatusPushFailure(f.Remote, f.Reason) : null,
                unmapped.Count, outside, pending.Count == 0 && unmapped.Count == 0 && problems.Count == 0 && outside == 0), ReportJsonContext.Default.StatusReport);
        }

        var lfsUrl = await LfsUrlPin.ProblemAsync(workspace.Repository, cancellationToken);
        if (lfsUrl is not null)
        {
            await stdout.WriteLineAsync(lfsUrl);
        }

        if (pending.Count == 0 && unmapped.Count == 0 && problems.Count == 0 && outside == 0 && lfsUrl is null)
        {
            await text.WriteLineAsync("everything is in sync");
        }

        return 0;
    }
}
