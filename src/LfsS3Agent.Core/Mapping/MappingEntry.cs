using System.Data;

namespace LfsS3Agent.Core.Mapping;

/// <summary>Where one LFS object is stored: an exact version of a key.</summary>
public sealed record MappingEntry(string Oid, long Size, string VersionId, string Key)
{
    /// <summary>An entry from a local database row of (oid, size, version_id, key).</summary>
    internal static MappingEntry FromRow(IDataRecord row) => new(row.GetString(0), row.GetInt64(1), row.GetString(2), row.GetString(3));
}
