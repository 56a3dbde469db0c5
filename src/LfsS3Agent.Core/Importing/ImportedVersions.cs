using LfsS3Agent.Core.LocalState;

namespace LfsS3Agent.Core.Importing;

/// <summary>
/// The versions <c>import</c> has looked at in one store (table <c>bucket_imports</c>): imported, found to be git's own
/// (OID metadata), or found to hold what the commit already has. A version never changes, so none is looked at twice.
/// </summary>
public sealed class ImportedVersions(LocalDatabase database, string storeId)
{
    public HashSet<(string Key, string VersionId)> All() => database.Run(sql => sql.Query(
        "SELECT key, version_id FROM bucket_imports WHERE store = $store", r => (r.GetString(0), r.GetString(1)), ("$store", storeId))).ToHashSet();

    public void Add(IEnumerable<(string Key, string VersionId)> versions) => database.InTransaction(sql =>
    {
        sql.ExecuteEach("INSERT OR IGNORE INTO bucket_imports(store, key, version_id) VALUES($store, $key, $v)",
            versions, v => [("$store", storeId), ("$key", v.Key), ("$v", v.VersionId)]);
        return true;
    });
}
