namespace LfsS3Agent.Core;

/// <summary>Codes of <c>error.code</c>; git-lfs shows them in brackets, so they follow HTTP's meaning.</summary>
public static class ErrorCodes
{
    /// <summary>A request line that is not valid JSON, lacks a field, or comes out of order.</summary>
    public const int BadRequest = 400;
    /// <summary>Credentials missing, rejected or expired.</summary>
    public const int Unauthorized = 401;
    /// <summary>Credentials valid but the bucket or key is not allowed.</summary>
    public const int Forbidden = 403;
    /// <summary>Bucket, key, version or local file not found.</summary>
    public const int NotFound = 404;
    /// <summary>The repository or bucket is not set up as needed (not initialised, versioning off).</summary>
    public const int NotConfigured = 412;
    /// <summary>Downloaded bytes do not match the OID or size.</summary>
    public const int IntegrityError = 422;
    /// <summary>The file is locked by someone else (git lfs-s3 lock).</summary>
    public const int Locked = 423;
    /// <summary>A bug or an unexpected failure inside the agent.</summary>
    public const int Internal = 500;
    /// <summary>S3 or the network failed after retries.</summary>
    public const int Unavailable = 503;
    /// <summary>The local disk is full.</summary>
    public const int InsufficientStorage = 507;
}

/// <summary>The root of every failure meant for the user: a code and a message that says what to do.</summary>
public class LfsS3Exception(int code, string message, Exception? inner = null) : Exception(message, inner)
{
    public int Code { get; } = code;
}
