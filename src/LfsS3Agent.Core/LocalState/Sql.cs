using System.Data;
using Microsoft.Data.Sqlite;

namespace LfsS3Agent.Core.LocalState;

/// <summary>The statements of one table call, on the connection or inside one transaction; rows are read as <see cref="IDataRecord"/>.</summary>
internal sealed class Sql(SqliteConnection connection, SqliteTransaction? transaction)
{
    public int Execute(string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        return command.ExecuteNonQuery();
    }

    public object? Scalar(string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        return command.ExecuteScalar();
    }

    public List<T> Query<T>(string sql, Func<IDataRecord, T> read, params (string Name, object Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        using var reader = command.ExecuteReader();
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
        using var command = Command(sql, []);
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

    private SqliteCommand Command(string sql, (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }
}
