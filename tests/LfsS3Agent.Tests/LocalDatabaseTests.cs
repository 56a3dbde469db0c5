using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.LocalState;
using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Core.Objects;
using LfsS3Agent.Core.Transfer;
using Microsoft.Data.Sqlite;

namespace LfsS3Agent.Tests;

/// <summary>The clone's local database on real SQLite: its tables, eight writers at once, and files made by earlier releases.</summary>
public sealed class LocalDatabaseTests
{
    private static string NewPath() => Path.Combine(Directory.CreateTempSubdirectory("lfs-s3-db-").FullName, "cache.db");

    [Fact]
    public void Put_ThenFind_ReturnsEntryForThatStoreOnly()
    {
        using var database = new LocalDatabase(NewPath());
        var cache = new ObjectCache(database, "store-1");
        var other = new ObjectCache(database, "store-2");
        var entry = new MappingEntry(new string('c', 64), 42, "ver", "p/k");

        cache.Put(entry);

        Assert.Equal(entry, cache.Find(entry.Oid));
        Assert.Null(other.Find(entry.Oid));
    }

    [Fact]
    public void Put_FromEightConnectionsAtOnce_KeepsEveryEntry()
    {
        var db = NewPath();
        using (new LocalDatabase(db))
        {
        }

        Parallel.For(0, 8, worker =>
        {
            using var database = new LocalDatabase(db);
            var cache = new ObjectCache(database, "s");
            for (var i = 0; i < 50; i++)
            {
                cache.Put(new MappingEntry((worker * 1000 + i).ToString("x64"), i, $"v{worker}-{i}", $"k/{worker}/{i}"));
            }
        });

        using var check = new LocalDatabase(db);
        Assert.Equal(400, new ObjectCache(check, "s").All().Count);
    }

    [Fact]
    public void Open_EightProcessesOnANewFile_EachFindsTheTables()
    {
        var db = NewPath();

        Parallel.For(0, 8, worker =>
        {
            using var database = new LocalDatabase(db);
            new TransferLog(database).Add(new TransferRecord(DateTimeOffset.UtcNow, "upload", worker, TimeSpan.Zero, 0));
        });

        using var check = new LocalDatabase(db);
        Assert.Equal(8, new TransferLog(check).Since(DateTimeOffset.UtcNow.AddMinutes(-1)).Count);
    }

    [Fact]
    public void FindPath_OidAtSeveralPaths_ReturnsFirstRecorded()
    {
        using var database = new LocalDatabase(NewPath());
        var table = new PathIndexTable(database);
        var oid = new string('d', 64);

        table.AddScan([(oid, 5L, "first/path.bin"), (oid, 5L, "second/path.bin")], ["c1"]);

        Assert.Equal(["first/path.bin", "second/path.bin"], table.FindPaths(oid));
        Assert.Equal(["c1"], table.ScannedTips());
    }

    [Fact]
    public void MarkWritten_LeavesOnlyUnwrittenUploads_UntilTheVersionChanges()
    {
        using var database = new LocalDatabase(NewPath());
        var cache = new ObjectCache(database, "s");
        var written = new MappingEntry(new string('a', 64), 1, "v1", "p/a");
        var pending = new MappingEntry(new string('b', 64), 2, "v2", "p/b");
        cache.Put(written, uploaded: true);
        cache.Put(pending, uploaded: true);

        cache.MarkWritten([written]);

        Assert.Equal([pending], cache.Uploaded(notYetWritten: true));
        Assert.Equal(2, cache.Uploaded().Count);

        // Same entry recorded again: still written. A new version (a re-push after the old one was deleted): not yet.
        cache.Put(written, uploaded: true);
        Assert.Equal([pending], cache.Uploaded(notYetWritten: true));
        cache.Put(written with { VersionId = "v3" }, uploaded: true);
        Assert.Equal(2, cache.Uploaded(notYetWritten: true).Count);
    }

    [Fact]
    public void Defer_WrittenWithTheNextWriteOrOnDispose_NotByAWriteThatRollsBack()
    {
        var db = NewPath();
        using var reader = new LocalDatabase(db);
        using (var writer = new LocalDatabase(db))
        {
            new TransferLog(writer).Add(new TransferRecord(DateTimeOffset.UtcNow, "upload", 1, TimeSpan.Zero, 0));
            Assert.Empty(new TransferLog(reader).Since(DateTimeOffset.FromUnixTimeSeconds(0)));

            // A check that writes nothing leaves the queue for the next write.
            Assert.False(writer.InTransaction(_ => false));
            Assert.Empty(new TransferLog(reader).Since(DateTimeOffset.FromUnixTimeSeconds(0)));

            new ObjectCache(writer, "s").Put(new MappingEntry("aa", 1, "v1", "p/a"), uploaded: true);
            Assert.Single(new TransferLog(reader).Since(DateTimeOffset.FromUnixTimeSeconds(0)));

            new ObjectCache(writer, "s").Remember(new MappingEntry("bb", 2, "v2", "p/b"));
            new TransferLog(writer).Add(new TransferRecord(DateTimeOffset.UtcNow, "download", 2, TimeSpan.Zero, 0));
            Assert.Null(new ObjectCache(reader, "s").Find("bb"));
        }

        Assert.Equal(2, new TransferLog(reader).Since(DateTimeOffset.FromUnixTimeSeconds(0)).Count);
        Assert.Equal(new MappingEntry("bb", 2, "v2", "p/b"), new ObjectCache(reader, "s").Find("bb"));
        Assert.Equal(["aa"], new ObjectCache(reader, "s").Uploaded().Select(e => e.Oid));
    }

    [Fact]
    public void Statements_KeptPrepared_ReadWhatOthersWroteHoldNoSnapshotAndManyTextsStillRun()
    {
        var db = NewPath();
        using var reader = new LocalDatabase(db);
        using var writer = new LocalDatabase(db);
        var cache = new ObjectCache(reader, "s");
        for (var i = 0; i < 3; i++)
        {
            var oid = i.ToString("x64");
            Assert.Null(cache.Find(oid));
            new ObjectCache(writer, "s").Put(new MappingEntry(oid, i, "v", "p/" + i));
            Assert.Equal(i, cache.Find(oid)!.Size);
        }

        // A kept statement left open would pin the reader to an old snapshot, and a full checkpoint would wait on it.
        Assert.Equal(0L, writer.Run(sql => sql.Query("PRAGMA wal_checkpoint(TRUNCATE)", r => r.GetInt64(0)))[0]);
        // More distinct texts than a connection keeps (a list of N blobs is one text per N): the rest run once each.
        for (var i = 0; i < 100; i++)
        {
            Assert.Equal((long)i, reader.Run(sql => sql.Scalar($"SELECT {i}")));
        }

        Assert.Equal(2, cache.Find(2.ToString("x64"))!.Size);
    }

    [Fact]
    public void Defer_ManyQueued_WrittenInBatchesWithoutAWrite()
    {
        var db = NewPath();
        using var reader = new LocalDatabase(db);
        using var writer = new LocalDatabase(db);
        for (var i = 0; i < 200; i++)
        {
            new TransferLog(writer).Add(new TransferRecord(DateTimeOffset.UtcNow, "download", i, TimeSpan.Zero, 0));
        }

        // What a killed process can lose is bounded: all but the last partial batch is written.
        var written = new TransferLog(reader).Since(DateTimeOffset.FromUnixTimeSeconds(0)).Count;
        Assert.InRange(written, 200 - 63, 200);
    }

    [Fact]
    public void Listings_SharedBetweenConnections_WrittenVersionAddedOnlyToAListedFolder()
    {
        var db = NewPath();
        using var first = new LocalDatabase(db);
        using var second = new LocalDatabase(db);
        var listings = new SharedListings(first, "s");
        listings.Put("run|p/", [new StoredVersion("p/a", "v1", 3, true)]);

        new SharedListings(second, "s").Add("run|p/", new StoredVersion("p/b", "v2", 4, true));
        new SharedListings(second, "s").Add("run|q/", new StoredVersion("q/c", "v3", 5, true));
        second.Flush();

        Assert.Equal(["p/a", "p/b"], listings.Find("run|p/", TimeSpan.FromMinutes(1))!.Select(v => v.Key));
        Assert.Null(listings.Find("run|q/", TimeSpan.FromMinutes(1)));
        Assert.Null(new SharedListings(first, "other").Find("run|p/", TimeSpan.FromMinutes(1)));
    }

    // Frozen copies of what earlier releases wrote (not built from Schema, which they test): schema 2 had the objects and
    // the path index; 3 added the imported mapping and shared listings; 4, the release before LocalDatabase, the transfers.
    private const string Schema2Tables = """
        CREATE TABLE objects(store TEXT NOT NULL, oid TEXT NOT NULL, size INTEGER NOT NULL, version_id TEXT NOT NULL, key TEXT NOT NULL, uploaded INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(store, oid));
        CREATE TABLE paths(seq INTEGER PRIMARY KEY AUTOINCREMENT, oid TEXT NOT NULL, size INTEGER NOT NULL, path TEXT NOT NULL, UNIQUE(oid, path));
        CREATE TABLE scanned_tips(commit_id TEXT PRIMARY KEY);

        """;

    private const string Release2Schema = Schema2Tables + """
        INSERT INTO objects VALUES('s', 'aa', 1, 'v1', 'p/a', 1);
        PRAGMA user_version = 2;
        """;

    private const string Release4Schema = Schema2Tables + """
        CREATE TABLE hints(blob TEXT NOT NULL, oid TEXT NOT NULL, size INTEGER NOT NULL, version_id TEXT NOT NULL, key TEXT NOT NULL);
        CREATE INDEX hints_oid ON hints(oid);
        CREATE TABLE imported(blob TEXT PRIMARY KEY);
        CREATE TABLE listings(store TEXT NOT NULL, folder TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY(store, folder));
        CREATE TABLE listed(store TEXT NOT NULL, folder TEXT NOT NULL, key TEXT NOT NULL, version_id TEXT NOT NULL, size INTEGER NOT NULL, latest INTEGER NOT NULL);
        CREATE INDEX listed_folder ON listed(store, folder);
        CREATE TABLE transfers(at INTEGER NOT NULL, direction TEXT NOT NULL, bytes INTEGER NOT NULL, millis INTEGER NOT NULL, code INTEGER NOT NULL);
        CREATE INDEX transfers_at ON transfers(at);
        INSERT INTO objects VALUES('s', 'aa', 1, 'v1', 'p/a', 1), ('s', 'bb', 2, 'v2', 'p/b', 2), ('s', 'cc', 3, 'v3', 'p/c', 0);
        INSERT INTO paths(oid, size, path) VALUES('aa', 1, 'a.bin'), ('aa', 1, 'moved/a.bin');
        INSERT INTO scanned_tips VALUES('c1');
        INSERT INTO hints VALUES('blob1', 'dd', 4, 'v4', 'p/d');
        INSERT INTO imported VALUES('blob1');
        INSERT INTO transfers VALUES(1700000000, 'upload', 10, 5, 0);
        PRAGMA user_version = 4;
        """;

    private static string FileMadeBy(string schema)
    {
        var path = NewPath();
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = schema;
        command.ExecuteNonQuery();
        return path;
    }

    [Fact]
    public void Open_FileOfRelease4_EveryRowStillFoundAndWorkTreeEntriesPendingForTheBranch()
    {
        var path = FileMadeBy(Release4Schema);

        using var database = new LocalDatabase(path);

        var cache = new ObjectCache(database, "s");
        // bb was written to the work tree's mapping by that release; the mapping branch does not have it yet.
        Assert.Equal([new MappingEntry("aa", 1, "v1", "p/a"), new MappingEntry("bb", 2, "v2", "p/b")],
            cache.Uploaded(notYetWritten: true).OrderBy(e => e.Oid, StringComparer.Ordinal));
        Assert.Equal(2, cache.Uploaded().Count);
        Assert.Equal(new MappingEntry("cc", 3, "v3", "p/c"), cache.Find("cc"));
        var paths = new PathIndexTable(database);
        Assert.Equal(["a.bin", "moved/a.bin"], paths.FindPaths("aa"));
        Assert.Equal(["c1"], paths.ScannedTips());
        var imports = new MappingImports(database);
        Assert.True(imports.IsImported("blob1"));
        var (hints, complete) = imports.Hints("dd", ["blob1"]);
        Assert.Equal([new MappingEntry("dd", 4, "v4", "p/d")], hints);
        Assert.True(complete);
        Assert.Equal(10, Assert.Single(new TransferLog(database).Since(DateTimeOffset.FromUnixTimeSeconds(0))).Bytes);
    }

    [Fact]
    public void Open_FileOfSchema2_UploadsKeptAndNewerTablesAdded()
    {
        var path = FileMadeBy(Release2Schema);

        using (var database = new LocalDatabase(path))
        {
            Assert.Equal([new MappingEntry("aa", 1, "v1", "p/a")], new ObjectCache(database, "s").Uploaded(notYetWritten: true));
            Assert.True(new MappingImports(database).Import("blob", [new MappingEntry("ee", 5, "v5", "p/e")]));
            new TransferLog(database).Add(new TransferRecord(DateTimeOffset.UtcNow, "download", 7, TimeSpan.Zero, 0));
        }

        using var reopened = new LocalDatabase(path);
        Assert.Single(new ObjectCache(reopened, "s").All());
        Assert.True(new MappingImports(reopened).IsImported("blob"));
    }

    [Fact]
    public void Open_FileOfAnUnknownLayout_RebuiltEmptyAndUsable()
    {
        var path = FileMadeBy("CREATE TABLE objects(oid TEXT PRIMARY KEY, key TEXT); INSERT INTO objects VALUES('aa', 'k'); PRAGMA user_version = 1;");

        using var database = new LocalDatabase(path);

        var cache = new ObjectCache(database, "s");
        Assert.Empty(cache.All());
        cache.Put(new MappingEntry("aa", 1, "v1", "p/a"));
        Assert.Equal("p/a", cache.Find("aa")?.Key);
    }

    [Fact]
    public void Open_FileThatIsNotADatabase_FailsWithTheProjectsErrorSayingWhatToDo()
    {
        var path = NewPath();
        File.WriteAllText(path, new string('x', 4096));

        var error = Assert.Throws<LocalDatabaseException>(() => new LocalDatabase(path).Dispose());

        Assert.Equal(ErrorCodes.Internal, error.Code);
        Assert.Contains("damaged: delete it", error.Message);
    }
}
