namespace LfsS3Agent.Core;

/// <summary>
/// Exclusive access to a file between processes: the file held open with no sharing (an flock on Unix). The
/// OS drops it when the process dies, so a killed agent never leaves a stale lock behind.
/// </summary>
public static class FileLock
{
    /// <summary>A lock held for as long as the returned handle is open.</summary>
    public static IDisposable Acquire(string path, TimeSpan timeout) =>
        Open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, timeout);

    /// <summary>
    /// Opens the file exclusively, waiting up to <paramref name="timeout"/> for other holders; then throws
    /// <see cref="IOException"/>. A file it creates is readable by its owner only (logs may name private paths).
    /// </summary>
    public static FileStream Open(string path, FileMode mode, FileAccess access, TimeSpan timeout)
    {
        var options = new FileStreamOptions { Mode = mode, Access = access, Share = FileShare.None, BufferSize = 1 };
        if (!OperatingSystem.IsWindows() && mode is not (FileMode.Open or FileMode.Truncate))
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var started = DateTime.UtcNow;
        var deadline = started + timeout;
        var delay = 1;
        while (true)
        {
            try
            {
                return new FileStream(path, options);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                // Most holds last milliseconds (ten agents taking turns at the end of a push): a waiter that slept
                // 100 ms would add that to every turn. Only a long wait falls back to polling slowly.
                Thread.Sleep(delay);
                delay = DateTime.UtcNow - started < TimeSpan.FromSeconds(2) ? Math.Min(delay * 2, 4) : 100;
            }
        }
    }
}
