using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;
using Microsoft.Extensions.Logging;

namespace LfsS3Agent.Commands;

/// <summary><c>git lfs-s3 url</c>: a link to one file exactly as a revision has it.</summary>
public sealed class UrlCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, TextWriter stdout,
    ILogger<UrlCommand> logger) : WorkspaceVerb(storeFactory, environment)
{
    /// <summary>S3 refuses presigned SigV4 links that live longer than a week.</summary>
    private static readonly TimeSpan MaxLifetime = TimeSpan.FromDays(7);

    public override string Name => "url";

    public override string Summary => "print a link to an LFS file exactly as it is at a revision (expires; 1 hour by default)";

    public override IReadOnlySet<string> ValueOptions { get; } = new HashSet<string> { "rev", "expires" };

    public override IReadOnlySet<string> Flags { get; } = new HashSet<string> { "download" };

    public override bool TakesArguments => true;

    public override string Help => """
        usage: git lfs-s3 url <path> [--rev <revision>] [--expires <duration>] [--download]

        Prints a link that serves the file at <path> exactly as <revision> (default HEAD) has it, to anyone who
        has the link, until it expires: a presigned GET of that S3 version (the version id is part of the
        signature, so later edits and uploads to the same key do not change what it returns). Browsers show it
        under the file's own name; --download makes them save it instead. --expires takes 90s, 30m, 12h, 7d
        (default 1h, at most 7d, S3's limit); a link signed with temporary credentials (SSO, an assumed role)
        stops working when they expire. For a folder store, prints the file:// path of that version.
        Needs s3:GetObject and s3:GetObjectVersion on the key (the signer's rights are the link's).
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        if (args.Arguments.Count != 1)
        {
            throw new UsageException("give exactly one path");
        }

        var lifetime = Duration.Parse("expires", args.Value("expires") ?? "1h");
        if (lifetime > MaxLifetime || lifetime <= TimeSpan.Zero)
        {
            throw new UsageException($"--expires must be between 1s and 7d (S3 does not accept presigned links that live longer than 7 days)");
        }

        using var workspace = await OpenAsync(cancellationToken);
        var revision = args.Value("rev") ?? "HEAD";
        var tree = new GitTree(workspace.Repository.Git);
        var commit = await tree.ResolveCommitAsync(revision, cancellationToken);
        var path = RepositoryPath(workspace, args.Arguments[0]);
        var pointer = await tree.PointerAtAsync(commit, revision, path, cancellationToken);
        await workspace.Paths.UpdateAsync(cancellationToken);
        var located = await workspace.CreateLocator(logger).LocateAsync(pointer.Oid, pointer.Size, [path], cancellationToken);
        if (located.Entry is not { } entry)
        {
            throw new CommandException($"{path} at {revision} (object {pointer.Oid[..12]}) is not in the store: "
                + $"run `git lfs-s3 verify {revision}`, and `git lfs push --all origin` in a clone that has it");
        }

        await stdout.WriteLineAsync(await workspace.Store.Require<IStoreLinks>("make links").LinkAsync(entry.Key, entry.VersionId, Path.GetFileName(path), args.Has("download"),
            lifetime, cancellationToken));
        return 0;
    }
}
