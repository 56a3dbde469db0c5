using System.Globalization;
using LfsS3Agent.Core;
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

    public override IReadOnlySet<string> Flags { get; } = new HashSet<string> { "apply" };

    public override string Help => """
        usage: git lfs-s3 prune [--apply] [--grace <duration>]

        Deletes, for good, versions under the repository's prefix that nothing needs: no commit of any ref
        (local or remote-tracking, after fetching every remote) points at their object, no mapping entry of any
        ref, the index or the work tree names them, and they are older than the grace period (default 30d, so a
        push whose commit is not pushed yet is never touched); plus multipart uploads started before the grace
        period and never finished. Typical finds: interrupted pushes, rewritten or deleted branches, uploads
        from outside git. It first fetches every remote and refuses if one cannot be reached, and refuses when
        an object of history is not in the store (run `git lfs-s3 verify --all`). Without --apply it only lists
        what it would delete, the bytes, and the monthly saving at lfs-s3.pricepergb. Other clones' unpushed
        work is only protected by the grace period: keep it longer than anyone's unpushed work lives. Nothing
        under another repository's marker inside the prefix is touched, and it refuses to run when another
        repository's marker is at this prefix or at one that holds it (see `git lfs-s3 doctor`).
        Needs s3:ListBucketVersions, s3:GetObjectVersion, s3:DeleteObjectVersion, s3:ListBucketMultipartUploads
        and s3:AbortMultipartUpload on the prefix.
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        var grace = Duration.Parse("grace", args.Value("grace") ?? "30d");
        using var workspace = await OpenAsync(cancellationToken);
        var git = workspace.Repository.Git;
        foreach (var remote in await git.RemotesAsync(cancellationToken))
        {
            var fetch = await git.FetchAsync(remote, [], null, cancellationToken);
            if (!fetch.Succeeded)
            {
                throw new CommandException($"cannot fetch remote \"{remote}\" ({fetch.Error}): prune needs every remote's branches, "
                    + "so that it never deletes what someone else's branch needs; fix the remote or remove it, then retry");
            }
        }

        await RefuseSharedPrefixAsync(workspace, cancellationToken);
        var refs = (await git.ForEachRefAsync("%(objectname)", [], cancellationToken)).Distinct(StringComparer.Ordinal).ToList();
        var missing = new List<string>();
        var plan = await new UnreferencedVersions(workspace.Store, workspace.Layout, workspace.Mapping, workspace.CreateLocator(logger)).PlanAsync(grace, refs, missing.Add, cancellationToken);
        if (missing.Count > 0)
        {
            throw new CommandException($"{missing.Count} LFS object(s) of history are not in the store ({string.Join(", ", missing.Take(5))}"
                + $"{(missing.Count > 5 ? ", ..." : "")}): nothing deleted. Run `git lfs-s3 verify --all` and repair that first");
        }

        var apply = args.Has("apply");
        foreach (var candidate in plan.Versions)
        {
            var v = candidate.Version;
            await stdout.WriteLineAsync($"{(apply ? "delete" : "would delete")} {workspace.Store.Describe(v.Key)} version {v.VersionId} "
                + $"({v.Size} bytes, {v.Modified:yyyy-MM-dd HH:mm}, {(candidate.Oid is null ? "no OID: written outside git" : "object " + candidate.Oid[..12] + " not in any commit")})");
            if (apply)
            {
                await workspace.Store.DeleteVersionAsync(v.Key, v.VersionId, cancellationToken);
            }
        }

        foreach (var upload in plan.Uploads)
        {
            await stdout.WriteLineAsync($"{(apply ? "abort" : "would abort")} unfinished upload of {workspace.Store.Describe(upload.Key)} (started {upload.Started:yyyy-MM-dd HH:mm})");
            if (apply)
            {
                await workspace.Store.Require<IStoreMaintenance>("abort unfinished uploads").AbortUploadAsync(upload, cancellationToken);
            }
        }

        foreach (var other in plan.OtherRepositories)
        {
            await stdout.WriteLineAsync($"kept everything under {workspace.Store.Describe(other + "/")}: another repository's marker is there");
        }

        var saving = Math.Round(plan.Bytes / (decimal)(1L << 30) * workspace.Settings.PricePerGb, 2);
        var price = workspace.Settings.PricePerGb.ToString(CultureInfo.InvariantCulture);
        var days = grace.TotalDays.ToString("0.##", CultureInfo.InvariantCulture);
        await stdout.WriteLineAsync($"{(apply ? "deleted" : "would delete")} {plan.Versions.Count} versions ({plan.Bytes} bytes, about "
            + $"{saving.ToString("0.00", CultureInfo.InvariantCulture)} per month at {price} per GB-month) and {plan.Uploads.Count} unfinished uploads; "
            + $"kept every version of the {plan.HistoryObjects} objects of history, and {plan.KeptYoung} unreferenced versions younger than {days} days"
            + (apply ? "" : ". Nothing deleted: run with --apply"));
        return 0;
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
