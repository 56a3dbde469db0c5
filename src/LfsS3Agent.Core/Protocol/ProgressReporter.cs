using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Core.Protocol;

/// <summary>
/// Turns byte counts into progress messages: the first non-zero count at once, then at most one per <see cref="Step"/>
/// bytes, with bytesSinceLast always the delta between two messages so git-lfs's meter adds up to the bytes sent. An
/// object smaller than a step gets one message, with its last byte: a message per chunk of a small object is a third
/// of the lines git-lfs parses in a clone of many small files.
/// </summary>
internal sealed class ProgressReporter(ProtocolWriter writer, string oid, long size) : IProgressReporter
{
    internal const long Step = 1 << 20;
    private readonly Lock _gate = new();
    private long _sent;

    public void Report(long bytesSoFar)
    {
        lock (_gate)
        {
            if (bytesSoFar <= _sent)
            {
                return;
            }

            if ((_sent == 0 && size >= Step) || bytesSoFar - _sent >= Step || bytesSoFar >= size)
            {
                writer.WriteProgress(new ProgressMessage(oid, bytesSoFar, bytesSoFar - _sent));
                _sent = bytesSoFar;
            }
        }
    }

    /// <summary>
    /// Reports one byte before any moved. git-lfs holds all its other agents back until its first one reports a byte
    /// or finishes an object (its guard against several login prompts; an agent here never prompts): reported at once,
    /// the others set up beside the first instead of after its whole first object, set-up included.
    /// </summary>
    public void OpenGate()
    {
        lock (_gate)
        {
            if (size > 0 && _sent == 0)
            {
                writer.WriteProgress(new ProgressMessage(oid, 1, 1));
                _sent = 1;
            }
        }
    }

    /// <summary>Reports the whole size, so skipped and finished objects count fully in the meter.</summary>
    public void Finish() => Report(size);
}
