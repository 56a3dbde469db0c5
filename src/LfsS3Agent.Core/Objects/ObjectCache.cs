using LfsS3Agent.Core.LocalState;
using LfsS3Agent.Core.Mapping;

namespace LfsS3Agent.Core.Objects;

/// <summary>
/// This clone's verified OID -> version entries for one store (table <c>objects</c>), and which of them its pushes
/// made: those belong in the mapping file, and are marked once written there.
/// </summary>
public sealed class ObjectCache(LocalDatabase database, string storeId)
{
    public MappingEntry? Find(string oid) => database.Run(sql => sql.Query(
        "SELECT oid, size, version_id, key FROM objects WHERE store = $store AND oid = $oid", MappingEntry.FromRow,
        ("$store", storeId), ("$oid", oid))).SingleOrDefault();

    /// <summary>Records a verified entry; <paramref name="uploaded"/> marks entries that belong in the mapping file.</summary>
    public void Put(MappingEntry entry, bool uploaded = false) => database.Run(sql => sql.Execute("""
        INSERT INTO objects(store, oid, size, version_id, key, uploaded) VALUES($store, $oid, $size, $version, $key, $uploaded)
        ON CONFLICT(store, oid) DO UPDATE SET size = excluded.size, version_id = excluded.version_id, key = excluded.key,
            uploaded = CASE WHEN objects.version_id = excluded.version_id AND objects.key = excluded.key
                THEN max(objects.uploaded, excluded.uploaded) ELSE excluded.uploaded END
        """, ("$store", storeId), ("$oid", entry.Oid), ("$size", entry.Size), ("$version", entry.VersionId), ("$key", entry.Key),
        ("$uploaded", uploaded ? 1 : 0)));

    /// <summary>Entries this clone pushed (or found already stored while pushing): what the mapping file must hold.</summary>
    /// <remarks>uploaded: 0 found elsewhere, 1 pushed from this clone, 2 pushed and already written to the mapping file.</remarks>
    public List<MappingEntry> Uploaded(bool notYetWritten = false) =>
        Select($"SELECT oid, size, version_id, key FROM objects WHERE store = $store AND uploaded {(notYetWritten ? "= 1" : ">= 1")}");

    /// <summary>Remembers that these entries are in the mapping file, so the next push does not merge them again.</summary>
    public void MarkWritten(IEnumerable<MappingEntry> entries) => database.InTransaction(sql =>
    {
        sql.ExecuteEach("UPDATE objects SET uploaded = 2 WHERE store = $store AND oid = $oid AND version_id = $v AND key = $key AND uploaded = 1",
            entries, e => [("$store", storeId), ("$oid", e.Oid), ("$v", e.VersionId), ("$key", e.Key)]);
        return true;
    });

    public void Remove(string oid) =>
        database.Run(sql => sql.Execute("DELETE FROM objects WHERE store = $store AND oid = $oid", ("$store", storeId), ("$oid", oid)));

    public List<MappingEntry> All() => Select("SELECT oid, size, version_id, key FROM objects WHERE store = $store");

    private List<MappingEntry> Select(string query) => database.Run(sql => sql.Query(query, MappingEntry.FromRow, ("$store", storeId)));
}
