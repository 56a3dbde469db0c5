using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LfsS3Agent.Tests.Shared;

/// <summary>One HTTP request as the proxy saw it.</summary>
public sealed record ProxyRequest(int Seq, string Method, string Target, IReadOnlyDictionary<string, string> Headers)
{
    /// <summary>The path without the query string.</summary>
    public string Path => Target.Split('?')[0];
}

/// <summary>
/// What the proxy does with a request: forward it, or answer with these raw bytes and close; or swallow it (read
/// everything, answer nothing, as a firewall black hole does); with <c>Chunk</c> and <c>Pause</c>, the answer (or
/// both directions of a forwarded request) trickles: that many bytes, then a pause, and so on.
/// </summary>
public sealed record ProxyAction(byte[]? Raw, bool Swallow = false, int Chunk = 0, TimeSpan Pause = default)
{
    public static readonly ProxyAction Forward = new((byte[]?)null);

    /// <summary>Accepts the connection, reads the request and never answers.</summary>
    public static readonly ProxyAction BlackHole = new(null, Swallow: true);

    /// <summary>Forwards the request, passing on at most <paramref name="chunk"/> bytes per <paramref name="pause"/> each way.</summary>
    public static ProxyAction ForwardSlowly(int chunk, TimeSpan pause) => new(null, Chunk: chunk, Pause: pause);

    /// <summary>The same answer, sent <paramref name="chunk"/> bytes per <paramref name="pause"/>.</summary>
    public ProxyAction Slowly(int chunk, TimeSpan pause) => this with { Chunk = chunk, Pause = pause };

    /// <summary>An S3-style error response.</summary>
    public static ProxyAction Error(int status, string code) => Respond(status, [],
        Encoding.UTF8.GetBytes($"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>injected by the test proxy</Message></Error>"));

    public static ProxyAction Respond(int status, IEnumerable<(string Name, string Value)> headers, byte[] body, long? contentLength = null)
    {
        var head = new StringBuilder($"HTTP/1.1 {status} X\r\nConnection: close\r\nContent-Length: {contentLength ?? body.Length}\r\n");
        foreach (var (name, value) in headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        return new ProxyAction([.. Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()), .. body]);
    }
}

/// <summary>
/// A fault-injecting HTTP proxy on 127.0.0.1: one request per connection (it asks for <c>Connection: close</c>),
/// each shown to <c>decide</c>, which forwards it to <c>upstream</c> untouched (the
/// signature stays valid: the Host header is kept) or answers it with an error or a broken body.
/// </summary>
public sealed class FaultProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri? _upstream;
    private readonly Func<ProxyRequest, ProxyAction> _decide;
    private readonly ConcurrentQueue<ProxyRequest> _requests = new();
    private readonly CancellationTokenSource _stop = new();
    private int _seq;

    public FaultProxy(string? upstream, Func<ProxyRequest, ProxyAction> decide)
    {
        _upstream = upstream is null ? null : new Uri(upstream);
        _decide = decide;
        _listener.Start();
        _ = AcceptLoopAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public IReadOnlyList<ProxyRequest> Requests => [.. _requests];

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(() => HandleAsync(client));
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var (head, rest) = await ReadHeadAsync(stream);
                if (head is null)
                {
                    return;
                }

                var lines = head.Split("\r\n");
                var first = lines[0].Split(' ');
                var headers = lines.Skip(1).Where(l => l.Contains(':'))
                    .Select(l => (Name: l[..l.IndexOf(':')].Trim(), Value: l[(l.IndexOf(':') + 1)..].Trim()))
                    .GroupBy(h => h.Name, StringComparer.OrdinalIgnoreCase)
                    .ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.OrdinalIgnoreCase);
                var request = new ProxyRequest(Interlocked.Increment(ref _seq), first[0], first[1], headers);
                _requests.Enqueue(request);
                var action = _decide(request);
                if (action.Swallow)
                {
                    await DrainAsync(stream, long.MaxValue);
                    return;
                }

                if (action.Raw is { } raw)
                {
                    // The body the client may still be sending is drained, so it reads our answer, not a reset.
                    if (!headers.ContainsKey("Expect") && headers.TryGetValue("Content-Length", out var length))
                    {
                        await DrainAsync(stream, long.Parse(length) - rest.Length);
                    }

                    await CopySlowlyAsync(new MemoryStream(raw), stream, action);
                    await stream.FlushAsync();
                    client.Client.Shutdown(SocketShutdown.Send);
                    return;
                }

                await ForwardAsync(stream, lines, rest, action);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
                // the client went away
            }
        }
    }

    private async Task ForwardAsync(NetworkStream client, string[] lines, byte[] rest, ProxyAction action)
    {
        using var upstream = new TcpClient();
        await upstream.ConnectAsync(_upstream!.Host, _upstream.Port);
        var server = upstream.GetStream();
        var head = string.Join("\r\n", lines.Where(l => !l.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase)))
                   + "\r\nConnection: close\r\n\r\n";
        await server.WriteAsync(Encoding.ASCII.GetBytes(head));
        await server.WriteAsync(rest);
        var up = CopySlowlyAsync(client, server, action);
        await CopySlowlyAsync(server, client, action);
        await client.FlushAsync();
    }

    /// <summary>Copies everything, at the action's pace when it has one.</summary>
    private static async Task CopySlowlyAsync(Stream from, Stream to, ProxyAction action)
    {
        if (action.Chunk <= 0)
        {
            await from.CopyToAsync(to);
            return;
        }

        var buffer = new byte[action.Chunk];
        int read;
        while ((read = await from.ReadAsync(buffer)) > 0)
        {
            await to.WriteAsync(buffer.AsMemory(0, read));
            await to.FlushAsync();
            await Task.Delay(action.Pause);
        }
    }

    private static async Task<(string? Head, byte[] Body)> ReadHeadAsync(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var chunk = new byte[8192];
        while (true)
        {
            var end = IndexOfHeadEnd(buffer);
            if (end >= 0)
            {
                return (Encoding.ASCII.GetString(buffer.GetRange(0, end).ToArray()), buffer.Skip(end + 4).ToArray());
            }

            var read = await stream.ReadAsync(chunk);
            if (read == 0)
            {
                return (null, []);
            }

            buffer.AddRange(chunk.AsSpan(0, read).ToArray());
        }
    }

    private static int IndexOfHeadEnd(List<byte> buffer)
    {
        for (var i = 0; i + 3 < buffer.Count; i++)
        {
            if (buffer[i] == '\r' && buffer[i + 1] == '\n' && buffer[i + 2] == '\r' && buffer[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }

    private static async Task DrainAsync(Stream stream, long count)
    {
        var buffer = new byte[65536];
        while (count > 0)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count)));
            if (read == 0)
            {
                return;
            }

            count -= read;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        _stop.Dispose();
    }
}
