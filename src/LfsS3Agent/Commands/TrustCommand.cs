using LfsS3Agent.Commands.Shared;
using LfsS3Agent.Core;
using LfsS3Agent.Core.Settings;

namespace LfsS3Agent.Commands;

/// <summary><c>git lfs-s3 trust</c>: accepts the storage settings a commit changed.</summary>
public sealed class TrustCommand(ProcessEnvironment environment, TextWriter stdout) : Verb
{
    public override string Name => "trust";

    public override string Summary => "accept the store, bucket, endpoint, prefix and encryption that the committed .lfs-s3/config now names, and .lfsconfig's lfs.url";

    public override string Help => """
        usage: git lfs-s3 trust

        Each clone remembers the store, bucket, endpoint, prefix and server-side encryption (lfs-s3.sse,
        lfs-s3.ssekmskeyid) that the committed .lfs-s3/config named when it first used them. When a later
        commit changes them, pushes and checkouts stop (so that one commit cannot send everyone's files
        elsewhere, or encrypt them with a key someone else controls) and say which commit changed what. Run this after
        checking that the change is intended: it accepts the values now in force and shows them.
        The same for the LFS URL: each clone pins lfs.url (and lfs.pushurl) of the committed .lfsconfig in
        its own .git/config, which git-lfs reads first, so a commit that points .lfsconfig at another LFS
        server changes nothing until this command accepts it (status and doctor report such a commit).
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        var repository = await Workspace.RepositoryAsync(environment, cancellationToken);
        var settings = await SettingsResolver.LoadAsync(repository, environment, cancellationToken: cancellationToken);
        foreach (var (key, value) in TrustedStorage.Trust(repository, settings))
        {
            await stdout.WriteLineAsync($"{key} = \"{value}\"");
        }

        await stdout.WriteLineAsync($"trusted: transfers use these values from {SettingNames.RepoConfigFile} (empty: not set there)");
        foreach (var pinned in await LfsUrlPin.TrustAsync(repository, cancellationToken))
        {
            await stdout.WriteLineAsync($"{pinned} (from .lfsconfig, pinned in .git/config: git-lfs uses it whatever a later commit says)");
        }

        return 0;
    }
}
