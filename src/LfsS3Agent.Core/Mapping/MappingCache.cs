using Microsoft.Data.Sqlite;

namespace LfsS3Agent.Core.Mapping;

/// <summary>
/// The local SQLite cache in the git directory (never committed): verified OID -> version entries per
/// store, OID -> path from git history, and which commits the path scan has covered. WAL mode and a busy
/// timeout let the eight agent processes of one transfer write at once without losing entries. One instance
/// answers for one store; calls are serialised, so verbs may use it from parallel work.
/// </summary>
public sealed class MappingCache : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();
    private readonly string _store;

    public MappingCache(string databasePath, string storeId)
    {
        _store = storeId;
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
        using (var transaction = _connection.BeginTransaction())
        {
            using var version = Command("PRAGMA user_version");
            version.Transaction = transaction;
            if (Convert.ToInt32(version.ExecuteScalar()) != SchemaVersion)
            {
                // A cache: an older layout is simply rebuilt (uploads are re-found in the bucket or the mapping).
                using var create = Command($"""
                    DROP TABLE IF EXISTS objects; DROP TABLE IF EXISTS paths; DROP TABLE IF EXISTS scanned_tips;
                    CREATE TABLE objects(
                        store TEXT NOT NULL, oid TEXT NOT NULL, size INTEGER NOT NULL,
                        version_id TEXT NOT NULL, key TEXT NOT NULL, uploaded INTEGER NOT NULL DEFAULT 0,
                        PRIMARY KEY(store, oid));
                    CREATE TABLE paths(
                        seq INTEGER PRIMARY KEY AUTOINCREMENT, oid TEXT NOT NULL, size INTEGER NOT NULL, path TEXT NOT NULL,
                        UNIQUE(oid, path));
                    CREATE TABLE scanned_tips(commit_id TEXT PRIMARY KEY);
                    PRAGMA user_version = {SchemaVersion};
                    """);
                create.Transaction = transaction;
                create.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }

    private const int SchemaVersion = 2;

    public static string DefaultPath(string stateDir) => Path.Combine(stateDir, "cache.db");

    public MappingEntry? Find(string oid)
    {
        using var scope = _gate.EnterScope();
        using var command = Command("SELECT size, version_id, key FROM objects WHERE store = $store AND oid = $oid",
            ("$store", _store), ("$oid", oid));
        using var reader = command.ExecuteReader();
        return reader.Read() ? new MappingEntry(oid, reader.GetInt64(0), reader.GetString(1), reader.GetString(2)) : null;
    }

    /// <summary>Records a verified entry; <paramref name="uploaded"/> marks entries that belong in the mapping file.</summary>
    public void Put(MappingEntry entry, bool uploaded = false)
    {
        using var scope = _gate.EnterScope();
        using var command = Command("""
            INSERT INTO objects(store, oid, size, version_id, key, uploaded) VALUES($store, $oid, $size, $version, $key, $uploaded)
            ON CONFLICT(store, oid) DO UPDATE SET size = excluded.size, version_id = excluded.version_id, key = excluded.key,
                uploaded = max(uploaded, excluded.uploaded)
            """, ("$store", _store), ("$oid", entry.Oid), ("$size", entry.Size), ("$version", entry.VersionId), ("$key", entry.Key),
            ("$uploaded", uploaded ? 1 : 0));
        command.ExecuteNonQuery();
    }

    /// <summary>Entries this clone pushed (or found already stored while pushing): what the mapping file must hold.</summary>
    public List<MappingEntry> Uploaded() => Select("SELECT oid, size, version_id, key FROM objects WHERE store = $store AND uploaded = 1");

    public void Remove(string oid)
    {
        using var scope = _gate.EnterScope();
        using var command = Command("DELETE FROM objects WHERE store = $store AND oid = $oid", ("$store", _store), ("$oid", oid));
        command.ExecuteNonQuery();
    }

    public List<MappingEntry> All() => Select("SELECT oid, size, version_id, key FROM objects WHERE store = $store");

    private List<MappingEntry> Select(string sql)
    {
        using var scope = _gate.EnterScope();
        using var command = Command(sql, ("$store", _store));
        using var reader = command.ExecuteReader();
        var result = new List<MappingEntry>();
        while (reader.Read())
        {
            result.Add(new MappingEntry(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3)));
        }

        return result;
    }

    /// <summary>Every path recorded for the OID, the first recorded (the upload path) first.</summary>
    public List<string> FindPaths(string oid)
    {
        using var scope = _gate.EnterScope();
        using var command = Command("SELECT path FROM paths WHERE oid = $oid ORDER BY seq", ("$oid", oid));
        using var reader = command.ExecuteReader();
        var result = new List<string>();
        while (reader.Read())
        {
            result.Add(reader.GetString(0));
        }

        return result;
    }

    /// <summary>Every pointer found in history: OID, size and its paths (upload path first).</summary>
    public List<(string Oid, long Size, List<string> Paths)> AllPointers()
    {
        using var scope = _gate.EnterScope();
        using var command = Command("SELECT oid, size, path FROM paths ORDER BY seq");
        using var reader = command.ExecuteReader();
        var byOid = new Dictionary<string, (string, long, List<string>)>(StringComparer.Ordinal);
        while (reader.Read())
        {
            var oid = reader.GetString(0);
            if (!byOid.TryGetValue(oid, out var entry))
            {
                byOid[oid] = entry = (oid, reader.GetInt64(1), []);
            }

            entry.Item3.Add(reader.GetString(2));
        }

        return [.. byOid.Values];
    }

    public IReadOnlySet<string> ScannedTips()
    {
        using var scope = _gate.EnterScope();
        using var command = Command("SELECT commit_id FROM scanned_tips");
        using var reader = command.ExecuteReader();
        var result = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            result.Add(reader.GetString(0));
        }

        return result;
    }

    /// <summary>
    /// Records the paths found and the tips they were found from, in one transaction; <paramref name="replace"/>
    /// drops every path recorded before (a full rescan after history was rewritten).
    /// </summary>
    public void AddScan(IEnumerable<(string Oid, long Size, string Path)> paths, IEnumerable<string> tips, bool replace = false)
    {
        using var scope = _gate.EnterScope();
        using var transaction = _connection.BeginTransaction();
        if (replace)
        {
            using var drop = Command("DELETE FROM paths");
            drop.Transaction = transaction;
            drop.ExecuteNonQuery();
        }

        using (var insert = Command("INSERT OR IGNORE INTO paths(oid, size, path) VALUES($oid, $size, $path)", ("$oid", ""), ("$size", 0L), ("$path", "")))
        {
            insert.Transaction = transaction;
            foreach (var (oid, size, path) in paths)
            {
                insert.Parameters["$oid"].Value = oid;
                insert.Parameters["$size"].Value = size;
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
