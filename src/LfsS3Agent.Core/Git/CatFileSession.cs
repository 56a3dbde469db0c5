using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace LfsS3Agent.Core.Git;

/// <summary>
/// One <c>git cat-file --batch</c> kept open for a process's lookups, so each small object costs a pipe round trip
/// instead of a git process (a clone reads hundreds of mapping shards, one per download at first). Lookups take turns.
/// A failed or cancelled lookup ends the process; the next one starts another. <see cref="GitCli"/> never disposes
/// it: git ends with this process, when its standard input closes.
/// </summary>
internal sealed class CatFileSession(GitRunner runner) : IDisposable
{
    private readonly SemaphoreSlim _turn = new(1, 1);
    private Process? _process;
    private BufferedStream? _output;

    /// <summary>The object's content; null when git has no such object.</summary>
    public async Task<byte[]?> ReadAsync(string id, CancellationToken cancellationToken)
    {
        if (id.Length == 0 || id.Any(c => c is '\n' or '\r' or ' '))
        {
            throw new ArgumentException($"not an object id: \"{id}\"", nameof(id));
        }

        await _turn.WaitAsync(cancellationToken);
        try
        {
            var process = _process ??= Start();
            await process.StandardInput.WriteAsync(id + "\n");
            await process.StandardInput.FlushAsync(cancellationToken);
            // Buffered: the header is read a byte at a time, which would otherwise be a system call each.
            var output = _output ??= new BufferedStream(process.StandardOutput.BaseStream, 1 << 16);
            // "<id> <type> <size>", or "<id> missing"
            var header = (await ReadLineAsync(output, cancellationToken)).Split(' ');
            if (header.Length != 3)
            {
                return null;
            }

            var content = new byte[int.Parse(header[2], CultureInfo.InvariantCulture)];
            await output.ReadExactlyAsync(content, cancellationToken);
            await output.ReadExactlyAsync(new byte[1], cancellationToken);
            return content;
        }
        catch (Exception ex) when (ex is IOException or EndOfStreamException or FormatException or OperationCanceledException or InvalidOperationException)
        {
            Stop();
            if (ex is OperationCanceledException)
            {
                throw;
            }

            throw new GitException($"git cat-file --batch failed reading {id}: {ex.Message}", -1);
        }
        finally
        {
            _turn.Release();
        }
    }

    public void Dispose()
    {
        Stop();
        _turn.Dispose();
    }

    private Process Start()
    {
        var process = runner.Start(["cat-file", "--batch"], redirectStdin: true);
        // Read so a chatty stderr can never fill its pipe and stall git.
        _ = process.StandardError.ReadToEndAsync(CancellationToken.None);
        return process;
    }

    private void Stop()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        _output = null;
        try
        {
            process.StandardInput.Close(); // cat-file ends at end of input
            if (!process.WaitForExit(2000))
            {
                process.Kill();
            }
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            // already gone
        }

        process.Dispose();
    }

    private static async Task<string> ReadLineAsync(Stream stream, CancellationToken cancellationToken)
    {
        var line = new List<byte>(96);
        var one = new byte[1];
        while (true)
        {
            await stream.ReadExactlyAsync(one, cancellationToken);
            if (one[0] == (byte)'\n')
            {
                return Encoding.UTF8.GetString([.. line]);
            }

            line.Add(one[0]);
        }
    }
}
