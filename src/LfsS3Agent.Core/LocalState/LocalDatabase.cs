using Microsoft.Data.Sqlite;

namespace LfsS3Agent.Core.LocalState;

/// <summary>
/// The clone's local SQLite database in the git directory (never committed): one connection, the schema brought up
/// to date on open, WAL and a busy timeout so the eight agent processes of one transfer write at once without losing
/// rows. Each table is a small class beside the code that uses it, owning its statements; this class owns the
/// connection and turns SQLite's failures into <see cref="LocalDatabaseException"/>, so nothing else needs SQLite's
/// types. Calls are serialised, so verbs may use it from parallel work.
/// </summary>
public sealed class LocalDatabase : IDisposable
{
    /// <summary>How long a statement waits for the other processes of this clone before it fails.</summary>
    private static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(60);

    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();
    private readonly string _path;
    private readonly string _directory;
    private readonly PreparedStatements _prepared = new();

    /// <summary>Writes queued by <see cref="Defer"/>, oldest first.</summary>
    private readonly List<Action<Sql>> _deferred = [];

    /// <summary>How many queued writes wait at most: what a killed process can lose of them.</summary>
    private const int DeferredLimit = 64;

    public LocalDatabase(string path)
    {
        _path = Path.GetFullPath(path);
        _directory = Path.GetDirectoryName(_path)!;
        Directory.CreateDirectory(_directory);
        _connection = Connect(new SqliteConnectionStringBuilder
        {
            DataSource = _path,
            Pooling = false,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString());
        try
        {
            _connection.Open();
            var sql = new Sql(_connection, null);
            sql.Execute($"PRAGMA busy_timeout = {(int)BusyTimeout.TotalMilliseconds};");
            sql.Execute("PRAGMA journal_mode = WAL;");
            sql.Execute("PRAGMA synchronous = NORMAL;");
            Schema.Migrate(_connection);
        }
        catch (SqliteException ex)
        {
            _connection.Dispose();
            throw LocalDatabaseException.From(ex, _path);
        }
    }

    /// <summary>
    /// Makes the connection, whose type's static constructor loads SQLite's own library: missing beside the program
    /// (copied without it), that is said as such.
    /// </summary>
    private static SqliteConnection Connect(string connectionString)
    {
        try
        {
            return new SqliteConnection(connectionString);
        }
        catch (Exception ex) when (ex is TypeInitializationException or DllNotFoundException && Chain(ex).Any(e => e is DllNotFoundException))
        {
            var library = OperatingSystem.IsWindows() ? "e_sqlite3.dll" : OperatingSystem.IsMacOS() ? "libe_sqlite3.dylib" : "libe_sqlite3.so";
            throw new LocalDatabaseException(ErrorCodes.NotConfigured,
                $"SQLite's library {library} could not be loaded from beside {Environment.ProcessPath}: it is installed with the program, so install git-lfs-s3 again (scripts/install.sh, or copy every file of the release, not only the program)", ex);
        }

        static IEnumerable<Exception> Chain(Exception? ex)
        {
            for (; ex is not null; ex = ex.InnerException)
            {
                yield return ex;
            }
        }
    }

    /// <summary>The database of a clone, in its state directory (<c>.git/lfs-s3</c>).</summary>
    public static string DefaultPath(string stateDir) => Path.Combine(stateDir, "cache.db");

    /// <summary>A lock file next to the database, for work the processes of this clone take turns at.</summary>
    public string LockPath(string name) => Path.Combine(_directory, name);

    /// <summary>Runs statements one by one, each its own transaction.</summary>
    internal T Run<T>(Func<Sql, T> work)
    {
        using var scope = _gate.EnterScope();
        try
        {
            return work(new Sql(_connection, null, _prepared));
        }
        catch (SqliteException ex)
        {
            throw LocalDatabaseException.From(ex, _path);
        }
    }

    /// <summary>
    /// Runs statements as one immediate transaction (the write lock taken at the start, so a check and the write that
    /// follows it are one step for every process), with the queued writes before them; committed when
    /// <paramref name="work"/> returns true (the queued writes wait for the next one otherwise).
    /// </summary>
    internal bool InTransaction(Func<Sql, bool> work)
    {
        using var scope = _gate.EnterScope();
        // Taken out first: a batch that fails is dropped, not retried with every later write.
        Action<Sql>[] deferred = [.. _deferred];
        _deferred.Clear();
        try
        {
            using var transaction = _connection.BeginTransaction(deferred: false);
            var sql = new Sql(_connection, transaction, _prepared);
            foreach (var write in deferred)
            {
                write(sql);
            }

            if (!work(sql))
            {
                _deferred.InsertRange(0, deferred);
                return false;
            }

            transaction.Commit();
            return true;
        }
        catch (SqliteException ex)
        {
            throw LocalDatabaseException.From(ex, _path);
        }
    }

    /// <summary>Runs a write as one immediate transaction, with the queued writes before it.</summary>
    internal void Write(Action<Sql> work) => InTransaction(sql =>
    {
        work(sql);
        return true;
    });

    /// <summary>
    /// Queues a write no process needs before this one ends or writes again: a transfer's row for <c>usage</c>, a version
    /// shared with the other processes' listings, an entry the mapping already holds. Queued writes go in the transaction
    /// of the next write, at <see cref="DeferredLimit"/>, at <see cref="Flush"/> and on dispose: the eight
    /// agents of a clone, each writing two or three times per object, queued for SQLite's one write lock in its busy
    /// sleeps of 1-100 ms.
    /// </summary>
    internal void Defer(Action<Sql> write)
    {
        bool full;
        using (_gate.EnterScope())
        {
            _deferred.Add(write);
            full = _deferred.Count >= DeferredLimit;
        }

        if (full)
        {
            Flush();
        }
    }

    /// <summary>Writes the queued writes now, in one transaction.</summary>
    public void Flush()
    {
        using (_gate.EnterScope())
        {
            if (_deferred.Count == 0)
            {
                return;
            }
        }

        InTransaction(_ => true);
    }

    public void Dispose()
    {
        try
        {
            Flush();
        }
        catch (LocalDatabaseException)
        {
            // What was queued is for statistics and lookups that fall back to the store or the mapping: never worth a failure here.
        }

        _prepared.Dispose();
        _connection.Dispose();
    }
}
