using System.Security.Cryptography;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Core.Objects;

/// <summary>
/// A write-only stream that hashes (SHA-256) and counts what passes into the inner stream, reporting progress;
/// a write past <paramref name="limit"/> bytes throws, so a wrong version is given up at once, not after its whole body.
/// </summary>
public sealed class HashingStream(Stream inner, IProgressReporter progress, long limit = long.MaxValue) : Stream
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    public long BytesWritten { get; private set; }

    public string HexDigest() => Convert.ToHexStringLower(_hash.GetHashAndReset());

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        CheckLimit(buffer.Length);
        _hash.AppendData(buffer);
        inner.Write(buffer);
        BytesWritten += buffer.Length;
        progress.Report(BytesWritten);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        CheckLimit(buffer.Length);
        _hash.AppendData(buffer.Span);
        await inner.WriteAsync(buffer, cancellationToken);
        BytesWritten += buffer.Length;
        progress.Report(BytesWritten);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void CheckLimit(int count)
    {
        if (BytesWritten + count > limit)
        {
            throw new LimitExceededException(limit);
        }
    }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => BytesWritten;

    public override long Position { get => BytesWritten; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _hash.Dispose();
        }

        base.Dispose(disposing);
    }
}

/// <summary>More bytes arrived than the object has.</summary>
public sealed class LimitExceededException(long limit)
    : LfsS3Exception(ErrorCodes.IntegrityError, $"has more than the expected {limit} bytes");
