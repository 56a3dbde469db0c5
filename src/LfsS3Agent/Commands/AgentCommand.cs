using LfsS3Agent.Core.Protocol;
using LfsS3Agent.Core.Storage;
using LfsS3Agent.Core.Transfer;
using Microsoft.Extensions.Logging;

namespace LfsS3Agent.Commands;

/// <summary><c>git lfs-s3 agent</c>: the standalone transfer agent git-lfs starts, speaking its protocol on stdin/stdout.</summary>
public sealed class AgentCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, AgentLoggerProvider logs, ILogger<AgentCommand> logger)
{
    public const string Help = """
        usage: git lfs-s3 agent

        The custom transfer agent that git-lfs starts (see `git lfs-s3 install`); it reads git-lfs's
        JSON requests on stdin and answers on stdout. Not meant to be run by hand.
        Logs go to stderr (shown with GIT_TRACE=1) and to LFS_S3_LOG_FILE / lfs-s3.logfile if set.
        """;

    public async Task<int> RunAsync(Stream input, Stream output, CancellationToken cancellationToken)
    {
        var writer = new ProtocolWriter(output);
        var session = new TransferSession(input, writer, (_, _) => new ObjectTransfer(OpenAsync, logger), logger);
        try
        {
            await session.RunAsync(cancellationToken);
            return 0;
        }
        catch (IOException ex)
        {
            // git-lfs closed our stdout (it gave up or was killed): nobody is left to answer.
            logger.LogWarning("git-lfs closed the protocol stream: {Message}", ex.Message);
            return 1;
        }
    }

    private async Task<RepositoryContext> OpenAsync(CancellationToken cancellationToken)
    {
        var context = await RepositoryContext.OpenAsync(environment.WorkingDirectory, environment.Variables, storeFactory, cancellationToken);
        logs.Configure(context.Settings);
        return context;
    }
}
