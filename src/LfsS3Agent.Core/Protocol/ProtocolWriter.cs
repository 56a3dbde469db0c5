using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace LfsS3Agent.Core.Protocol;

/// <summary>The only writer of the agent's stdout: one compact JSON object per line, flushed, under a lock.</summary>
public sealed class ProtocolWriter(Stream output)
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();
    private readonly Lock _gate = new();

    public void WriteInitOk() => Write(new ErrorOnlyResponse(null), ProtocolJsonContext.Default.ErrorOnlyResponse);

    public void WriteError(ProtocolError error) => Write(new ErrorOnlyResponse(error), ProtocolJsonContext.Default.ErrorOnlyResponse);

    public void WriteProgress(ProgressMessage message) => Write(message, ProtocolJsonContext.Default.ProgressMessage);

    public void WriteComplete(CompleteMessage message) => Write(message, ProtocolJsonContext.Default.CompleteMessage);

    private void Write<T>(T message, JsonTypeInfo<T> typeInfo)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(message, typeInfo);
        lock (_gate)
        {
            output.Write(bytes);
            output.Write(NewLine);
            output.Flush();
        }
    }
}
