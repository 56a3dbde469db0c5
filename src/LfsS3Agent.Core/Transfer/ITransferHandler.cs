using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Core.Transfer;

/// <summary>Which way an object moves; the protocol's event names stay in Protocol.</summary>
public enum TransferDirection
{
    Upload,
    Download,
}

/// <summary>One object to move, as validated from a protocol request.</summary>
public sealed record TransferItem(TransferDirection Direction, string Oid, long Size, string? LocalPath);

/// <summary>
/// Does the work behind upload and download requests; returns values, never writes to stdout. The session calls
/// <see cref="EndAsync"/> once when it ends (terminate, end of input, a new init); disposal only releases.
/// </summary>
public interface ITransferHandler : IAsyncDisposable
{
    /// <summary>Moves one object; returns the downloaded file's path for a download, null for an upload.</summary>
    Task<string?> TransferAsync(TransferItem item, IProgressReporter progress, CancellationToken cancellationToken);

    /// <summary>End-of-session work (git-lfs's adapter <c>End</c>): after the last transfer, before disposal; never throws for it.</summary>
    Task EndAsync(CancellationToken cancellationToken);
}

/// <summary>Builds the handler for a session from its <c>init</c> message; must be cheap (init is answered at once).</summary>
public delegate ITransferHandler TransferHandlerFactory(TransferDirection direction, string? remote);
