using Microsoft.Data.Sqlite;

namespace LfsS3Agent.Core.Mapping;

/// <summary>
/// The local SQLite cache in the git directory (never committed): verified OID -> version entries per
/// store, OID -> path from git history, and which commits the path scan has covered. WAL mode and a busy
/// timeout let the eight agent processes of one transfer write at once without losing entries.
/// </summary>
public sealed class MappingCache : IDisposable
{
    private readonly SqliteConnection _connection;

    public MappingCache(string databasePath)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(databasePath)!);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Pooling = false,
            DefaultTimeout = 60,
        }.ToString());
        _connection.Open();
        Execute("PRAGMA busy_timeout = 60000;");
        Execute("PRAGMA journal_mode = WAL;");
        Execute("PRAGMA synchronous = NORMAL;");
        Execute("""
            CREATE TABLE IF NOT EXISTS objects(
                store TEXT NOT NULL, oid TEXT NOT NULL, size INTEGER NOT NULL,
                version_id TEXT NOT NULL, key TEXT NOT NULL,
                PRIMARY KEY(store, oid));
            CREATE TABLE IF NOT EXISTS paths(
                seq INTEGER PRIMARY KEY AUTOINCREMENT, oid TEXT NOT NULL, path TEXT NOT NULL,
                UNIQUE(oid, path));
            CREATE TABLE IF NOT EXISTS scanned_tips(commit_id TEXT PRIMARY KEY);
            """);
    }

    public static string DefaultPath(string stateDir) => Path.Combine(stateDir, "cache.db");

    public MappingEntry? Find(string store, string oid)
    {
        using var command = Command("SELECT size, version_id, key FROM objects WHERE store = $store AND oid = $oid",
            ("$store", store), ("$oid", oid));
        using var reader = command.ExecuteReader();
        return reader.Read() ? new MappingEntry(oid, reader.GetInt64(0), reader.GetString(1), reader.GetString(2)) : null;
    }

    public void Put(string store, MappingEntry entry)
    {
        using var command = Command("""
            INSERT INTO objects(store, oid, size, version_id, key) VALUES($store, $oid, $size, $version, $key)
            ON CONFLICT(store, oid) DO UPDATE SET size = excluded.size, version_id = excluded.version_id, key = excluded.key
            """, ("$store", store), ("$oid", entry.Oid), ("$size", entry.Size), ("$version", entry.VersionId), ("$key", entry.Key));
        command.ExecuteNonQuery();
    }

    public void Remove(string store, string oid)
    {
        using var command = Command("DELETE FROM objects WHERE store = $store AND oid = $oid", ("$store", store), ("$oid", oid));
        command.ExecuteNonQuery();
    }

    public List<MappingEntry> All(string store)
    {
        using var command = Command("SELECT oid, size, version_id, key FROM objects WHERE store = $store", ("$store", store));
        using var reader = command.ExecuteReader();
        var result = new List<MappingEntry>();
        while (reader.Read())
        {
            result.Add(new MappingEntry(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3)));
        }

        return result;
    }

    /// <summary>The first path recorded for the OID (the rule for an object at several paths).</summary>
    public string? FindPath(string oid)
    {
        using var command = Command("SELECT path FROM paths WHERE oid = $oid ORDER BY seq LIMIT 1", ("$oid", oid));
        return command.ExecuteScalar() as string;
    }

    public IReadOnlySet<string> ScannedTips()
    {
        using var command = Command("SELECT commit_id FROM scanned_tips");
        using var reader = command.ExecuteReader();
        var result = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            result.Add(reader.GetString(0));
        }

        return result;
    }

    /// <summary>Records the paths found and the tips they were found from, in one transaction.</summary>
    public void AddScan(IEnumerable<(string Oid, string Path)> paths, IEnumerable<string> tips)
    {
        using var transaction = _connection.BeginTransaction();
        using (var insert = Command("INSERT OR IGNORE INTO paths(oid, path) VALUES($oid, $path)", ("$oid", ""), ("$path", "")))
        {
            insert.Transaction = transaction;
            foreach (var (oid, path) in paths)
            {
                insert.Parameters["$oid"].Value = oid;
                insert.Parameters["$path"].Value = path;
                insert.ExecuteNonQuery();
            }
        }

        using (var clear = Command("DELETE FROM scanned_tips"))
        {
            clear.Transaction = transaction;
            clear.ExecuteNonQuery();
        }

        using (var tip = Command("INSERT OR IGNORE INTO scanned_tips(commit_id) VALUES($c)", ("$c", "")))
        {
            tip.Transaction = transaction;
            foreach (var commit in tips)
            {
                tip.Parameters["$c"].Value = commit;
                tip.ExecuteNonQuery();
            }
        }

        transaction.Commit();
    }

    public void Dispose() => _connection.Dispose();

    private void Execute(string sql)
    {
        using var command = Command(sql);
        command.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql, params (string Name, object Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}
