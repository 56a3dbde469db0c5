using LfsS3Agent.Core.LocalState;
using LfsS3Agent.Core.Mapping;

namespace LfsS3Agent.Core.Objects;

/// <summary>
/// This clone's verified OID -> version entries for one store (table <c>objects</c>), and which of them it recorded for
/// the mapping (uploads, objects found already stored or found in the store): marked once the mapping branch has them.
/// </summary>
public sealed class ObjectCache(LocalDatabase database, string storeId)
{
    public MappingEntry? Find(string oid) => database.Run(sql => sql.Query(
        "SELECT oid, size, version_id, key FROM objects WHERE store = $store AND oid = $oid", MappingEntry.FromRow,
        ("$store", storeId), ("$oid", oid))).SingleOrDefault();

    /// <summary>Records a verified entry; <paramref name="uploaded"/> marks entries that belong on the mapping branch.</summary>
    public void Put(MappingEntry entry, bool uploaded = false) => database.Write(sql => Upsert(sql, entry, uploaded));

    /// <summary>
    /// Records a verified entry the mapping already holds, with the database's next batch: until then a lookup here
    /// finds it through the mapping, as before.
    /// </summary>
    public void Remember(MappingEntry entry) => database.Defer(sql => Upsert(sql, entry, uploaded: false));

    private void Upsert(Sql sql, MappingEntry entry, bool uploaded) => sql.Execute("""
        INSERT INTO objects(store, oid, size, version_id, key, uploaded) VALUES($store, $oid, $size, $version, $key, $uploaded)
        ON CONFLICT(store, oid) DO UPDATE SET size = excluded.size, version_id = excluded.version_id, key = excluded.key,
            uploaded = CASE WHEN objects.version_id = excluded.version_id AND objects.key = excluded.key
                THEN max(objects.uploaded, excluded.uploaded) ELSE excluded.uploaded END
        """, ("$store", storeId), ("$oid", entry.Oid), ("$size", entry.Size), ("$version", entry.VersionId), ("$key", entry.Key),
        ("$uploaded", uploaded ? 1 : 0));

    /// <summary>Entries this clone recorded for the mapping: what the mapping branch must hold.</summary>
    /// <remarks>uploaded: 0 found through the mapping, 1 recorded by this clone, 2 recorded and pushed to the mapping branch.</remarks>
    public List<MappingEntry> Uploaded(bool notYetWritten = false) =>
        Select($"SELECT oid, size, version_id, key FROM objects WHERE store = $store AND uploaded {(notYetWritten ? "= 1" : ">= 1")}");

    /// <summary>Remembers that the mapping branch has these entries, so the next push does not send them again.</summary>
    public void MarkWritten(IEnumerable<MappingEntry> entries) => database.InTransaction(sql =>
    {
        sql.ExecuteEach("UPDATE objects SET uploaded = 2 WHERE store = $store AND oid = $oid AND version_id = $v AND key = $key AND uploaded = 1",
            entries, e => [("$store", storeId), ("$oid", e.Oid), ("$v", e.VersionId), ("$key", e.Key)]);
        return true;
    });

    /// <summary>Marks entries as this clone's, not yet on the mapping branch (rebuild --write), so the next publish sends them.</summary>
    public void MarkPending(IEnumerable<MappingEntry> entries) => database.InTransaction(sql =>
    {
        sql.ExecuteEach("UPDATE objects SET uploaded = 1 WHERE store = $store AND oid = $oid AND version_id = $v AND key = $key",
            entries, e => [("$store", storeId), ("$oid", e.Oid), ("$v", e.VersionId), ("$key", e.Key)]);
        return true;
    });

    public void Remove(string oid) =>
        database.Run(sql => sql.Execute("DELETE FROM objects WHERE store = $store AND oid = $oid", ("$store", storeId), ("$oid", oid)));

    public List<MappingEntry> All() => Select("SELECT oid, size, version_id, key FROM objects WHERE store = $store");

    private List<MappingEntry> Select(string query) => database.Run(sql => sql.Query(query, MappingEntry.FromRow, ("$store", storeId)));
}
