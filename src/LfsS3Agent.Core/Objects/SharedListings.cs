using LfsS3Agent.Core.LocalState;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Core.Objects;

/// <summary>
/// Folder listings one agent process made, shared with the other processes of the same push (tables <c>listings</c>
/// and <c>listed</c>), for one store.
/// </summary>
public sealed class SharedListings(LocalDatabase database, string storeId)
{
    /// <summary>A lock file next to the database, for a listing the processes take turns at.</summary>
    public string LockPath(string name) => database.LockPath(name);

    /// <summary>A folder listing some process of this clone made within <paramref name="maxAge"/>, or null.</summary>
    public List<StoredVersion>? Find(string folder, TimeSpan maxAge) => database.Run(sql =>
    {
        if (sql.Scalar("SELECT at FROM listings WHERE store = $store AND folder = $folder", ("$store", storeId), ("$folder", folder)) is not long at
            || DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - at > maxAge.TotalMilliseconds)
        {
            return null;
        }

        return sql.Query("SELECT key, version_id, size, latest FROM listed WHERE store = $store AND folder = $folder",
            r => new StoredVersion(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3) != 0), ("$store", storeId), ("$folder", folder));
    });

    /// <summary>Shares a folder listing with the other processes (replacing an older one).</summary>
    public void Put(string folder, IEnumerable<StoredVersion> versions) => database.InTransaction(sql =>
    {
        sql.Execute("DELETE FROM listed WHERE store = $store AND folder = $folder; INSERT OR REPLACE INTO listings(store, folder, at) VALUES($store, $folder, $at)",
            ("$store", storeId), ("$folder", folder), ("$at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        sql.ExecuteEach("INSERT INTO listed(store, folder, key, version_id, size, latest) VALUES($store, $folder, $key, $v, $size, $latest)",
            versions, v => [("$store", storeId), ("$folder", folder), ("$key", v.Key), ("$v", v.VersionId), ("$size", v.Size), ("$latest", v.IsLatest ? 1 : 0)]);
        return true;
    });

    /// <summary>
    /// Adds a version this process wrote to the shared listing of its folder, if there is one, so the others see it: with
    /// the database's next batch, since a listing without it only costs another process a look at the store.
    /// </summary>
    public void Add(string folder, StoredVersion version) => database.Defer(sql => sql.Execute(
        "INSERT INTO listed(store, folder, key, version_id, size, latest) SELECT $store, $folder, $key, $v, $size, 1 "
        + "WHERE EXISTS (SELECT 1 FROM listings WHERE store = $store AND folder = $folder)",
        ("$store", storeId), ("$folder", folder), ("$key", version.Key), ("$v", version.VersionId), ("$size", version.Size)));
}
