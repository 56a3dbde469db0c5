using System.Text.Json.Serialization;

namespace LfsS3Agent.Core.Publishing;

/// <summary>One file of a published snapshot: its path under the prefix, SHA-256 of its bytes (the OID for LFS files) and size.</summary>
public sealed record PublishedFile(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("oid")] string Oid,
    [property: JsonPropertyName("size")] long Size);

/// <summary>What <c>&lt;prefix&gt;/.lfs-s3-publish.json</c> says: which commit the prefix shows, since when, and its files.</summary>
public sealed record PublishManifest(
    [property: JsonPropertyName("revision")] string Revision,
    [property: JsonPropertyName("commit")] string Commit,
    [property: JsonPropertyName("published")] DateTimeOffset Published,
    [property: JsonPropertyName("files")] IReadOnlyList<PublishedFile> Files);

/// <summary>Source-generated JSON for the manifest (native AOT).</summary>
[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(PublishManifest))]
public sealed partial class PublishJsonContext : JsonSerializerContext;
