using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Core.Objects;

/// <summary>
/// The one way bytes come out of the store: streamed through SHA-256, stopped as soon as they pass the
/// expected size, and accepted only when size and hash are the object's. Used by transfers and verify.
/// </summary>
public static class VerifiedDownload
{
    /// <summary>
    /// Writes the version to a new file <c>&lt;oid&gt;-&lt;random&gt;</c> in <paramref name="directory"/> (git-lfs's own
    /// cleanup removes such files) and returns its path; the file is deleted on any failure.
    /// </summary>
    public static async Task<string> ToFileAsync(IObjectStore store, MappingEntry entry, string oid, long size, string directory,
        IProgressReporter progress, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, $"{oid}-{Path.GetRandomFileName()}");
        await WriteFileAsync(path, $"{oid} ({size} bytes)", file => CopyAsync(store, entry, oid, size, file, progress, cancellationToken));
        return path;
    }

    /// <summary>
    /// Writes a version whose object is not known yet (import adopts it) to a new file in <paramref name="directory"/>,
    /// hashing its bytes as they stream; returns the file and the object those bytes are (their SHA-256 and count).
    /// The file is deleted on any failure.
    /// </summary>
    public static async Task<(string Path, string Oid, long Size)> ToHashedFileAsync(IObjectStore store, string key, string versionId,
        string directory, IProgressReporter progress, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, $"import-{Path.GetRandomFileName()}");
        var (oid, size) = ("", 0L);
        await WriteFileAsync(path, store.Describe(key), async file =>
        {
            using var hashing = new HashingStream(file, progress);
            await store.DownloadAsync(key, versionId, hashing, progress, cancellationToken);
            await hashing.FlushAsync(cancellationToken);
            (oid, size) = (hashing.HexDigest(), hashing.BytesWritten);
        });
        return (path, oid, size);
    }

    private static async Task WriteFileAsync(string path, string what, Func<Stream, Task> write)
    {
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        try
        {
            await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
            await write(file);
        }
        catch (IOException ex) when (IsDiskFull(ex))
        {
            File.Delete(path);
            throw new LfsS3Exception(ErrorCodes.InsufficientStorage,
                $"no space left on the device of {directory} for {what}: free some space and run the command again", ex);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    /// <summary>ENOSPC (28) on Unix, ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL on Windows.</summary>
    internal static bool IsDiskFull(IOException ex) => (ex.HResult & 0xFFFF) is 28 or 112 or 39;

    /// <summary>Reads the version and checks it is the object, keeping nothing (verify --content).</summary>
    public static Task CheckAsync(IObjectStore store, MappingEntry entry, string oid, long size, CancellationToken cancellationToken) =>
        CopyAsync(store, entry, oid, size, Stream.Null, NoProgress.Instance, cancellationToken);

    private static async Task CopyAsync(IObjectStore store, MappingEntry entry, string oid, long size, Stream destination,
        IProgressReporter progress, CancellationToken cancellationToken)
    {
        var what = $"{store.Describe(entry.Key)} version {entry.VersionId}";
        using var hashing = new HashingStream(destination, progress, limit: size);
        try
        {
            await store.DownloadAsync(entry.Key, entry.VersionId, hashing, progress, cancellationToken);
        }
        catch (LimitExceededException ex)
        {
            throw new LfsS3Exception(ErrorCodes.IntegrityError, $"{what} {ex.Message}");
        }

        await hashing.FlushAsync(cancellationToken);
        if (hashing.BytesWritten != size)
        {
            throw new LfsS3Exception(ErrorCodes.IntegrityError, $"{what} has {hashing.BytesWritten} bytes, expected {size}");
        }

        var digest = hashing.HexDigest();
        if (digest != oid)
        {
            throw new LfsS3Exception(ErrorCodes.IntegrityError, $"{what} hashes to {digest}, expected {oid}");
        }
    }
}
