using Microsoft.Data.Sqlite;

namespace LfsS3Agent.Core.Mapping;

/// <summary>One transfer the agent answered: when, which way, bytes moved, how long, and the error code (0: success).</summary>
public sealed record TransferRecord(DateTimeOffset At, string Direction, long Bytes, TimeSpan Duration, int Code);

/// <summary>One listed version, as the cache keeps it.</summary>
public sealed record StoredVersionRow(string Key, string VersionId, long Size, bool IsLatest);

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
    private readonly string _directory;

    /// <summary>A lock file next to the database, for work the processes of this clone take turns at.</summary>
    public string LockPath(string name) => Path.Combine(_directory, name);

    public MappingCache(string databasePath, string storeId)
    {
        _store = storeId;
        _directory = Path.GetDirectoryName(Path.GetFullPath(databasePath))!;
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
            var found = Convert.ToInt32(version.ExecuteScalar());
            if (found is 2 or 3)
            {
                // Versions 2 and 3 lack only newer tables (imported mapping, shared listings, transfers): uploads are kept.
                using var add = Command((found == 2 ? AddedInVersion3 : "") + AddedInVersion4 + $"PRAGMA user_version = {SchemaVersion};");
                add.Transaction = transaction;
                add.ExecuteNonQuery();
            }
            else if (found != SchemaVersion)
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
                    DROP TABLE IF EXISTS hints; DROP TABLE IF EXISTS imported; DROP TABLE IF EXISTS listed; DROP TABLE IF EXISTS listings;
                    DROP TABLE IF EXISTS transfers;
                    {AddedInVersion3}
                    {AddedInVersion4}
                    PRAGMA user_version = {SchemaVersion};
                    """);
                create.Transaction = transaction;
                create.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }

    private const int SchemaVersion = 4;

    /// <summary>transfers: one row per transfer the agent answered, for <c>usage --transfers</c>.</summary>
    private const string AddedInVersion4 = """
        CREATE TABLE transfers(at INTEGER NOT NULL, direction TEXT NOT NULL, bytes INTEGER NOT NULL, millis INTEGER NOT NULL, code INTEGER NOT NULL);
        CREATE INDEX transfers_at ON transfers(at);
        """;

    /// <summary>
    /// hints: the lines of each committed mapping blob, imported once per git blob id (imported), so eight processes
    /// and later commands answer from an index instead of re-parsing text. listings/listed: folder listings one
    /// process made, shared with the others of the same push.
    /// </summary>
    private const string AddedInVersion3 = """
        CREATE TABLE hints(blob TEXT NOT NULL, oid TEXT NOT NULL, size INTEGER NOT NULL, version_id TEXT NOT NULL, key TEXT NOT NULL);
        CREATE INDEX hints_oid ON hints(oid);
        CREATE TABLE imported(blob TEXT PRIMARY KEY);
        CREATE TABLE listings(store TEXT NOT NULL, folder TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY(store, folder));
        CREATE TABLE listed(store TEXT NOT NULL, folder TEXT NOT NULL, key TEXT NOT NULL, version_id TEXT NOT NULL,
            size INTEGER NOT NULL, latest INTEGER NOT NULL);
        CREATE INDEX listed_folder ON listed(store, folder);
        """;

    /// <summary>Imported mapping blobs kept before the table is cleared (each push makes new shard blobs).</summary>
    private const int MaxImportedBlobs = 2048;

    /// <summary>Appends one transfer's outcome (code 0: success).</summary>
    public void AddTransfer(TransferRecord record)
    {
        using var scope = _gate.EnterScope();
        using var command = Command("INSERT INTO transfers(at, direction, bytes, millis, code) VALUES($at, $direction, $bytes, $millis, $code)",
            ("$at", record.At.ToUnixTimeSeconds()), ("$direction", record.Direction), ("$bytes", record.Bytes),
            ("$millis", (long)record.Duration.TotalMilliseconds), ("$code", record.Code));
        command.ExecuteNonQuery();
    }

    /// <summary>The transfers since a time, oldest first.</summary>
    public List<TransferRecord> Transfers(DateTimeOffset since)
    {
        using var scope = _gate.EnterScope();
        using var command = Command("SELECT at, direction, bytes, millis, code FROM transfers WHERE at >= $since ORDER BY at", ("$since", since.ToUnixTimeSeconds()));
        using var reader = command.ExecuteReader();
        var result = new List<TransferRecord>();
        while (reader.Read())
        {
            result.Add(new TransferRecord(DateTimeOffset.FromUnixTimeSeconds(reader.GetInt64(0)), reader.GetString(1), reader.GetInt64(2),
                TimeSpan.FromMilliseconds(reader.GetInt64(3)), reader.GetInt32(4)));
        }

        return result;
    }

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
                uploaded = CASE WHEN objects.version_id = excluded.version_id AND objects.key = excluded.key
                    THEN max(objects.uploaded, excluded.uploaded) ELSE excluded.uploaded END
            """, ("$store", _store), ("$oid", entry.Oid), ("$size", entry.Size), ("$version", entry.VersionId), ("$key", entry.Key),
            ("$uploaded", uploaded ? 1 : 0));
        command.ExecuteNonQuery();
    }

    /// <summary>Entries this clone pushed (or found already stored while pushing): what the mapping file must hold.</summary>
    /// <remarks>uploaded: 0 found elsewhere, 1 pushed from this clone, 2 pushed and already written to the mapping file.</remarks>
    public List<MappingEntry> Uploaded(bool notYetWritten = false) => Select(
        $"SELECT oid, size, version_id, key FROM objects WHERE store = $store AND uploaded {(notYetWritten ? "= 1" : ">= 1")}");

    /// <summary>Remembers that these entries are in the mapping file, so the next push does not merge them again.</summary>
    public void MarkWritten(IEnumerable<MappingEntry> entries)
    {
        using var scope = _gate.EnterScope();
        using var transaction = _connection.BeginTransaction();
        using var update = Command("UPDATE objects SET uploaded = 2 WHERE store = $store AND oid = $oid AND version_id = $v AND key = $key AND uploaded = 1",
            ("$store", _store), ("$oid", ""), ("$v", ""), ("$key", ""));
        update.Transaction = transaction;
        foreach (var entry in entries)
        {
            update.Parameters["$oid"].Value = entry.Oid;
            update.Parameters["$v"].Value = entry.VersionId;
            update.Parameters["$key"].Value = entry.Key;
            update.ExecuteNonQuery();
        }

        transaction.Commit();
    }

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

    /// <summary>Whether the lines of this mapping blob are in the hints table.</summary>
    public bool IsImported(string blob)
    {
        using var scope = _gate.EnterScope();
        using var command = Command("SELECT 1 FROM imported WHERE blob = $blob", ("$blob", blob));
        return command.ExecuteScalar() is not null;
    }

    /// <summary>
    /// Imports one mapping blob's entries, streamed, unless another process did meanwhile (an immediate transaction
    /// makes check and insert one step). Returns false when it was already there.
    /// </summary>
    public bool Import(string blob, IEnumerable<MappingEntry> entries)
    {
        using var scope = _gate.EnterScope();
        using var transaction = _connection.BeginTransaction(deferred: false);
        using (var check = Command("SELECT 1 FROM imported WHERE blob = $blob", ("$blob", blob)))
        {
            check.Transaction = transaction;
            if (check.ExecuteScalar() is not null)
            {
                return false;
            }
        }

        using (var count = Command("SELECT count(*) FROM imported"))
        {
            count.Transaction = transaction;
            if (Convert.ToInt32(count.ExecuteScalar()) >= MaxImportedBlobs)
            {
                using var clear = Command("DELETE FROM hints; DELETE FROM imported;");
                clear.Transaction = transaction;
                clear.ExecuteNonQuery();
            }
        }

        using (var insert = Command("INSERT INTO hints(blob, oid, size, version_id, key) VALUES($blob, $oid, $size, $version, $key)",
                   ("$blob", blob), ("$oid", ""), ("$size", 0L), ("$version", ""), ("$key", "")))
        {
            insert.Transaction = transaction;
            foreach (var entry in entries)
            {
                insert.Parameters["$oid"].Value = entry.Oid;
                insert.Parameters["$size"].Value = entry.Size;
                insert.Parameters["$version"].Value = entry.VersionId;
                insert.Parameters["$key"].Value = entry.Key;
                insert.ExecuteNonQuery();
            }
        }

        using (var done = Command("INSERT INTO imported(blob) VALUES($blob)", ("$blob", blob)))
        {
            done.Transaction = transaction;
            done.ExecuteNonQuery();
        }

        transaction.Commit();
        return true;
    }

    /// <summary>The entries for an OID in these imported blobs, each once, in the order of the files.</summary>
    public List<MappingEntry> Hints(string oid, IReadOnlyCollection<string> blobs)
    {
        using var scope = _gate.EnterScope();
        var names = blobs.Select((_, i) => "$b" + i).ToList();
        using var command = Command($"SELECT oid, size, version_id, key FROM hints WHERE oid = $oid AND blob IN ({string.Join(", ", names)}) GROUP BY oid, size, version_id, key ORDER BY min(rowid)",
            [("$oid", oid), .. blobs.Select((b, i) => (names[i], (object)b))]);
        using var reader = command.ExecuteReader();
        var result = new List<MappingEntry>();
        while (reader.Read())
        {
            result.Add(new MappingEntry(reader.GetString(0), reader.GetInt64(1), reader.GetString(2), reader.GetString(3)));
        }

        return result;
    }

    /// <summary>A folder listing some process of this clone made within <paramref name="maxAge"/>, or null.</summary>
    public List<StoredVersionRow>? Listing(string folder, TimeSpan maxAge)
    {
        using var scope = _gate.EnterScope();
        using (var when = Command("SELECT at FROM listings WHERE store = $store AND folder = $folder", ("$store", _store), ("$folder", folder)))
        {
            if (when.ExecuteScalar() is not long at || DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - at > maxAge.TotalMilliseconds)
            {
                return null;
            }
        }

        using var command = Command("SELECT key, version_id, size, latest FROM listed WHERE store = $store AND folder = $folder",
            ("$store", _store), ("$folder", folder));
        using var reader = command.ExecuteReader();
        var result = new List<StoredVersionRow>();
        while (reader.Read())
        {
            result.Add(new StoredVersionRow(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetInt64(3) != 0));
        }

        return result;
    }

    /// <summary>Shares a folder listing with the other processes (replacing an older one).</summary>
    public void PutListing(string folder, IEnumerable<StoredVersionRow> versions)
    {
        using var scope = _gate.EnterScope();
        using var transaction = _connection.BeginTransaction(deferred: false);
        using (var clear = Command("DELETE FROM listed WHERE store = $store AND folder = $folder; "
                   + "INSERT OR REPLACE INTO listings(store, folder, at) VALUES($store, $folder, $at)",
                   ("$store", _store), ("$folder", folder), ("$at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())))
        {
            clear.Transaction = transaction;
            clear.ExecuteNonQuery();
        }

        using (var insert = Command("INSERT INTO listed(store, folder, key, version_id, size, latest) VALUES($store, $folder, $key, $v, $size, $latest)",
                   ("$store", _store), ("$folder", folder), ("$key", ""), ("$v", ""), ("$size", 0L), ("$latest", 0)))
        {
            insert.Transaction = transaction;
            foreach (var row in versions)
            {
                insert.Parameters["$key"].Value = row.Key;
                insert.Parameters["$v"].Value = row.VersionId;
                insert.Parameters["$size"].Value = row.Size;
                insert.Parameters["$latest"].Value = row.IsLatest ? 1 : 0;
                insert.ExecuteNonQuery();
            }
        }

        transaction.Commit();
    }

    /// <summary>Adds a version this process wrote to the shared listing of its folder, if there is one, so the others see it.</summary>
    public void AddListed(string folder, StoredVersionRow row)
    {
        using var scope = _gate.EnterScope();
        using var command = Command(
            "INSERT INTO listed(store, folder, key, version_id, size, latest) SELECT $store, $folder, $key, $v, $size, 1 "
            + "WHERE EXISTS (SELECT 1 FROM listings WHERE store = $store AND folder = $folder)",
            ("$store", _store), ("$folder", folder), ("$key", row.Key), ("$v", row.VersionId), ("$size", row.Size));
        command.ExecuteNonQuery();
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
