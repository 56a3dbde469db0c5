using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace LfsS3Agent.Core.Protocol;

/// <summary>
/// The only writer of the agent's stdout: one compact JSON object per line, flushed, under a lock. A line goes in one
/// write: git-lfs reads up to the newline, so a newline written apart costs both processes another system call and
/// git-lfs another wake-up, two or three times per object.
/// </summary>
public sealed class ProtocolWriter(Stream output)
{
    private readonly Lock _gate = new();
    private readonly ArrayBufferWriter<byte> _line = new(256);

    public void WriteInitOk() => Write(new ErrorOnlyResponse(null), ProtocolJsonContext.Default.ErrorOnlyResponse);

    public void WriteError(ProtocolError error) => Write(new ErrorOnlyResponse(error), ProtocolJsonContext.Default.ErrorOnlyResponse);

    public void WriteProgress(ProgressMessage message) => Write(message, ProtocolJsonContext.Default.ProgressMessage);

    public void WriteComplete(CompleteMessage message) => Write(message, ProtocolJsonContext.Default.CompleteMessage);

    private void Write<T>(T message, JsonTypeInfo<T> typeInfo)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(message, typeInfo);
        lock (_gate)
        {
            _line.ResetWrittenCount();
            _line.Write(json);
            _line.Write("\n"u8);
            output.Write(_line.WrittenSpan);
            output.Flush();
        }
    }
}
