using System.Globalization;
using System.Text;

namespace LfsS3Agent.Core.Git;

/// <summary>An LFS pointer: the object's OID and size.</summary>
public sealed record LfsPointer(string Oid, long Size)
{
    /// <summary>Pointer files are about 130 bytes; git-lfs never reads a pointer above 1024.</summary>
    public const int MaxSize = 1024;

    private static readonly byte[] OidPrefix = "\noid sha256:"u8.ToArray();
    private static readonly byte[] SizePrefix = "\nsize "u8.ToArray();

    /// <summary>The git blob id of the canonical pointer file for this object, as git-lfs writes it.</summary>
    public static string BlobId(string oid, long size)
    {
        var text = $"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n";
        var bytes = Encoding.ASCII.GetBytes($"blob {text.Length}\0{text}");
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(bytes));
    }

    public static LfsPointer? TryParse(ReadOnlySpan<byte> content)
    {
        if (!content.StartsWith("version "u8))
        {
            return null;
        }

        var at = content.IndexOf(OidPrefix);
        var sizeAt = content.IndexOf(SizePrefix);
        if (at < 0 || sizeAt < 0 || content.Length < at + OidPrefix.Length + 64)
        {
            return null;
        }

        var oid = Encoding.ASCII.GetString(content.Slice(at + OidPrefix.Length, 64));
        var sizeText = content[(sizeAt + SizePrefix.Length)..];
        var end = sizeText.IndexOf((byte)'\n');
        var ok = long.TryParse(Encoding.ASCII.GetString(end < 0 ? sizeText : sizeText[..end]), NumberStyles.None, CultureInfo.InvariantCulture, out var size);
        return ok && Core.Oid.IsValid(oid) ? new LfsPointer(oid, size) : null;
    }
}

/// <summary>Reads git blobs in bulk and keeps the ones that are LFS pointers.</summary>
public sealed class PointerScanner(IGit git)
{
    /// <summary>
    /// For each (blob, path) candidate, in order, the pointer it holds. Only blobs small enough to be
    /// pointers are read: one <c>cat-file --batch-check</c> for sizes, one <c>cat-file --batch</c> for contents.
    /// </summary>
    public async Task<List<(LfsPointer Pointer, string Path)>> ReadAsync(IReadOnlyList<(string Blob, string Path)> candidates,
        CancellationToken cancellationToken)
    {
        var result = new List<(LfsPointer, string)>();
        if (candidates.Count == 0)
        {
            return result;
        }

        var sizes = await git.BatchCheckAsync(candidates.Select(c => c.Blob).Distinct().ToList(), cancellationToken);
        var small = sizes.Where(o => o.Type == "blob" && o.Size is > 40 and <= LfsPointer.MaxSize).Select(o => o.Id).ToList();
        var pointers = new Dictionary<string, LfsPointer>(StringComparer.Ordinal);
        foreach (var (blob, content) in await git.BatchAsync(small, cancellationToken))
        {
            if (LfsPointer.TryParse(content) is { } pointer)
            {
                pointers[blob] = pointer;
            }
        }

        foreach (var (blob, path) in candidates)
        {
            if (pointers.TryGetValue(blob, out var pointer))
            {
                result.Add((pointer, path));
            }
        }

        return result;
    }

    /// <summary>Every pointer in the tree of one commit (a ref, HEAD, a commit id).</summary>
    public async Task<List<(LfsPointer Pointer, string Path)>> ReadTreeAsync(string revision, CancellationToken cancellationToken)
    {
        var files = await new GitTree(git).FilesAsync(revision, null, cancellationToken);
        return await ReadAsync(files.Where(f => f.IsRegular).Select(f => (f.Blob, f.Path)).ToList(), cancellationToken);
    }
}
