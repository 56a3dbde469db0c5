using System.Text;

namespace LfsS3Agent.Core.Protocol;

/// <summary>
/// Reads LF-terminated UTF-8 lines with a bound on their length: a longer line is skipped to its end and
/// reported as such (so it still gets an answer) instead of growing memory until the process dies.
/// </summary>
internal sealed class LineReader(Stream input, int maxLength)
{
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly MemoryStream _line = new();
    private int _start;
    private int _end;

    /// <summary>The next line without its terminator (and a trailing CR); null at end of input.</summary>
    public async Task<(string? Line, bool TooLong)> ReadAsync(CancellationToken cancellationToken)
    {
        _line.SetLength(0);
        var tooLong = false;
        while (true)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await input.ReadAsync(_buffer, cancellationToken);
                if (_end == 0)
                {
                    return _line.Length == 0 && !tooLong ? (null, false) : (tooLong ? "" : Decode(), tooLong);
                }
            }

            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            var stop = newline < 0 ? _end : newline;
            if (!tooLong && _line.Length + (stop - _start) > maxLength)
            {
                tooLong = true;
                _line.SetLength(0);
            }

            if (!tooLong)
            {
                _line.Write(_buffer, _start, stop - _start);
            }

            _start = newline < 0 ? _end : newline + 1;
            if (newline >= 0)
            {
                return (tooLong ? "" : Decode(), tooLong);
            }
        }
    }

    private string Decode() => Encoding.UTF8.GetString(_line.GetBuffer(), 0, (int)_line.Length).TrimEnd('\r');
}
