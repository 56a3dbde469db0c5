using System.Buffers;

namespace LfsS3Agent.Core.Storage;

/// <summary>
/// A pooled buffer for copying one object's bytes, no bigger than the object (16 KiB to 1 MiB). A fresh 1 MiB array
/// per object (zeroed, on the large-object heap, freed only by full collections) cost an agent a third of its CPU in
/// a clone of many small files.
/// </summary>
public readonly struct CopyBuffer : IDisposable
{
    public CopyBuffer(long length) => Bytes = ArrayPool<byte>.Shared.Rent((int)Math.Clamp(length, 16 << 10, 1 << 20));

    public byte[] Bytes { get; }

    public void Dispose() => ArrayPool<byte>.Shared.Return(Bytes);
}
