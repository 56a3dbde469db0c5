using System.Text.Json;
using System.Text.Json.Serialization;

namespace LfsS3Agent.Core.Protocol;

/// <summary>Any message git-lfs sends; field names are the spec's, so one record serves every event.</summary>
public sealed record TransferRequest
{
    public string? Event { get; init; }
    public string? Operation { get; init; }
    public string? Remote { get; init; }
    public bool? Concurrent { get; init; }
    [JsonPropertyName("concurrenttransfers")] public int? ConcurrentTransfers { get; init; }
    public string? Oid { get; init; }
    public long? Size { get; init; }
    public string? Path { get; init; }
    public JsonElement? Action { get; init; }
}

/// <summary>The error object of the custom transfer protocol.</summary>
public sealed record ProtocolError(int Code, string Message);

/// <summary>Answer to <c>init</c> (empty on success), and to a line that names no transfer.</summary>
public sealed record ErrorOnlyResponse(ProtocolError? Error);

/// <summary>Progress of one transfer; <c>bytesSinceLast</c> drives git-lfs's byte meter.</summary>
public sealed record ProgressMessage(string Oid, long BytesSoFar, long BytesSinceLast)
{
    public string Event => "progress";
}

/// <summary>The one final answer to an upload or download request.</summary>
public sealed record CompleteMessage(string Oid, string? Path = null, ProtocolError? Error = null)
{
    public string Event => "complete";
}

/// <summary>Event and operation names of the protocol.</summary>
public static class ProtocolNames
{
    public const string Init = "init";
    public const string Upload = "upload";
    public const string Download = "download";
    public const string Terminate = "terminate";
}
