using System.Net;
using Amazon.Runtime;

namespace LfsS3Agent.S3;

/// <summary>An attempt on which the endpoint stayed silent for <c>lfs-s3.timeout</c>: an I/O error, so the SDK retries it and a body resumes.</summary>
internal sealed class SilentEndpointException(string message, Exception? inner = null) : IOException(message, inner);

/// <summary>
/// The S3 client's HTTP stack: timeouts on silence, never on duration. A connection must open, and each write of a
/// request body, the response's headers and each read of its body must make progress, within <c>lfs-s3.timeout</c>;
/// a large transfer that keeps moving runs as long as it takes (the whole-request timeout is off).
/// </summary>
internal sealed class SilenceTimeoutHttpClientFactory(TimeSpan silence) : HttpClientFactory
{
    // The handlers belong to the HttpClient (disposeHandler), which the SDK keeps and disposes with the S3 client.
#pragma warning disable CA2000
    public override HttpClient CreateHttpClient(IClientConfig clientConfig)
    {
        var sockets = new SocketsHttpHandler
        {
            ConnectTimeout = silence,
            AllowAutoRedirect = clientConfig.AllowAutoRedirect,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
        };
        if (clientConfig.GetWebProxy() is { } proxy)
        {
            sockets.Proxy = proxy;
        }

        return new HttpClient(new SilenceHandler(silence, sockets), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }
#pragma warning restore CA2000

    /// <summary>The message for an endpoint that stayed silent, naming it and the setting.</summary>
    public static string Message(string endpoint, TimeSpan silence, string what) =>
        $"the S3 endpoint {endpoint} {what} for {silence.TotalSeconds:0.#} s (lfs-s3.timeout): a firewall, VPN or proxy may be swallowing the requests. "
        + "Check the network and lfs-s3.endpoint; on a slow link raise the timeout (git config lfs-s3.timeout 2m, or LFS_S3_TIMEOUT)";

    /// <summary>Watches one request: connection, body written, headers read; then hands the body to a watched stream.</summary>
    private sealed class SilenceHandler(TimeSpan silence, HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private const long SmallBody = 1 << 20;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var endpoint = request.RequestUri?.GetLeftPart(UriPartial.Authority) ?? "(unknown)";
            // The SDK asks for "100 Continue" before every PUT body: a round trip per object, a third of a small file's
            // time at 20 ms. A small body goes with its headers; a refused one costs less than that wait.
            if (request.Headers.ExpectContinue == true && request.Content?.Headers.ContentLength <= SmallBody)
            {
                request.Headers.ExpectContinue = false;
            }

            HttpResponseMessage response;
            using (var watchdog = new Watchdog(silence, cancellationToken))
            {
                if (request.Content is { } body)
                {
                    request.Content = new WatchedRequestContent(body, watchdog);
                }

                try
                {
                    response = await base.SendAsync(request, watchdog.Token);
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested && (watchdog.Fired || IsConnectTimeout(ex)))
                {
                    throw new SilentEndpointException(Message(endpoint, silence,
                        IsConnectTimeout(ex) ? "did not accept a connection" : "accepted the connection but sent no answer"), ex);
                }
            }

            response.Content = new WatchedResponseContent(response.Content, silence, endpoint);
            return response;
        }

        private static bool IsConnectTimeout(Exception ex)
        {
            for (var e = ex; e is not null; e = e.InnerException)
            {
                if (e is TimeoutException)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Cancels the request when nothing moved for the silence; every write of the body winds it up again.</summary>
    private sealed class Watchdog : IDisposable
    {
        private readonly CancellationTokenSource _source;
        private readonly TimeSpan _silence;
        private readonly CancellationToken _outer;
        private readonly Lock _gate = new();
        private bool _disposed;

        public Watchdog(TimeSpan silence, CancellationToken outer)
        {
            (_silence, _outer) = (silence, outer);
            _source = CancellationTokenSource.CreateLinkedTokenSource(outer);
            _source.CancelAfter(silence);
        }

        public CancellationToken Token => _source.Token;

        public bool Fired => _source.IsCancellationRequested && !_outer.IsCancellationRequested;

        public void Poke()
        {
            lock (_gate)
            {
                if (!_disposed)
                {
                    _source.CancelAfter(_silence);
                }
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _disposed = true;
                _source.Dispose();
            }
        }
    }

    /// <summary>Another content's headers, length and lifetime; the subclass routes its bytes through a watch.</summary>
    private abstract class WatchedContent : HttpContent
    {
        protected WatchedContent(HttpContent inner)
        {
            Inner = inner;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected HttpContent Inner { get; }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override bool TryComputeLength(out long length)
        {
            length = Inner.Headers.ContentLength ?? -1;
            return length >= 0;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>The SDK's request body, written through a stream that winds the watchdog up after every write.</summary>
    private sealed class WatchedRequestContent(HttpContent inner, Watchdog watchdog) : WatchedContent(inner)
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            // Disposing the pass-through leaves the connection's stream alone.
            await using var poking = new PokingStream(stream, watchdog);
            await Inner.CopyToAsync(poking, context, cancellationToken);
        }
    }

    /// <summary>The response body, read through a stream on which every read must bring a byte within the silence.</summary>
    private sealed class WatchedResponseContent(HttpContent inner, TimeSpan silence, string endpoint) : WatchedContent(inner)
    {
        protected override async Task<Stream> CreateContentReadStreamAsync(CancellationToken cancellationToken) =>
            new SilenceStream(await Inner.ReadAsStreamAsync(cancellationToken), silence, endpoint);

        protected override Task<Stream> CreateContentReadStreamAsync() => CreateContentReadStreamAsync(CancellationToken.None);

        protected override Stream CreateContentReadStream(CancellationToken cancellationToken) =>
            new SilenceStream(Inner.ReadAsStream(cancellationToken), silence, endpoint);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            await using var body = await CreateContentReadStreamAsync(cancellationToken);
            await body.CopyToAsync(stream, cancellationToken);
        }
    }

    /// <summary>A write-only pass-through that winds the watchdog up after each write that completed.</summary>
    private sealed class PokingStream(Stream inner, Watchdog watchdog) : Stream
    {
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            watchdog.Poke();
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            watchdog.Poke();
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    /// <summary>A read-only pass-through whose every read fails with <see cref="SilentEndpointException"/> after the silence.</summary>
    private sealed class SilenceStream(Stream inner, TimeSpan silence, string endpoint) : ReadOnlyBody
    {
        // Also for the synchronous reads the SDK parses small XML answers with (ReadOnlyBody.Read comes here).
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            using var watchdog = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            watchdog.CancelAfter(silence);
            try
            {
                return await inner.ReadAsync(buffer, watchdog.Token);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new SilentEndpointException(Message(endpoint, silence, "stopped sending in the middle of a response"), ex);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
