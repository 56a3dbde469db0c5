using System.IO.Compression;
using System.IO.Enumeration;
using LfsS3Agent.Core.Settings;

namespace LfsS3Agent.Core.Objects;

/// <summary>
/// Which uploads are stored gzip-compressed (<c>lfs-s3.compress</c>), and the compressed file itself. A pattern
/// without "/" matches the file name, one with "/" the path from the repository root (as in .gitattributes);
/// "auto" compresses any file whose samples shrink by the minimum saving. Either way the compressed form is kept
/// only when the whole file shrinks by that saving: what is already compressed (JPEG, ZIP, video) is stored as is.
/// </summary>
public sealed class CompressionPolicy(IReadOnlyList<string> patterns, bool auto, double minSaving)
{
    private const int SampleSize = 64 << 10;

    public static CompressionPolicy From(AgentSettings settings)
    {
        var words = settings.Compress;
        return new CompressionPolicy(words.Where(w => !w.Equals("auto", StringComparison.OrdinalIgnoreCase)).ToList(),
            words.Any(w => w.Equals("auto", StringComparison.OrdinalIgnoreCase)), settings.CompressMinSaving);
    }

    /// <summary>Whether any upload may be compressed (then "already stored?" also considers smaller, compressed versions).</summary>
    public bool Enabled => auto || patterns.Count > 0;

    public double MinSaving => minSaving;

    /// <summary>Whether a pattern names the path (null: an object with no path in history, which only "auto" can compress).</summary>
    public bool Matches(string? path)
    {
        if (path is null)
        {
            return false;
        }

        var name = path[(path.LastIndexOf('/') + 1)..];
        return patterns.Any(p => p.Contains('/')
            ? FileSystemName.MatchesSimpleExpression(p.TrimStart('/'), path, ignoreCase: false)
            : FileSystemName.MatchesSimpleExpression(p, name, ignoreCase: false));
    }

    /// <summary>
    /// The gzip form of the file in a new file in <paramref name="directory"/> (the caller deletes it), or null when
    /// this file is stored as is: not chosen, or compression would not save enough.
    /// </summary>
    public async Task<string?> CompressAsync(string? path, string file, long size, string directory, CancellationToken cancellationToken)
    {
        if (size == 0 || !(Matches(path) || auto && await SampleShrinksAsync(file, size, cancellationToken)))
        {
            return null;
        }

        Directory.CreateDirectory(directory);
        var target = Path.Combine(directory, $"compress-{Path.GetRandomFileName()}.gz");
        try
        {
            await using (var output = new FileStream(target, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            await using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
            await using (var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
            {
                await input.CopyToAsync(gzip, 1 << 20, cancellationToken);
            }

            if (new FileInfo(target).Length <= size * (1 - minSaving))
            {
                return target;
            }

            File.Delete(target);
            return null;
        }
        catch (IOException ex) when (VerifiedDownload.IsDiskFull(ex))
        {
            File.Delete(target);
            throw new LfsS3Exception(ErrorCodes.InsufficientStorage,
                $"no space left on the device of {directory} to compress {path ?? Path.GetFileName(file)} ({size} bytes) before uploading it: "
                + "free some space there and push again (or store it as is: git config lfs-s3.compress none)", ex);
        }
        catch
        {
            File.Delete(target);
            throw;
        }
    }

    /// <summary>Compresses (fast) up to three samples, start, middle and end, and compares their sizes.</summary>
    private async Task<bool> SampleShrinksAsync(string file, long size, CancellationToken cancellationToken)
    {
        await using var input = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, useAsync: true);
        var counter = new CountingStream();
        long raw = 0;
        await using (var gzip = new GZipStream(counter, CompressionLevel.Fastest, leaveOpen: true))
        {
            var whole = size <= 3L * SampleSize;
            long[] offsets = whole ? [0L] : [0L, size / 2 - SampleSize / 2, size - SampleSize];
            var chunk = new byte[whole ? (int)size : SampleSize];
            foreach (var offset in offsets)
            {
                input.Position = offset;
                int read;
                var got = 0;
                while (got < chunk.Length && (read = await input.ReadAsync(chunk.AsMemory(got), cancellationToken)) > 0)
                {
                    got += read;
                }

                await gzip.WriteAsync(chunk.AsMemory(0, got), cancellationToken);
                raw += got;
            }
        }

        return raw > 0 && counter.Length <= raw * (1 - minSaving);
    }

    /// <summary>A sink that only counts what is written to it.</summary>
    private sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => _length += count;

        public override void Write(ReadOnlySpan<byte> buffer) => _length += buffer.Length;

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _length += buffer.Length;
            return ValueTask.CompletedTask;
        }
    }
}
