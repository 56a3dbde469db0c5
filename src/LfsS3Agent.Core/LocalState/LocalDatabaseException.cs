using Microsoft.Data.Sqlite;

namespace LfsS3Agent.Core.LocalState;

/// <summary>The local database failed: busy past its timeout, the disk full, or the file damaged; the message says what to do.</summary>
public sealed class LocalDatabaseException(int code, string message, Exception? inner = null) : LfsS3Exception(code, message, inner)
{
    // SQLite's primary result codes (sqlite3.h).
    private const int Busy = 5;
    private const int Locked = 6;
    private const int Corrupt = 11;
    private const int Full = 13;
    private const int NotADatabase = 26;

    internal static LocalDatabaseException From(SqliteException ex, string path) => ex.SqliteErrorCode switch
    {
        Busy or Locked => new(ErrorCodes.Unavailable,
            $"the local database {path} stayed busy (other git lfs-s3 processes of this clone hold it): try again", ex),
        Full => new(ErrorCodes.InsufficientStorage, $"the disk holding {path} is full: free some space and try again", ex),
        Corrupt or NotADatabase => new(ErrorCodes.Internal,
            $"the local database {path} is damaged: delete it and try again (it is rebuilt; `git lfs-s3 rebuild --write` finds this clone's uploads again)", ex),
        _ => new(ErrorCodes.Internal, $"the local database {path} failed: {ex.Message}", ex),
    };
}
