using Microsoft.Extensions.Logging;

namespace LfsS3Agent.Core.Diagnostics;

/// <summary>Source-generated log calls, one per event; message bodies only at Trace level.</summary>
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

    [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "{Oid} already stored as {Location} version {VersionId} ({Source})")]
    public static partial void AlreadyStored(ILogger logger, string oid, string location, string versionId, string source);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "uploaded {Oid} to {Location} version {VersionId}")]
    public static partial void Uploaded(ILogger logger, string oid, string location, string versionId);

    [LoggerMessage(EventId = 31, Level = LogLevel.Debug, Message = "{Oid}: {Size} bytes stored gzip-compressed as {Stored} bytes")]
    public static partial void StoredCompressed(ILogger logger, string oid, long size, long stored);

    [LoggerMessage(EventId = 12, Level = LogLevel.Warning, Message = "no path in git history for {Oid}; storing it as {Location}")]
    public static partial void NoPathInHistory(ILogger logger, string oid, string location);

    [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "{Location} version {VersionId} ({Source}) is not {Oid}: {Reason}")]
    public static partial void CandidateRejected(ILogger logger, string location, string versionId, string source, string oid, string reason);

    [LoggerMessage(EventId = 14, Level = LogLevel.Warning, Message = "mapping: {Problem}")]
    public static partial void MappingLineSkipped(ILogger logger, string problem);

    [LoggerMessage(EventId = 15, Level = LogLevel.Debug, Message = "mapping: {Count} entries pushed to branch {Branch} of {Remote}")]
    public static partial void MappingPushed(ILogger logger, int count, string branch, string remote);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "mapping: could not push branch {Branch} to {Remote}; {Count} entries stay pending for the next push or `git lfs-s3 sync`: {Reason}")]
    public static partial void MappingPushFailed(ILogger logger, string branch, string remote, int count, string reason);

    [LoggerMessage(EventId = 16, Level = LogLevel.Warning, Message = "could not update {Path}: {Reason}")]
    public static partial void MappingSyncFailed(ILogger logger, string? path, string reason, Exception exception);

    [LoggerMessage(EventId = 17, Level = LogLevel.Warning, Message = "cannot look at {Location}: {Reason}")]
    public static partial void KeyUnusable(ILogger logger, string location, string reason);

    [LoggerMessage(EventId = 18, Level = LogLevel.Warning, Message = "\"{Path}\" cannot be an S3 key (over 1,024 bytes or not UTF-8); storing {Oid} as {Location}")]
    public static partial void PathCannotBeKey(ILogger logger, string path, string oid, string location);

    [LoggerMessage(EventId = 19, Level = LogLevel.Warning, Message = "ignored {Location} for {Oid}: outside this repository's prefix (lfs-s3.allowotherprefixes allows it)")]
    public static partial void OutsidePrefix(ILogger logger, string location, string oid);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "{Location}: HEAD's version {VersionId} made latest again as {Copy}")]
    public static partial void Promoted(ILogger logger, string location, string versionId, string copy);

    [LoggerMessage(EventId = 21, Level = LogLevel.Warning, Message = "could not make HEAD's versions the latest: {Reason}")]
    public static partial void PromoteFailed(ILogger logger, string reason, Exception exception);

    [LoggerMessage(EventId = 30, Level = LogLevel.Debug, Message = "transfer not recorded for usage --transfers: {Reason}")]
    public static partial void TransferNotRecorded(ILogger logger, string reason);

    [LoggerMessage(EventId = 60, Level = LogLevel.Debug, Message = "downloaded {Oid} from {Location} version {VersionId} ({Source})")]
    public static partial void Downloaded(ILogger logger, string oid, string location, string versionId, string source);

    [LoggerMessage(EventId = 62, Level = LogLevel.Warning, Message = "another repository's marker is beside this one's in {Location}: both keep files under the same keys, so prune refuses to run in either; give one of them its own prefix")]
    public static partial void MarkerForeign(ILogger logger, string location);

    [LoggerMessage(EventId = 63, Level = LogLevel.Warning, Message = "could not leave the repository's marker (tried again at the next push): {Reason}")]
    public static partial void MarkerFailed(ILogger logger, string reason, Exception exception);
}
