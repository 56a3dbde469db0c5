namespace LfsS3Agent.Core.Storage;

/// <summary>Receives the bytes done so far of the transfer in progress (callable from several threads).</summary>
public interface IProgressReporter
{
    void Report(long bytesSoFar);
}

/// <summary>Progress that nobody watches (command-line verbs).</summary>
public sealed class NoProgress : IProgressReporter
{
    public static readonly NoProgress Instance = new();

    public void Report(long bytesSoFar)
    {
    }
}

/// <summary>Passes progress on and remembers the most bytes reported: what a transfer really moved.</summary>
public sealed class CountingProgress(IProgressReporter inner) : IProgressReporter
{
    private long _bytes;

    public long Bytes => Interlocked.Read(ref _bytes);

    public void Report(long bytesSoFar)
    {
        long seen;
        while (bytesSoFar > (seen = Interlocked.Read(ref _bytes)) && Interlocked.CompareExchange(ref _bytes, bytesSoFar, seen) != seen)
        {
        }

        inner.Report(bytesSoFar);
    }
}
