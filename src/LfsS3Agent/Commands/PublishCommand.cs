using LfsS3Agent.Commands.Shared;
using LfsS3Agent.Core;
using LfsS3Agent.Core.Publishing;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;
using Microsoft.Extensions.Logging;

namespace LfsS3Agent.Commands;

/// <summary><c>git lfs-s3 publish</c>: a commit's whole tree, browsable under another prefix or bucket.</summary>
public sealed class PublishCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, TextWriter stdout,
    ILogger<PublishCommand> logger) : WorkspaceVerb(storeFactory, environment)
{
    public override string Name => "publish";

    public override string Summary => "copy a revision's whole tree under another prefix or bucket, ready for CloudFront or any static host";

    public override IReadOnlySet<string> ValueOptions { get; } = new HashSet<string> { "to" };

    public override IReadOnlySet<string> Flags { get; } = new HashSet<string> { "delete", "dry-run", "quiet" };

    public override bool TakesArguments => true;

    public override string Help => $"""
        usage: git lfs-s3 publish <revision> --to <prefix | s3://bucket/prefix | file:///folder> [--delete] [--dry-run]
                                   [--quiet]

        Makes the destination show the whole tree of <revision>, every file under its own path: LFS files as
        server-side copies of their exact stored versions (nothing passes through this machine), git's own
        files uploaded from git, each with its Content-Type and its SHA-256 in the metadata (lfs-oid). A
        manifest, <prefix>/{SnapshotPublisher.ManifestName} (revision, commit, time, files), is written last.
        Running it again copies only what changed; --delete also removes keys under the prefix that the
        revision does not have and an earlier publish wrote (its manifest lists them; keys it never wrote, or
        that changed since, are kept and listed), as a delete marker where the bucket keeps versions; --dry-run prints the changes
        and makes none. The .lfs-s3/ folder, symbolic links and submodules are not published. Refuses a
        destination that overlaps the repository's own prefix. Nothing is written unless every LFS file of
        the revision is in the store. Refuses a destination at or inside another repository's prefix, or
        holding one (their markers, .git/lfs-s3/repositories/). On a
        terminal a progress line shows on stderr (--quiet: none).
        Needs s3:GetObject and s3:GetObjectVersion on the repository's prefix, and s3:ListBucket,
        s3:PutObject (and s3:DeleteObject for --delete) on the destination.
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        if (args.Arguments.Count != 1)
        {
            throw new UsageException("give exactly one revision to publish");
        }

        var to = args.Value("to") ?? throw new UsageException("--to <prefix> is required");
        using var workspace = await OpenAsync(cancellationToken);
        var (destination, prefix) = Destination(workspace, to);
        var scratch = Directory.CreateDirectory(Path.Combine(workspace.Repository.StateDir, "publish-" + Guid.NewGuid().ToString("N"))).FullName;
        try
        {
            await workspace.Paths.UpdateAsync(cancellationToken);
            var publisher = new SnapshotPublisher(workspace.Repository.Git, workspace.Store, workspace.CreateLocator(logger), destination, prefix, scratch);
            var plan = await publisher.PlanAsync(args.Arguments[0], args.Has("delete"), cancellationToken);
            var where = destination.Describe(prefix.Length == 0 ? "" : prefix + "/");
            if (args.Has("dry-run"))
            {
                foreach (var step in plan.Steps)
                {
                    await stdout.WriteLineAsync($"would {step.Action.ToString().ToLowerInvariant()} {step.Path}");
                }

                await ReportKeptAsync(plan);
                await stdout.WriteLineAsync($"dry run, nothing changed: {Describe(plan)} in {where}");
                return 0;
            }

            await ReportKeptAsync(plan);
            var progress = new TerminalProgress("publishing", plan.Steps.Count);
            await publisher.ApplyAsync(plan, _ => progress.Step(), cancellationToken);
            progress.Done();
            await stdout.WriteLineAsync($"published {plan.Revision} ({plan.Commit[..12]}) to {where}: {Describe(plan)}");
            return 0;
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    /// <summary>What --delete left alone, and why (at most ten paths per reason).</summary>
    private async Task ReportKeptAsync(PublishPlan plan)
    {
        foreach (var group in plan.Kept.GroupBy(k => k.Reason))
        {
            var paths = group.Select(k => k.Path).ToList();
            await stdout.WriteLineAsync($"kept {paths.Count} key(s) the revision does not have, {group.Key}: {string.Join(", ", paths.Take(10))}"
                + (paths.Count > 10 ? ", ..." : "") + " (--delete removes only what an earlier publish wrote)");
        }
    }

    private static string Describe(PublishPlan plan) =>
        $"{plan.Count(PublishAction.Copy)} copied, {plan.Count(PublishAction.Upload)} uploaded, {plan.Count(PublishAction.Delete)} deleted, "
        + $"{plan.Unchanged} unchanged{(plan.Skipped > 0 ? $", {plan.Skipped} not published (.lfs-s3/, links, submodules)" : "")}";

    /// <summary>The store and key prefix that --to names; the same store unless it names another bucket or folder.</summary>
    private (IObjectStore Store, string Prefix) Destination(Workspace workspace, string to)
    {
        IObjectStore store;
        string prefix;
        if (to.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            if (workspace.Settings.FolderStore is not null)
            {
                throw new UsageException("this repository uses a folder store: publish to a prefix of it, or to file:///another/folder");
            }

            var rest = to[5..];
            var slash = rest.IndexOf('/');
            var bucket = slash < 0 ? rest : rest[..slash];
            prefix = slash < 0 ? "" : rest[(slash + 1)..].Trim('/');
            if (bucket.Length == 0)
            {
                throw new UsageException($"--to {to} names no bucket (s3://bucket/prefix)");
            }

            store = bucket == workspace.Settings.Bucket ? workspace.Store : StoreFactory.Create(workspace.Settings.With(SettingNames.Bucket, bucket, "--to"));
        }
        else if (to.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            if (workspace.Settings.FolderStore is null || !Uri.TryCreate(to, UriKind.Absolute, out var uri) || !Path.IsPathRooted(uri.LocalPath))
            {
                throw new UsageException(workspace.Settings.FolderStore is null
                    ? "this repository uses S3: publish to a prefix of its bucket or to s3://another-bucket/prefix"
                    : $"--to {to} is not a file:///absolute/path");
            }

            // A folder inside the repository's own store is a prefix of it (so the overlap check below applies); one that
            // holds the store would list and overwrite the store's own files.
            var folder = Path.TrimEndingDirectorySeparator(Path.GetFullPath(uri.LocalPath));
            var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(new Uri(workspace.Settings.FolderStore).LocalPath));
            if (folder == root || folder.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                store = workspace.Store;
                prefix = Path.GetRelativePath(root, folder) is var relative && relative == "." ? "" : relative.Replace(Path.DirectorySeparatorChar, '/');
            }
            else if (root.StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                throw new UsageException($"--to {to} holds the repository's own store ({workspace.Settings.StoreDescription}): publish to a folder beside it");
            }
            else
            {
                Directory.CreateDirectory(folder);
                store = StoreFactory.Create(workspace.Settings.With(SettingNames.Store, new Uri(folder).AbsoluteUri, "--to"));
                prefix = "";
            }
        }
        else
        {
            store = workspace.Store;
            prefix = to.Trim('/');
            if (prefix.Length == 0)
            {
                throw new UsageException("--to needs a prefix (e.g. site/v1), or s3://another-bucket/");
            }
        }

        // "" is the whole destination (a folder of its own, or s3://bucket/).
        if (prefix.Length > 0 && prefix.Split('/').Any(p => p is "" or "." or ".." or ".git"))
        {
            throw new UsageException($"--to {to}: a prefix has no empty, \".\", \"..\" or \".git\" parts");
        }

        var own = workspace.Layout.Prefix;
        if (store.Id == workspace.Store.Id && (own.Length == 0 || prefix.Length == 0 || prefix == own
            || prefix.StartsWith(own + "/", StringComparison.Ordinal) || own.StartsWith(prefix + "/", StringComparison.Ordinal)))
        {
            throw new UsageException($"--to {to} overlaps the repository's own files ({workspace.Store.Describe(own.Length == 0 ? "" : own + "/")}): "
                + (own.Length == 0 ? "the repository uses the whole bucket, so publish to another bucket (s3://other-bucket/prefix)"
                    : "publish beside it, e.g. --to site/ or to another bucket"));
        }

        return (store, prefix);
    }
}
