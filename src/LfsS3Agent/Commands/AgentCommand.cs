using LfsS3Agent.Commands.Shared;
using LfsS3Agent.Core;
using LfsS3Agent.Core.Protocol;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;
using LfsS3Agent.Core.Transfer;
using Microsoft.Extensions.Logging;

namespace LfsS3Agent.Commands;

/// <summary>The protocol streams: the process's stdin and stdout, which nothing else may write to.</summary>
public sealed record AgentStreams(Func<Stream> Input, Func<Stream> Output);

/// <summary><c>git lfs-s3 agent</c>: the standalone transfer agent git-lfs starts, speaking its protocol on stdin/stdout.</summary>
public sealed partial class AgentCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, AgentStreams streams,
    AgentLoggerProvider logs, ILogger<AgentCommand> logger) : Verb
{
    public override string Name => "agent";

    public override string Summary => "the transfer agent that git-lfs runs (not for direct use)";

    public override bool Hidden => true;

    public override string Help => """
        usage: git lfs-s3 agent

        The custom transfer agent that git-lfs starts (see `git lfs-s3 install`); it reads git-lfs's
        JSON requests on stdin and answers on stdout. Not meant to be run by hand.
        Logs go to stderr (shown with GIT_TRACE=1) and to LFS_S3_LOG_FILE / lfs-s3.logfile if set.
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        var writer = new ProtocolWriter(streams.Output());
        var session = new TransferSession(streams.Input(), writer, (direction, remote) =>
            new ObjectTransfer(ct => OpenAsync(direction == TransferDirection.Download, ct), remote, logger), logger);
        try
        {
            await session.RunAsync(cancellationToken);
            return 0;
        }
        catch (IOException ex)
        {
            // git-lfs closed our stdout (it gave up or was killed): nobody is left to answer.
            ProtocolStreamClosed(logger, ex.Message);
            return 1;
        }
        finally
        {
            await _chores;
        }
    }

    /// <summary>Git config this clone keeps for later runs, written beside the transfers (see <see cref="ChoresAsync"/>).</summary>
    private Task _chores = Task.CompletedTask;

    /// <summary>Opens the workspace on the first request; downloads read with the storage this clone trusts, whatever commit is checked out.</summary>
    private async Task<Workspace> OpenAsync(bool download, CancellationToken cancellationToken)
    {
        var workspace = await Workspace.OpenAsync(environment, storeFactory, download, cancellationToken);
        logs.Configure(workspace.Settings);
        // Every agent of a clone opens on its first request at once, and git-lfs waits for each one's first answer:
        // the git processes of the pin and lfs.concurrenttransfers (up to eight) are for later runs, so they run beside the
        // transfers, not before them.
        _chores = Task.WhenAll(_chores, ChoresAsync(workspace));
        return workspace;
    }

    /// <summary>Never fails: what is not written now (.git/config locked by a sibling doing the same) is written by a later run.</summary>
    private async Task ChoresAsync(Workspace workspace)
    {
        if (workspace.Settings.LfsUrlPinned && workspace.Settings.ConcurrentTransfersSet)
        {
            return;
        }

        await Task.Yield();
        IDisposable turn;
        try
        {
            // One agent of a run is enough: the others (all of a fresh clone's) would run the same git processes.
            turn = FileLock.Acquire(workspace.Database.LockPath("git-config.lock"), TimeSpan.Zero);
        }
        catch (IOException)
        {
            return;
        }

        using (turn)
        {
            try
            {
                // Also during a clone's first checkout, before any verb ran: from now on a commit cannot move this clone's LFS URL.
                if (!workspace.Settings.LfsUrlPinned)
                {
                    await LfsUrlPin.PinAsync(workspace.Repository, CancellationToken.None);
                }

                if (await TransferProcesses.WriteAsync(workspace.Repository.Git, workspace.Settings, CancellationToken.None))
                {
                    ProcessesWritten(logger, AgentSettings.ConcurrentTransfersKey, TransferProcesses.Count);
                }
            }
            catch (Exception ex) when (ex is LfsS3Exception or IOException or UnauthorizedAccessException)
            {
                ChoresFailed(logger, ex.Message);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not record this clone's git config for later runs: {Message}")]
    private static partial void ChoresFailed(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "set {Key} = {Count} in this clone's git config: later git-lfs runs here keep that many objects in flight")]
    private static partial void ProcessesWritten(ILogger logger, string key, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "git-lfs closed the protocol stream: {Message}")]
    private static partial void ProtocolStreamClosed(ILogger logger, string message);
}
