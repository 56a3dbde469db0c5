using System.Globalization;
using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.Settings;

namespace LfsS3Agent.Commands.Shared;

/// <summary>
/// How many agent processes git-lfs starts in this tool's repositories. git-lfs sends each process one object at a
/// time, so its default of 8 processes is 8 objects in flight: across a network a clone of small files waits on
/// round trips, not on bytes. git-lfs reads <c>lfs.concurrenttransfers</c> only from git config (never from
/// <c>.lfsconfig</c>) and not per URL, so the one place that reaches exactly this tool's repositories is each
/// clone's own <c>.git/config</c>: init writes it, and so does the agent the first time it works in a clone (that
/// git-lfs run still had 8; every later one has <see cref="Count"/>). A value the user set anywhere is left alone.
/// Why 10: on a 2-core machine at 20 ms, 10, 12 and 16 agents pushed 1,000 small files in the same time within
/// 5% (the cores, not round trips, were the limit), and each agent has about 36 MB of RSS (24 MB of it the shared
/// binary, counted in every process): 10 stay under 400 MB of RSS together, 12 did not (432 MB). Measured by
/// scripts/bench-latency.sh.
/// </summary>
internal static class TransferProcesses
{
    public const int Count = 10;

    /// <summary>What earlier releases wrote, removed like <see cref="Count"/> by uninstall.</summary>
    private const int EarlierCount = 12;

    private static readonly string Value = Count.ToString(CultureInfo.InvariantCulture);

    /// <summary>Writes <c>lfs.concurrenttransfers</c> into the clone's own git config unless some git config sets it.</summary>
    /// <returns>Whether it was written.</returns>
    public static async Task<bool> WriteAsync(IGit git, AgentSettings settings, CancellationToken cancellationToken)
    {
        if (settings.ConcurrentTransfersSet)
        {
            return false;
        }

        try
        {
            await git.ConfigSetAsync(GitConfigSource.Local, AgentSettings.ConcurrentTransfersKey, Value, cancellationToken);
            return true;
        }
        catch (GitException)
        {
            // Another agent process of the same git-lfs run holds .git/config.lock: it is writing the same value.
            return false;
        }
    }

    /// <summary>Removes the value this tool writes (a different one is the user's own and stays).</summary>
    public static Task RemoveAsync(IGit git, CancellationToken cancellationToken) =>
        git.ConfigUnsetAllAsync(GitConfigSource.Local, AgentSettings.ConcurrentTransfersKey, $"^({Value}|{EarlierCount})$", cancellationToken);
}
