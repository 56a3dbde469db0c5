using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Core.Transfer;

/// <summary>One object to move, as validated from a protocol request.</summary>
public sealed record TransferItem(string Operation, string Oid, long Size, string? LocalPath);

/// <summary>Does the work behind upload and download requests; returns values, never writes to stdout.</summary>
public interface ITransferHandler : IAsyncDisposable
{
    /// <summary>Moves one object; returns the downloaded file's path for a download, null for an upload.</summary>
    Task<string?> TransferAsync(TransferItem item, IProgressReporter progress, CancellationToken cancellationToken);
}

/// <summary>Builds the handler for a session from its <c>init</c> message; must be cheap (init is answered at once).</summary>
public delegate ITransferHandler TransferHandlerFactory(string operation, string? remote);
