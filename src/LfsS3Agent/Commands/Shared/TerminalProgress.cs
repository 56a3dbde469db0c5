namespace LfsS3Agent.Commands.Shared;

/// <summary>"label: 120/500" on stderr while a long run goes on, only when stderr is a terminal.</summary>
internal sealed class TerminalProgress(string label, int total)
{
    private readonly bool _shown = !Console.IsErrorRedirected && total > 0;
    private int _done;

    public void Step()
    {
        var done = Interlocked.Increment(ref _done);
        if (_shown)
        {
            Console.Error.Write($"\r{label}: {done}/{total}");
        }
    }

    public void Done()
    {
        if (_shown)
        {
            Console.Error.WriteLine();
        }
    }
}
