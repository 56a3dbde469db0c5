using System.Data;
using Microsoft.Data.Sqlite;

namespace LfsS3Agent.Core.LocalState;

/// <summary>The statements of one table call, on the connection or inside one transaction; rows are read as <see cref="IDataRecord"/>.</summary>
internal sealed class Sql(SqliteConnection connection, SqliteTransaction? transaction, PreparedStatements? prepared = null)
{
    public int Execute(string sql, params (string Name, object Value)[] parameters)
    {
        using var lease = Command(sql, parameters);
        return lease.Command.ExecuteNonQuery();
    }

    public object? Scalar(string sql, params (string Name, object Value)[] parameters)
    {
        using var lease = Command(sql, parameters);
        return lease.Command.ExecuteScalar();
    }

    public List<T> Query<T>(string sql, Func<IDataRecord, T> read, params (string Name, object Value)[] parameters)
    {
        using var lease = Command(sql, parameters);
        using var reader = lease.Command.ExecuteReader();
        var result = new List<T>();
        while (reader.Read())
        {
            result.Add(read(reader));
        }

        return result;
    }

    /// <summary>One statement run for each item (streamed), its parameters set by <paramref name="bind"/>.</summary>
    public void ExecuteEach<T>(string sql, IEnumerable<T> items, Func<T, (string Name, object Value)[]> bind)
    {
        using var lease = Command(sql, []);
        var command = lease.Command;
        foreach (var item in items)
        {
            foreach (var (name, value) in bind(item))
            {
                if (command.Parameters.Contains(name))
                {
                    command.Parameters[name].Value = value;
                }
                else
                {
                    command.Parameters.AddWithValue(name, value);
                }
            }

            command.ExecuteNonQuery();
        }
    }

    private Lease Command(string sql, (string Name, object Value)[] parameters)
    {
        var kept = prepared?.Find(connection, sql);
        var command = kept ?? connection.CreateCommand();
        if (kept is null)
        {
            command.CommandText = sql;
        }

        command.Transaction = transaction;
        command.Parameters.Clear();
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return new Lease(command, Owned: kept is null);
    }

    /// <summary>A command for one call: disposed after it unless the connection keeps it prepared.</summary>
    private readonly record struct Lease(SqliteCommand Command, bool Owned) : IDisposable
    {
        public void Dispose()
        {
            if (Owned)
            {
                Command.Dispose();
            }
        }
    }
}

/// <summary>
/// Commands kept prepared on one connection, by their text. Parsing and planning a statement took two fifths of an
/// agent's SQLite time (several statements per object); a kept command runs again with new parameters. Texts built
/// per call (a list of N blobs) could grow without end, so only the first <see cref="Limit"/> texts are kept.
/// Used only under the database's lock.
/// </summary>
internal sealed class PreparedStatements : IDisposable
{
    private const int Limit = 64;
    private readonly Dictionary<string, SqliteCommand> _commands = new(StringComparer.Ordinal);

    /// <summary>The kept command for <paramref name="sql"/> (made and kept now while there is room), or null.</summary>
    public SqliteCommand? Find(SqliteConnection connection, string sql)
    {
        if (_commands.TryGetValue(sql, out var command))
        {
            return command;
        }

        if (_commands.Count >= Limit)
        {
            return null;
        }

        command = connection.CreateCommand();
        command.CommandText = sql;
        _commands[sql] = command;
        return command;
    }

    public void Dispose()
    {
        foreach (var command in _commands.Values)
        {
            command.Dispose();
        }

        _commands.Clear();
    }
}
