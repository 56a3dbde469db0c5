namespace LfsS3Agent.Core.Mapping;

/// <summary>Where one LFS object is stored: an exact version of a key.</summary>
public sealed record MappingEntry(string Oid, long Size, string VersionId, string Key);
