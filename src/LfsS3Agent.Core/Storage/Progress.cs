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
