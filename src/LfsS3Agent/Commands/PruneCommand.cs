using System.Globalization;
using LfsS3Agent.Commands.Shared;
using LfsS3Agent.Core;
using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Core.Objects;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;
using Microsoft.Extensions.Logging;

namespace LfsS3Agent.Commands;

/// <summary><c>git lfs-s3 prune</c>: deletes the versions under the prefix that no commit of any ref needs.</summary>
public sealed class PruneCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, TextWriter stdout,
    ILogger<PruneCommand> logger) : WorkspaceVerb(storeFactory, environment)
{
    public override string Name => "prune";

    public override string Summary => "delete stored versions that no commit of any ref needs (dry run unless --apply)";

    public override IReadOnlySet<string> ValueOptions { get; } = new HashSet<string> { "grace" };

    public override IReadOnlySet<string> Flags { get; } = new HashSet<string> { "apply", "dry-run", "json", "quiet" };

    public override string Help => """
        usage: git lfs-s3 prune [--dry-run | --apply] [--grace <duration>] [--json] [--quiet]

        Deletes, for good, versions under the repository's prefix that nothing needs: no commit of any ref of
        this clone or of any remote (every ref `git ls-remote` lists, the ones this clone does not fetch read for
        the run only under refs/lfs-s3-prune/) and no stash entry points at their object, no mapping entry of any
        ref, the index or the work tree names them, and they are older than the grace period, counted from the
        version's date and from when any clone's mapping branch recorded it (default 30d, so a push whose commit
        is not pushed yet is never touched); plus multipart uploads started before the grace period and never
        finished. Typical finds: interrupted pushes, rewritten or deleted branches, uploads from outside git. It
        refuses, deleting nothing, when a remote cannot be reached or a ref's commits cannot be fetched, in a
        shallow clone, and when an object of history is not in the store (run `git lfs-s3 verify --all`). Without --apply it only lists
        what it would delete, the bytes, and the monthly saving at lfs-s3.pricepergb (--dry-run, the default,
        may be given as to `git lfs prune`). Other clones' unpushed work is only protected by the grace period:
        keep it longer than anyone's unpushed work lives. Nothing under another repository's marker inside the
        prefix is touched, and it refuses to run when another repository's marker is at this prefix or at one
        that holds it (see `git lfs-s3 doctor`).
        Needs s3:ListBucketVersions, s3:GetObjectVersion, s3:DeleteObjectVersion, s3:ListBucketMultipartUploads
        and s3:AbortMultipartUpload on the prefix. On a terminal a progress line shows on stderr while --apply
        deletes (--quiet: none). --json prints {"applied", "versions": [{"key", "versionId", "size", "modified",
        "oid"}], "uploads": [{"key", "started"}], "bytes", "monthlySaving", "pricePerGbMonth", "historyObjects",
        "keptYoung", "graceDays"}.
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        if (args.Has("apply") && args.Has("dry-run"))
        {
            throw new UsageException("--dry-run and --apply exclude each other (a dry run is the default)");
        }

        var grace = Duration.Parse("grace", args.Value("grace") ?? "30d");
        using var workspace = await OpenAsync(cancellationToken);
        var git = workspace.Repository.Git;
        if (await git.IsShallowAsync(cancellationToken))
        {
            throw new CommandException("this clone is shallow: prune needs every commit of every ref, or it would delete what an older commit "
                + "needs. Nothing deleted: run `git fetch --unshallow` (or prune from a full clone), then retry");
        }

        await DeletePruneRefsAsync(git, cancellationToken); // left by an interrupted prune
        try
        {
            var beyond = new HistoryBeyond(await RemoteOnlyHistoryAsync(workspace, cancellationToken),
                await workspace.Paths.PointersBeyondAsync(await git.StashesAsync(cancellationToken), cancellationToken));
            await RefuseSharedPrefixAsync(workspace, cancellationToken);
            var refs = (await git.ForEachRefAsync("%(objectname)", [], cancellationToken)).Distinct(StringComparer.Ordinal).ToList();
            var missing = new List<string>();
            var plan = await new UnreferencedVersions(workspace.Store, workspace.Layout, workspace.Mapping, workspace.CreateLocator(logger))
                .PlanAsync(grace, refs, beyond, missing.Add, cancellationToken);
            if (missing.Count > 0)
            {
                throw new CommandException($"{missing.Count} LFS object(s) of history are not in the store ({string.Join(", ", missing.Take(5))}"
                    + $"{(missing.Count > 5 ? ", ..." : "")}): nothing deleted. Run `git lfs-s3 verify --all` and repair that first");
            }

            await ApplyAsync(workspace, plan, args, grace, cancellationToken);
        }
        finally
        {
            await DeletePruneRefsAsync(git, CancellationToken.None);
        }

        return 0;
    }

    /// <summary>
    /// Fetches every remote, its mapping branch (where every clone records what it pushed, even when this clone's refspecs
    /// leave it out), and, into <see cref="PathIndex.PruneRefs"/>, every ref of the remote (<c>ls-remote</c>) this clone has
    /// no ref for (a single-branch clone's other branches, a tag never fetched); returns the pointers only those reach.
    /// Refuses when a remote cannot be listed or a ref's commits cannot be fetched.
    /// </summary>
    private static async Task<IReadOnlyList<(string Oid, long Size, List<string> Paths)>> RemoteOnlyHistoryAsync(Workspace workspace,
        CancellationToken cancellationToken)
    {
        var git = workspace.Repository.Git;
        var listed = new List<(string Remote, List<RemoteRef> Refs)>();
        foreach (var remote in await git.RemotesAsync(cancellationToken))
        {
            var fetch = await git.FetchAsync(remote, [], null, cancellationToken);
            var (outcome, refs) = fetch.Succeeded ? await git.LsRemoteAsync(remote, cancellationToken) : (fetch, []);
            if (!outcome.Succeeded)
            {
                throw new CommandException($"cannot fetch remote \"{remote}\" ({outcome.Error}): prune needs every ref of every remote, "
                    + "so that it never deletes what someone else's branch or tag needs. Nothing deleted: fix the remote or remove it, then retry");
            }

            await workspace.Mapping.Branch.FetchAsync(remote, cancellationToken); // false when the remote has none
            listed.Add((remote, refs));
        }

        var local = (await git.ForEachRefAsync("%(objectname)", [], cancellationToken)).ToHashSet(StringComparer.Ordinal);
        foreach (var (remote, refs) in listed)
        {
            var lacking = refs.Where(r => !local.Contains(r.Id)).ToList();
            if (lacking.Count == 0)
            {
                continue;
            }

            var refspecs = lacking.Select(r => $"+{r.Name}:{PathIndex.PruneRefs}{remote}/{(r.Name.StartsWith("refs/", StringComparison.Ordinal) ? r.Name[5..] : r.Name)}");
            var fetched = await git.FetchOwnAsync(remote, [.. refspecs], tipOnly: false, null, cancellationToken);
            if (!fetched.Succeeded)
            {
                throw new CommandException($"cannot fetch {lacking.Count} ref(s) of remote \"{remote}\" this clone does not have "
                    + $"({string.Join(", ", lacking.Take(3).Select(r => r.Name))}{(lacking.Count > 3 ? ", ..." : "")}): {fetched.Error}. prune needs "
                    + "every commit they reach; nothing deleted");
            }
        }

        var tips = await git.ForEachRefAsync("%(objectname)", [PathIndex.PruneRefs.TrimEnd('/')], cancellationToken);
        return await workspace.Paths.PointersBeyondAsync(tips, cancellationToken);
    }

    private static async Task DeletePruneRefsAsync(IGit git, CancellationToken cancellationToken) =>
        await git.DeleteRefsAsync(await git.ForEachRefAsync("%(refname)", [PathIndex.PruneRefs.TrimEnd('/')], cancellationToken), cancellationToken);

    private async Task ApplyAsync(Workspace workspace, PrunePlan plan, CommandLine args, TimeSpan grace, CancellationToken cancellationToken)
    {
        var apply = args.Has("apply");
        var json = args.Has("json");
        var text = json ? TextWriter.Null : stdout;
        var progress = new TerminalProgress("deleting", apply ? plan.Versions.Count : 0);
        foreach (var candidate in plan.Versions)
        {
            var v = candidate.Version;
            await text.WriteLineAsync($"{(apply ? "delete" : "would delete")} {workspace.Store.Describe(v.Key)} version {v.VersionId} "
                + $"({v.Size} bytes, {v.Modified:yyyy-MM-dd HH:mm}, {(candidate.Oid is null ? "no OID: written outside git" : "object " + candidate.Oid[..12] + " not in any commit")})");
            if (apply)
            {
                await workspace.Store.DeleteVersionAsync(v.Key, v.VersionId, cancellationToken);
                progress.Step(v.Size);
            }
        }

        progress.Done();

        foreach (var upload in plan.Uploads)
        {
            await text.WriteLineAsync($"{(apply ? "abort" : "would abort")} unfinished upload of {workspace.Store.Describe(upload.Key)} (started {upload.Started:yyyy-MM-dd HH:mm})");
            if (apply)
            {
                await workspace.Store.Require<IStoreMaintenance>("abort unfinished uploads").AbortUploadAsync(upload, cancellationToken);
            }
        }

        foreach (var other in plan.OtherRepositories)
        {
            await text.WriteLineAsync($"kept everything under {workspace.Store.Describe(other + "/")}: another repository's marker is there");
        }

        var saving = Math.Round(plan.Bytes / (decimal)(1L << 30) * workspace.Settings.PricePerGb, 2);
        var price = workspace.Settings.PricePerGb.ToString(CultureInfo.InvariantCulture);
        var days = grace.TotalDays.ToString("0.##", CultureInfo.InvariantCulture);
        if (json)
        {
            await ReportJson.WriteAsync(stdout, new PruneReport(apply,
                plan.Versions.Select(c => new PruneVersion(c.Version.Key, c.Version.VersionId, c.Version.Size, c.Version.Modified, c.Oid)).ToList(),
                plan.Uploads.Select(u => new PruneUpload(u.Key, u.Started)).ToList(),
                plan.Bytes, saving, workspace.Settings.PricePerGb, plan.HistoryObjects, plan.KeptYoung, grace.TotalDays), ReportJsonContext.Default.PruneReport);
        }

        await text.WriteLineAsync($"{(apply ? "deleted" : "would delete")} {plan.Versions.Count} versions ({plan.Bytes} bytes, about "
            + $"{saving.ToString("0.00", CultureInfo.InvariantCulture)} per month at {price} per GB-month) and {plan.Uploads.Count} unfinished uploads; "
            + $"kept every version of the {plan.HistoryObjects} objects of history, and {plan.KeptYoung} unreferenced versions younger than {days} days"
            + (apply ? "" : ". Nothing deleted: run with --apply"));
    }

    /// <summary>
    /// Refuses when another repository's marker is at this prefix or at one that holds it: prune could not tell that
    /// repository's files from this one's.
    /// </summary>
    private static async Task RefuseSharedPrefixAsync(Workspace workspace, CancellationToken cancellationToken)
    {
        var id = await RepositoryIdentity.ResolveAsync(workspace.Repository, workspace.Mapping.Branch, cancellationToken);
        var markers = new RepositoryMarkers(workspace.Store);
        var survey = await markers.SurveyAsync(workspace.Layout.Prefix, id is null ? null : RepositoryMarkers.Fingerprint(id), [], cancellationToken);
        if (survey.Enclosing.ToList() is not { Count: > 0 } enclosing)
        {
            return;
        }

        throw new CommandException($"{markers.Explain(enclosing, workspace.Layout.Prefix)}: prune cannot tell that repository's files from this one's, "
            + "so it deletes nothing. "
            + (enclosing.Any(e => e.Place == MarkerPlace.Ancestor)
                ? "Prune in the enclosing repository instead (it leaves this one alone), or move this repository to a prefix beside it"
                : $"Give one of the two repositories a prefix of its own; if that marker is a stale one of this repository (set up again from scratch), remove it from {workspace.Store.Describe(workspace.Layout.MarkerFolderKey)}"));
    }
}
