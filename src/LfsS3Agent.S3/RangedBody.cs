using System.Collections.Concurrent;
using LfsS3Agent.Core;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.S3;

/// <summary>
/// A large version's stored bytes as one stream, in order, fetched as parallel ranged GETs: the first part is read
/// from the plain GET that told the size (so an empty or small object costs one request, and a server that ignores
/// ranges is never asked for one), the others at most <c>window</c> parts ahead of the reader, each into a buffer of
/// one part, so memory stays at about (window + 1) x part size whatever the object's size. Each range is a
/// <see cref="ResumableBody"/> of its own: a range that breaks off is resumed from where it stopped, never the object.
/// </summary>
internal sealed class RangedBody : ReadOnlyBody
{
    private readonly ResumableBody _first;
    private readonly Func<long, long, CancellationToken, Task<ResumableBody>> _openRange;
    private readonly long _total;
    private readonly long _partSize;
    private readonly int _parts;
    private readonly int _window;
    private readonly Queue<Task<byte[]>> _ahead = new();
    private readonly ConcurrentBag<byte[]> _free = [];
    private readonly CancellationTokenSource _stop;
    private long _firstLeft;
    private bool _firstOpen = true;
    private int _nextPart = 1;
    private int _readPart;
    private bool _disposed;
    private byte[]? _current;
    private int _currentLength;
    private int _offset;
    private long _position;

    /// <param name="first">The plain GET's body; its first <paramref name="partSize"/> bytes are the first part.</param>
    /// <param name="openRange">Opens the bytes first..last (inclusive) as a resumable body.</param>
    public RangedBody(ResumableBody first, long total, long partSize, int window,
        Func<long, long, CancellationToken, Task<ResumableBody>> openRange, CancellationToken cancellationToken)
    {
        (_first, _total, _partSize, _window, _openRange) = (first, total, partSize, Math.Max(1, window), openRange);
        _parts = (int)((total + partSize - 1) / partSize);
        _firstLeft = Math.Min(partSize, total);
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        TopUp();
    }

    /// <summary>Ranged GETs pay off from this many parts up (below, one stream is as fast).</summary>
    public const int MinParts = 4;

    /// <summary>Starts parts until <c>window</c> are fetched ahead of the reader.</summary>
    private void TopUp()
    {
        while (_ahead.Count < _window && _nextPart < _parts)
        {
            _ahead.Enqueue(FetchAsync(_nextPart++, _stop.Token));
        }
    }

    private async Task<byte[]> FetchAsync(int part, CancellationToken cancellationToken)
    {
        var first = part * _partSize;
        var length = (int)Math.Min(_partSize, _total - first);
        var buffer = _free.TryTake(out var reused) ? reused : new byte[_partSize];
        await using var body = await _openRange(first, first + length - 1, cancellationToken);
        try
        {
            await body.ReadExactlyAsync(buffer.AsMemory(0, length), cancellationToken);
        }
        catch (EndOfStreamException ex)
        {
            throw new StoreException(ErrorCodes.IntegrityError, $"bytes {first}-{first + length - 1} ended early: {ex.Message}", ex);
        }

        return buffer;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_firstOpen)
        {
            var read = _firstLeft == 0 ? 0 : await _first.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _firstLeft)], cancellationToken);
            _firstLeft -= read;
            if (read > 0 || _firstLeft > 0)
            {
                // A plain body that ends early ends the stream: the caller's size check says so.
                _position += read;
                return read;
            }

            // The rest of the plain GET is not wanted: its connection is closed, the ranges have it.
            _firstOpen = false;
            await _first.DisposeAsync();
        }

        if (_current is null || _offset == _currentLength)
        {
            if (_current is not null)
            {
                _free.Add(_current);
                _current = null;
            }

            if (!_ahead.TryDequeue(out var next))
            {
                return 0;
            }

            var part = ++_readPart;
            _current = await next;
            (_offset, _currentLength) = (0, (int)Math.Min(_partSize, _total - (part * _partSize)));
            TopUp();
        }

        var count = Math.Min(buffer.Length, _currentLength - _offset);
        _current.AsMemory(_offset, count).CopyTo(buffer);
        _offset += count;
        _position += count;
        return count;
    }

    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override async ValueTask DisposeAsync()
    {
        await CleanupAsync();
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            CleanupAsync().AsTask().GetAwaiter().GetResult();
        }

        base.Dispose(disposing);
    }

    /// <summary>Stops the parts still in flight and waits for them, so nothing outlives the download.</summary>
    private async ValueTask CleanupAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _stop.CancelAsync();
        foreach (var part in _ahead)
        {
            try
            {
                await part;
            }
            catch (Exception ex) when (ex is OperationCanceledException or LfsS3Exception or IOException)
            {
                // a part no one will read: its failure (or cancellation) is not the download's
            }
        }

        _ahead.Clear();
        if (_firstOpen)
        {
            await _first.DisposeAsync();
        }

        _stop.Dispose();
    }
}
