using Microsoft.Extensions.Logging;

namespace LfsS3Agent.Core.Storage;

/// <summary>Source-generated log calls of the stores, one per store event (the stores own retries, so they say when they retry).</summary>
public static partial class StoreLog
{
    [LoggerMessage(EventId = 40, Level = LogLevel.Information, Message = "{Operation} for {Location}: attempt {Attempt} of {Attempts} after {Reason}")]
    public static partial void Retry(ILogger logger, string operation, string location, int attempt, int attempts, string reason);

    [LoggerMessage(EventId = 41, Level = LogLevel.Information, Message = "{Location} version {VersionId}: download body broke off at byte {Position} ({Reason}); resuming ({Resume} of {Resumes})")]
    public static partial void BodyResumed(ILogger logger, string location, string versionId, long position, string reason, int resume, int resumes);

    [LoggerMessage(EventId = 42, Level = LogLevel.Debug, Message = "{Location}: failing at once, the endpoint was unreachable {Seconds:0.#} s ago ({Reason})")]
    public static partial void FastFail(ILogger logger, string location, double seconds, string reason);

    [LoggerMessage(EventId = 43, Level = LogLevel.Information, Message = "copying {Source} version {VersionId} to {Location} through this machine: {Reason}")]
    public static partial void CopyThroughMachine(ILogger logger, string source, string versionId, string location, string reason);
}
