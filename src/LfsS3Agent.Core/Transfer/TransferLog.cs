using LfsS3Agent.Core.LocalState;

namespace LfsS3Agent.Core.Transfer;

/// <summary>One transfer the agent answered: when, which way, bytes moved, how long, and the error code (0: success).</summary>
public sealed record TransferRecord(DateTimeOffset At, string Direction, long Bytes, TimeSpan Duration, int Code);

/// <summary>The transfers this clone's agents answered (table <c>transfers</c>), for <c>usage --transfers</c>.</summary>
public sealed class TransferLog(LocalDatabase database)
{
    /// <summary>Appends one transfer's outcome (code 0: success), written with the database's next batch.</summary>
    public void Add(TransferRecord record) => database.Defer(sql => sql.Execute(
        "INSERT INTO transfers(at, direction, bytes, millis, code) VALUES($at, $direction, $bytes, $millis, $code)",
        ("$at", record.At.ToUnixTimeSeconds()), ("$direction", record.Direction), ("$bytes", record.Bytes),
        ("$millis", (long)record.Duration.TotalMilliseconds), ("$code", record.Code)));

    /// <summary>The transfers since a time, oldest first.</summary>
    public List<TransferRecord> Since(DateTimeOffset since) => database.Run(sql => sql.Query(
        "SELECT at, direction, bytes, millis, code FROM transfers WHERE at >= $since ORDER BY at",
        r => new TransferRecord(DateTimeOffset.FromUnixTimeSeconds(r.GetInt64(0)), r.GetString(1), r.GetInt64(2),
            TimeSpan.FromMilliseconds(r.GetInt64(3)), r.GetInt32(4)),
        ("$since", since.ToUnixTimeSeconds())));
}
