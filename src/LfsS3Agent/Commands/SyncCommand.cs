using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Commands;

/// <summary><c>git lfs-s3 sync</c>.</summary>
public sealed class SyncCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, TextWriter stdout)
    : WorkspaceVerb(storeFactory, environment)
{
    public override string Name => "sync";

    public override string Summary => "add this clone's uploads to the mapping file (completes an interrupted push)";

    public override string Help => """
        usage: git lfs-s3 sync

        Adds every upload recorded in this clone to .lfs-s3/mapping/ and stages it (moving an old single
        .lfs-s3/mapping.tsv into shards on the way) (every push does the
        same at its end; this completes a push that was interrupted).
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        using var workspace = await OpenAsync(cancellationToken);
        var added = await workspace.SyncMappingAsync(all: true, cancellationToken);
        await stdout.WriteLineAsync(added == 0 ? "the mapping file already holds every upload of this clone"
            : $"added {added} entries to {SettingNames.MappingFolder}/ and staged it");
        return 0;
    }
}
