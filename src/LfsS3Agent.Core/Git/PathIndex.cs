using System.Text;
using LfsS3Agent.Core.Mapping;

namespace LfsS3Agent.Core.Git;

/// <summary>
/// Finds the path of an LFS object in the repository from the pointer files in git history, since
/// git-lfs only sends the OID. Scans are incremental (only commits not reachable from the last scan's
/// tips) and shared through SQLite, under a lock so eight agent processes do the work once.
/// Rule for an OID at several paths: the first path found wins, walking newest commits first.
/// </summary>
public sealed class PathIndex(GitRepository repository, MappingCache cache, string lockPath)
{
    /// <summary>Pointer files are about 130 bytes; git-lfs never reads a pointer above 1024.</summary>
    private const int MaxPointerSize = 1024;

    private bool _updated;

    public async Task<string?> FindPathAsync(string oid, CancellationToken cancellationToken)
    {
        if (cache.FindPath(oid) is { } known)
        {
            return known;
        }

        if (_updated)
        {
            return null;
        }

        await UpdateAsync(cancellationToken);
        return cache.FindPath(oid);
    }

    /// <summary>Indexes the pointers reachable from every ref and HEAD that earlier scans have not covered.</summary>
    public async Task UpdateAsync(CancellationToken cancellationToken)
    {
        _updated = true;
        using var fileLock = FileLock.Acquire(lockPath, TimeSpan.FromMinutes(10));
        var tips = await CurrentTipsAsync(cancellationToken);
        var scanned = cache.ScannedTips();
        if (tips.Count == 0 || tips.IsSubsetOf(scanned))
        {
            return;
        }

        var revs = new StringBuilder();
        foreach (var tip in tips)
        {
            revs.Append(tip).Append('\n');
        }

        foreach (var old in scanned)
        {
            revs.Append('^').Append(old).Append('\n');
        }

        // Only small blobs can be pointers; the filter keeps large blobs out of the listing.
        var listing = await repository.Git.RunAsync(
            ["rev-list", "--objects", $"--filter=blob:limit={MaxPointerSize + 1}", "--stdin"],
            revs.ToString(), allowFailure: true, cancellationToken: cancellationToken);
        if (listing.ExitCode != 0)
        {
            // A tip from an earlier scan may be gone (gc after a forced push): scan everything once.
            revs.Clear();
            foreach (var tip in tips)
            {
                revs.Append(tip).Append('\n');
            }

            listing = await repository.Git.RunAsync(["rev-list", "--objects", $"--filter=blob:limit={MaxPointerSize + 1}", "--stdin"],
                revs.ToString(), cancellationToken: cancellationToken);
        }

        var pathsByObject = new Dictionary<string, string>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var line in listing.Stdout.Split('\n'))
        {
            var space = line.IndexOf(' ');
            if (space <= 0 || space == line.Length - 1)
            {
                continue; // commits, and the root tree, have no path
            }

            var sha = line[..space];
            if (pathsByObject.TryAdd(sha, line[(space + 1)..]))
            {
                order.Add(sha);
            }
        }

        var found = await ReadPointersAsync(order, pathsByObject, cancellationToken);
        cache.AddScan(found, tips);
    }

    private async Task<HashSet<string>> CurrentTipsAsync(CancellationToken cancellationToken)
    {
        var refs = await repository.Git.RunAsync(["for-each-ref", "--format=%(objectname)"], cancellationToken: cancellationToken);
        var head = await repository.Git.RunAsync(["rev-parse", "--verify", "-q", "HEAD"], allowFailure: true, cancellationToken: cancellationToken);
        var tips = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in (refs.Stdout + "\n" + head.Stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            tips.Add(line);
        }

        return tips;
    }

    /// <summary>Asks git for the type and size of each object, then reads the small blobs and keeps LFS pointers.</summary>
    private async Task<List<(string Oid, string Path)>> ReadPointersAsync(List<string> objects,
        Dictionary<string, string> paths, CancellationToken cancellationToken)
    {
        var result = new List<(string, string)>();
        if (objects.Count == 0)
        {
            return result;
        }

        var check = await repository.Git.RunAsync(["cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)"],
            string.Join('\n', objects) + "\n", cancellationToken: cancellationToken);
        var blobs = new List<string>();
        foreach (var line in check.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length == 3 && parts[1] == "blob" && long.TryParse(parts[2], out var size) && size is > 40 and <= MaxPointerSize)
            {
                blobs.Add(parts[0]);
            }
        }

        if (blobs.Count == 0)
        {
            return result;
        }

        using var process = repository.Git.Start(["cat-file", "--batch"], redirectStdin: true);
        var writer = Task.Run(async () =>
        {
            await process.StandardInput.WriteAsync(string.Join('\n', blobs) + "\n");
            process.StandardInput.Close();
        }, cancellationToken);
        var buffer = new MemoryStream();
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.StandardOutput.BaseStream.CopyToAsync(buffer, cancellationToken);
        await writer;
        await stderr;
        await process.WaitForExitAsync(cancellationToken);

        var data = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        var position = 0;
        while (position < data.Length)
        {
            var headerEnd = data[position..].IndexOf((byte)'\n');
            if (headerEnd < 0)
            {
                break;
            }

            var header = Encoding.ASCII.GetString(data.Slice(position, headerEnd)).Split(' ');
            position += headerEnd + 1;
            if (header.Length < 3 || !int.TryParse(header[2], out var length))
            {
                continue; // "<sha> missing"
            }

            var content = data.Slice(position, length);
            position += length + 1;
            if (LfsPointer.TryParseOid(content) is { } oid)
            {
                result.Add((oid, paths[header[0]]));
            }
        }

        return result;
    }
}

/// <summary>Reads the OID out of a git-lfs pointer file.</summary>
public static class LfsPointer
{
    private static readonly byte[] OidPrefix = "\noid sha256:"u8.ToArray();

    public static string? TryParseOid(ReadOnlySpan<byte> content)
    {
        if (!content.StartsWith("version "u8))
        {
            return null;
        }

        var at = content.IndexOf(OidPrefix);
        if (at < 0 || content.Length < at + OidPrefix.Length + 64)
        {
            return null;
        }

        var oid = Encoding.ASCII.GetString(content.Slice(at + OidPrefix.Length, 64));
        return Protocol.TransferSession.IsOid(oid) ? oid : null;
    }
}
