using LfsS3Agent.Commands.Shared;
using LfsS3Agent.Core.Importing;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Commands;

/// <summary><c>git lfs-s3 import</c>: files added, edited or deleted in the bucket, outside git, as one commit.</summary>
public sealed class ImportCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, TextWriter stdout)
    : WorkspaceVerb(storeFactory, environment)
{
    public override string Name => "import";

    public override string Summary => "commit the files added, edited or deleted in the bucket outside git (adopts an existing prefix)";

    public override IReadOnlySet<string> ValueOptions { get; } = new HashSet<string> { "message", "branch" };

    public override IReadOnlySet<string> Flags { get; } = new HashSet<string> { "dry-run" };

    public override bool TakesArguments => true;

    public override string Help => """
        usage: git lfs-s3 import [--dry-run] [--message <text>] [--branch <name>] [<path>...]

        Lists the repository's prefix once and makes one commit of what people changed in the bucket outside
        git: a key whose latest version git did not write (a new key, or a file replaced through the console,
        a mounted drive or the AWS CLI) and a key whose latest is a delete marker. Files that .gitattributes
        sends to LFS become pointers: each object is downloaded once, checked, put in the local LFS store and
        recorded for the mapping branch with that exact version, so the next push uploads nothing. Other files
        become git's own files; deleted keys are removed. What git wrote (uploads, promote copies, locks and
        anything under <prefix>/.git/) is never imported, so an import right after a push finds nothing, and
        running it again without new changes in the bucket makes no commit.

        The commit goes on the current branch, and index and work tree follow as with a fast-forward merge;
        local changes to a path the import changes stop it with nothing changed. --branch <name> commits
        onto that branch instead (created from HEAD when it does not exist), leaving the current branch,
        index and work tree as they are. <path>... imports only those files or folders. --message sets the
        commit's subject; the body lists every file with its version and who wrote it (when the bucket
        records that). --dry-run prints the plan and changes nothing.

        In a repository just set up over a prefix that already holds files (even ones written before
        versioning was turned on, whose version id is "null"), the first import adopts them all.
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        using var workspace = await OpenAsync(cancellationToken);
        var git = workspace.Repository.Git;
        var branch = args.Value("branch");
        if (branch is not null)
        {
            if (!await git.IsValidBranchNameAsync(branch, cancellationToken))
            {
                throw new UsageException($"--branch {branch}: not a valid branch name");
            }

            if (await git.SymbolicRefAsync("HEAD", cancellationToken) == "refs/heads/" + branch)
            {
                throw new UsageException($"--branch {branch} is the branch checked out here: run import without --branch to commit onto it");
            }
        }

        var paths = args.Arguments.Select(p => RepositoryPath(workspace, p)).ToList();
        var import = new BucketImport(workspace.Repository, workspace.Store, workspace.Layout, workspace.Cache, workspace.Mapping,
            new ImportedVersions(workspace.Database, workspace.Store.Id), workspace.LfsTempDir, workspace.Settings.Parallelism);
        var plan = await import.PlanAsync(branch, paths, cancellationToken);
        var where = workspace.Store.Describe(workspace.Layout.Prefix.Length == 0 ? "" : workspace.Layout.Prefix + "/");
        var onto = branch ?? "the current branch";
        foreach (var skipped in plan.Skipped)
        {
            await stdout.WriteLineAsync($"skipped {skipped}");
        }

        if (args.Has("dry-run"))
        {
            foreach (var change in plan.Changes)
            {
                await stdout.WriteLineAsync(BucketImport.Line(change));
            }

            await stdout.WriteLineAsync($"dry run, nothing changed: {Counts(plan.Changes)} found in {where} ({plan.Listed} keys listed) would be committed onto {onto}"
                + (plan.Changes.Count > 0 ? " (a file whose bytes turn out to be what the commit has is left out)" : ""));
            return 0;
        }

        var progress = new TerminalProgress("importing", plan.Changes.Count(c => c.Kind != ImportKind.Deleted));
        var result = await import.ApplyAsync(plan, args.Value("message"), progress.Step, cancellationToken);
        progress.Done();
        if (result.Commit is null)
        {
            await stdout.WriteLineAsync($"nothing to import: {where} holds no change made outside git ({plan.Listed} keys listed)");
            return 0;
        }

        foreach (var file in result.Files)
        {
            await stdout.WriteLineAsync(BucketImport.Line(file.Change));
        }

        var objects = result.Files.Count(f => f.Lfs);
        await stdout.WriteLineAsync($"imported {Counts(result.Files.Select(f => f.Change).ToList())} from {where} as {result.Commit[..12]} onto {onto}"
            + (objects > 0 ? $"; the next push records the {objects} LFS objects on the mapping branch and uploads none of them" : ""));
        return 0;
    }

    private static string Counts(IReadOnlyList<ImportChange> changes)
    {
        var parts = new[] { ImportKind.Added, ImportKind.Modified, ImportKind.Deleted }
            .Select(k => (k, n: changes.Count(c => c.Kind == k))).Where(x => x.n > 0).Select(x => $"{x.n} {x.k.ToString().ToLowerInvariant()}").ToList();
        return parts.Count == 0 ? "no changes" : string.Join(", ", parts);
    }
}
