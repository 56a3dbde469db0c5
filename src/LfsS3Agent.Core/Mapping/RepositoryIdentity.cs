using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.Settings;

namespace LfsS3Agent.Core.Mapping;

/// <summary>
/// The id that tells this repository's marker in the store from another's, the same in every clone: the one <c>init</c>
/// commits in <c>.lfs-s3/config</c> (<see cref="ConfigKey"/>), else, for repositories set up by older releases, the one the
/// mapping branch records (written by the first clone to push it). Forks share it, like they share the prefix.
/// </summary>
public static class RepositoryIdentity
{
    /// <summary>The key in the committed <c>.lfs-s3/config</c> (not a setting: nothing overrides it).</summary>
    public const string ConfigKey = "lfs-s3.repository";

    public static string NewId() => Guid.NewGuid().ToString("N");

    /// <summary>The id the committed config names, or null.</summary>
    public static async Task<string?> CommittedAsync(GitRepository repository, CancellationToken cancellationToken) =>
        (await SettingsResolver.ReadRepoConfigAsync(repository, cancellationToken)).GetValueOrDefault(ConfigKey)?.Trim() is { Length: > 0 and <= 200 } id
            ? id : null;

    /// <summary>The committed id, else the mapping branch's (the default remote's copy first); null when neither has one yet.</summary>
    public static async Task<string?> ResolveAsync(GitRepository repository, MappingBranch branch, CancellationToken cancellationToken) =>
        await CommittedAsync(repository, cancellationToken) ?? await branch.IdentityAsync(await branch.DefaultRemoteAsync(cancellationToken), cancellationToken);
}
