using System.Text.Json;
using System.Text.Json.Serialization;

namespace LfsS3Agent.Core.Protocol;

/// <summary>Any message git-lfs sends; field names are the spec's, so one record serves every event.</summary>
public sealed record TransferRequest
{
    [JsonPropertyName("event")] public string? Event { get; init; }
    [JsonPropertyName("operation")] public string? Operation { get; init; }
    [JsonPropertyName("remote")] public string? Remote { get; init; }
    [JsonPropertyName("concurrent")] public bool? Concurrent { get; init; }
    [JsonPropertyName("concurrenttransfers")] public int? ConcurrentTransfers { get; init; }
    [JsonPropertyName("oid")] public string? Oid { get; init; }
    [JsonPropertyName("size")] public long? Size { get; init; }
    [JsonPropertyName("path")] public string? Path { get; init; }
    [JsonPropertyName("action")] public JsonElement? Action { get; init; }
}

/// <summary>The error object of the custom transfer protocol.</summary>
public sealed record ProtocolError(
    [property: JsonPropertyName("code")] int Code,
    [property: JsonPropertyName("message")] string Message);

/// <summary>Answer to <c>init</c> (empty on success), and to a line that names no transfer.</summary>
public sealed record ErrorOnlyResponse([property: JsonPropertyName("error")] ProtocolError? Error);

/// <summary>Progress of one transfer; <c>bytesSinceLast</c> drives git-lfs's byte meter.</summary>
public sealed record ProgressMessage(
    [property: JsonPropertyName("oid")] string Oid,
    [property: JsonPropertyName("bytesSoFar")] long BytesSoFar,
    [property: JsonPropertyName("bytesSinceLast")] long BytesSinceLast)
{
    [JsonPropertyName("event")] public string Event => "progress";
}

/// <summary>The one final answer to an upload or download request.</summary>
public sealed record CompleteMessage(
    [property: JsonPropertyName("oid")] string Oid,
    [property: JsonPropertyName("path")] string? Path = null,
    [property: JsonPropertyName("error")] ProtocolError? Error = null)
{
    [JsonPropertyName("event")] public string Event => "complete";
}

/// <summary>Event and operation names of the protocol.</summary>
public static class ProtocolNames
{
    public const string Init = "init";
    public const string Upload = "upload";
    public const string Download = "download";
    public const string Terminate = "terminate";
}
