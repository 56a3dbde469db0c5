using Microsoft.Data.Sqlite;

namespace LfsS3Agent.Core.LocalState;

/// <summary>
/// The tables of the local database as steps, each bringing the file to a <c>PRAGMA user_version</c>: a new table is
/// one more step at the end (and its table class beside the code that uses it). A file at an older step is upgraded in
/// place, keeping its rows (uploads not yet in the mapping among them); a file from before the oldest step, or from
/// an unknown newer release, is dropped and rebuilt, which loses only what the bucket and the mapping can tell again.
/// </summary>
internal static class Schema
{
    private sealed record Step(int Version, string Sql);

    private static readonly Step[] Steps =
    [
        // objects: verified OID -> version per store (uploaded: 0 found elsewhere, 1 pushed from this clone, 2 pushed
        // and written to the mapping); paths and scanned_tips: the path index of git history.
        new(2, """
            CREATE TABLE objects(
                store TEXT NOT NULL, oid TEXT NOT NULL, size INTEGER NOT NULL,
                version_id TEXT NOT NULL, key TEXT NOT NULL, uploaded INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY(store, oid));
            CREATE TABLE paths(
                seq INTEGER PRIMARY KEY AUTOINCREMENT, oid TEXT NOT NULL, size INTEGER NOT NULL, path TEXT NOT NULL,
                UNIQUE(oid, path));
            CREATE TABLE scanned_tips(commit_id TEXT PRIMARY KEY);
            """),
        // hints/imported: the lines of each committed mapping blob, imported once per blob id; listings/listed: folder
        // listings one process made, shared with the others of the same push.
        new(3, """
            CREATE TABLE hints(blob TEXT NOT NULL, oid TEXT NOT NULL, size INTEGER NOT NULL, version_id TEXT NOT NULL, key TEXT NOT NULL);
            CREATE INDEX hints_oid ON hints(oid);
            CREATE TABLE imported(blob TEXT PRIMARY KEY);
            CREATE TABLE listings(store TEXT NOT NULL, folder TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY(store, folder));
            CREATE TABLE listed(store TEXT NOT NULL, folder TEXT NOT NULL, key TEXT NOT NULL, version_id TEXT NOT NULL,
                size INTEGER NOT NULL, latest INTEGER NOT NULL);
            CREATE INDEX listed_folder ON listed(store, folder);
            """),
        // transfers: one row per transfer the agent answered, for `usage --transfers`.
        new(4, """
            CREATE TABLE transfers(at INTEGER NOT NULL, direction TEXT NOT NULL, bytes INTEGER NOT NULL, millis INTEGER NOT NULL, code INTEGER NOT NULL);
            CREATE INDEX transfers_at ON transfers(at);
            """),
        // The mapping moved from the work tree to its own branch: what pushes wrote into the work tree (uploaded = 2)
        // goes to the branch with the next push, so each clone's history of uploads seeds it.
        new(5, "UPDATE objects SET uploaded = 1 WHERE uploaded = 2;"),
        // bucket_imports: versions `import` has looked at (written outside git and imported, or found to be git's), so
        // the next import neither downloads nor asks about them again.
        new(7, """
            CREATE TABLE bucket_imports(store TEXT NOT NULL, key TEXT NOT NULL, version_id TEXT NOT NULL, PRIMARY KEY(store, key, version_id));
            """),
    ];

    /// <summary>The version a file has once every step ran.</summary>
    internal static int Current => Steps[^1].Version;

    /// <summary>Brings the file to <see cref="Current"/>, under the write lock so that one process of many does it.</summary>
    internal static void Migrate(SqliteConnection connection)
    {
        if (Version(new Sql(connection, null)) == Current)
        {
            return;
        }

        using var transaction = connection.BeginTransaction(deferred: false);
        var sql = new Sql(connection, transaction);
        var found = Version(sql);
        if (found == Current)
        {
            return;
        }

        var upgradable = found >= Steps[0].Version && found < Current;
        if (!upgradable)
        {
            foreach (var table in sql.Query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'", r => r.GetString(0)))
            {
                sql.Execute($"DROP TABLE \"{table}\"");
            }
        }

        foreach (var step in Steps.Where(s => !upgradable || s.Version > found))
        {
            sql.Execute(step.Sql);
        }

        sql.Execute($"PRAGMA user_version = {Current}");
        transaction.Commit();
    }

    private static int Version(Sql sql) => Convert.ToInt32(sql.Scalar("PRAGMA user_version"), System.Globalization.CultureInfo.InvariantCulture);
}
