using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Commands;

/// <summary><c>git lfs-s3 sync</c>.</summary>
public sealed class SyncCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, TextWriter stdout)
    : WorkspaceVerb(storeFactory, environment)
{
    public override string Name => "sync";

    public override string Summary => "fetch the mapping branch, join it with this clone's entries and push it";

    public override string Help => """
        usage: git lfs-s3 sync [<remote>]

        Fetches the mapping branch (lfs-s3.mappingbranch, default lfs-s3) from the remote (default origin),
        joins it with every entry this clone recorded that it lacks, and pushes it. Every push that uploads
        does the same at its end; this sends what a push could not (offline, no rights, a protected branch).
        Exits 1 when the branch cannot be pushed, with git's reason.
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        using var workspace = await OpenAsync(cancellationToken);
        var remote = await MappingRemoteAsync(workspace, args.Arguments.FirstOrDefault(), cancellationToken);
        var branch = workspace.Mapping.Branch.Branch;
        var (pending, push) = await workspace.PublishMappingAsync(remote, fetchFirst: true, cancellationToken);
        if (!push.Pushed)
        {
            throw new CommandException($"could not push the mapping branch {branch} to {remote} ({pending} entries stay pending): {push.Reason}");
        }

        await stdout.WriteLineAsync(pending == 0
            ? $"the mapping branch {branch} on {remote} holds every entry of this clone"
            : $"pushed {pending} entries to the mapping branch {branch} on {remote}");
        return 0;
    }
}
