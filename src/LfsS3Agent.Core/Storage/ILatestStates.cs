namespace LfsS3Agent.Core.Storage;

/// <summary>
/// A key's latest state: its latest version, or a delete marker when the key was deleted (<paramref name="Deleted"/>,
/// <paramref name="Size"/> 0), with when and by whom it was written where the store records that.
/// </summary>
public sealed record LatestState(string Key, string VersionId, long Size, bool Deleted, DateTimeOffset? Modified, string? Owner);

/// <summary>What <c>import</c> needs: the latest state of every key under a prefix, delete markers included, from one listing.</summary>
public interface ILatestStates
{
    /// <summary>
    /// The latest version or delete marker of every key under <paramref name="prefix"/> ("" or ending in "/"), at any
    /// depth: one paginated listing of the prefix's versions.
    /// </summary>
    Task<IReadOnlyList<LatestState>> ListLatestStatesAsync(string prefix, CancellationToken cancellationToken);
}
