using System.Runtime.InteropServices;

namespace LfsS3Agent.FolderStore;

/// <summary>
/// Puts a file at a name only if nothing is there, as one step. <c>File.Move(overwrite: false)</c> is not that on
/// Unix: .NET checks that the target is missing, then renames, so two movers can both "win" and the second
/// overwrites the first (two holders of one lock). link(2) fails on an existing name; Windows' MoveFileEx without
/// REPLACE_EXISTING is already exclusive.
/// </summary>
internal static partial class ExclusiveMove
{
    private const int EEXIST = 17; // Linux, macOS and the BSDs alike

    /// <summary>Places <paramref name="temp"/> (holding <paramref name="content"/>) at <paramref name="path"/>; an <see cref="IOException"/> when something is there.</summary>
    public static void Place(string temp, string path, byte[] content)
    {
        if (OperatingSystem.IsWindows())
        {
            File.Move(temp, path, overwrite: false);
            return;
        }

        if (Link(temp, path) == 0)
        {
            return; // the caller deletes the temporary name
        }

        var errno = Marshal.GetLastPInvokeError();
        if (errno == EEXIST)
        {
            throw new IOException($"{path} exists");
        }

        // A file system without hard links (FAT, some shares): an exclusive create, still one winner, though a
        // reader may see the record before it is whole for the moment of one write.
        using var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        file.Write(content);
    }

    [LibraryImport("libc", EntryPoint = "link", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Link(string existing, string created);
}
