using System.Text.Json.Serialization;

namespace LfsS3Agent.Core.Protocol;

/// <summary>
/// Source-generated JSON for every wire type (native AOT has no reflection serializer). Names are camelCase by policy;
/// an attribute names only a field the spec spells otherwise (<c>concurrenttransfers</c>).
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(TransferRequest))]
[JsonSerializable(typeof(ErrorOnlyResponse))]
[JsonSerializable(typeof(ProgressMessage))]
[JsonSerializable(typeof(CompleteMessage))]
public sealed partial class ProtocolJsonContext : JsonSerializerContext;
