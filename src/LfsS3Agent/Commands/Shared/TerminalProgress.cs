using System.Diagnostics;
using System.Globalization;

namespace LfsS3Agent.Commands.Shared;

/// <summary>
/// "label: 120/500 objects, 1.2 GiB, 35.1 MiB/s" on stderr while a long run goes on, as git and the AWS CLI show: only
/// when stderr is a terminal (or <see cref="Variable"/> is 1), never with --quiet (or <see cref="Variable"/> = 0).
/// </summary>
internal sealed class TerminalProgress
{
    /// <summary>LFS_S3_PROGRESS: 1 shows progress when stderr is not a terminal too (tests, CI logs), 0 never shows it.</summary>
    public const string Variable = "LFS_S3_PROGRESS";

    private readonly Lock _gate = new();
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private readonly string _label;
    private readonly int _total;
    private readonly bool _shown;
    private int _done;
    private long _bytes;
    private long _shownAt = -1;
    private int _written;

    private readonly TextWriter _output;

    public TerminalProgress(string label, int total)
        : this(label, total, Console.Error, shown: !Quiet && (Forced == "1" || (Forced != "0" && !Console.IsErrorRedirected)))
    {
    }

    /// <summary>Progress written to <paramref name="output"/>, shown whatever the environment says (tests).</summary>
    internal TerminalProgress(string label, int total, TextWriter output, bool shown = true)
    {
        _label = label;
        _total = total;
        _output = output;
        _shown = total > 0 && shown;
    }

    /// <summary>The value of <see cref="Variable"/>, set once by Program.cs from the process environment.</summary>
    public static string? Forced { get; set; }

    /// <summary>Set by the dispatcher when the verb was given --quiet.</summary>
    public static bool Quiet { get; set; }

    public void Step() => Step(0);

    /// <summary>One object done, with the bytes it moved or read.</summary>
    public void Step(long bytes)
    {
        var done = Interlocked.Increment(ref _done);
        var total = Interlocked.Add(ref _bytes, bytes);
        if (!_shown)
        {
            return;
        }

        // At most ten updates a second, and always the last one.
        var tick = _watch.ElapsedMilliseconds / 100;
        if (done != _total && Interlocked.Exchange(ref _shownAt, tick) == tick)
        {
            return;
        }

        var seconds = Math.Max(_watch.Elapsed.TotalSeconds, 0.001);
        var rate = total > 0 ? $"{Size(total)}, {Size((long)(total / seconds))}/s" : string.Create(CultureInfo.InvariantCulture, $"{done / seconds:0.#} objects/s");
        lock (_gate)
        {
            // Steps run in parallel: an earlier count that reaches the terminal last must not overwrite the final one.
            if (done <= _written)
            {
                return;
            }

            _written = done;
            _output.Write($"\r{_label}: {done}/{_total} objects, {rate}   ");
        }
    }

    public void Done()
    {
        if (_shown)
        {
            lock (_gate)
            {
                _output.WriteLine();
            }
        }
    }

    private static string Size(long bytes) => bytes switch
    {
        < 1L << 10 => $"{bytes} B",
        < 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KiB"),
        < 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.0} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1073741824.0:0.00} GiB"),
    };
}
