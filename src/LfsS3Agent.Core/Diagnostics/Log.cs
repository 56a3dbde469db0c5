using Microsoft.Extensions.Logging;

namespace LfsS3Agent.Core.Diagnostics;

/// <summary>Source-generated log calls; message bodies only at Trace level.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "init operation={Operation} remote={Remote}")]
    public static partial void SessionInit(ILogger logger, string operation, string? remote);

    [LoggerMessage(EventId = 2, Level = LogLevel.Trace, Message = "received {Line}")]
    public static partial void Received(ILogger logger, string line);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "bad request: {Reason}")]
    public static partial void BadRequest(ILogger logger, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "{Operation} {Oid} failed: [{Code}] {Reason}")]
    public static partial void TransferFailed(ILogger logger, string operation, string oid, int code, string reason, Exception? exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Information, Message = "{Operation} {Oid} ({Size} bytes) done in {Milliseconds} ms")]
    public static partial void TransferDone(ILogger logger, string operation, string oid, long size, long milliseconds);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "session ends: {Reason}")]
    public static partial void SessionEnd(ILogger logger, string reason);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "{Message}")]
    public static partial void Info(ILogger logger, string message);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "{Message}")]
    public static partial void Warn(ILogger logger, string message, Exception? exception = null);

    [LoggerMessage(EventId = 9, Level = LogLevel.Debug, Message = "{Message}")]
    public static partial void Debug(ILogger logger, string message);
}
