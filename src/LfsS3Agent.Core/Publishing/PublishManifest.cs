using System.Text.Json.Serialization;

namespace LfsS3Agent.Core.Publishing;

/// <summary>One file of a published snapshot: its path under the prefix, SHA-256 of its bytes (the OID for LFS files) and size.</summary>
public sealed record PublishedFile(string Path, string Oid, long Size);

/// <summary>What <c>&lt;prefix&gt;/.lfs-s3-publish.json</c> says: which commit the prefix shows, since when, and its files.</summary>
public sealed record PublishManifest(string Revision, string Commit, DateTimeOffset Published, IReadOnlyList<PublishedFile> Files);

/// <summary>Source-generated JSON for the manifest (native AOT).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(PublishManifest))]
public sealed partial class PublishJsonContext : JsonSerializerContext;
