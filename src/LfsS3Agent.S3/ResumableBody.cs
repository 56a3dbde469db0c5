using Amazon.Runtime;
using Amazon.S3.Model;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.S3;

/// <summary>
/// A version's stored bytes as one stream: a body that breaks off is resumed with a ranged GET from where it
/// stopped, up to <c>lfs-s3.maxretries</c> times, so readers above (gzip, hashing) never see the break.
/// </summary>
internal sealed class ResumableBody : ReadOnlyBody
{
    private readonly S3Connection _connection;
    private readonly Func<long, CancellationToken, Task<GetObjectResponse>> _get;
    private readonly string _key;
    private readonly string _versionId;
    private GetObjectResponse _response;
    private long _position;
    private int _resumed;

    private ResumableBody(S3Connection connection, string key, string versionId, Func<long, CancellationToken, Task<GetObjectResponse>> get,
        GetObjectResponse response)
    {
        (_connection, _key, _versionId, _get, _response) = (connection, key, versionId, get, response);
        Gzip = S3ObjectStore.IsGzip(response.Headers.ContentEncoding);
        Length = response.ContentLength;
    }

    /// <summary>Opens the body with <paramref name="get"/> (its argument is the first byte wanted).</summary>
    public static async Task<ResumableBody> OpenAsync(S3Connection connection, string key, string versionId,
        Func<long, CancellationToken, Task<GetObjectResponse>> get, CancellationToken cancellationToken) =>
        new(connection, key, versionId, get, await get(0, cancellationToken));

    /// <summary>Stored with <c>Content-Encoding: gzip</c>.</summary>
    public bool Gzip { get; }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            try
            {
                var read = await _response.ResponseStream.ReadAsync(buffer, cancellationToken);
                _position += read;
                return read;
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or AmazonClientException)
            {
                var maxRetries = _connection.Options.MaxRetries;
                if (_resumed++ >= maxRetries)
                {
                    throw S3Errors.Translate(ex, _connection.Target, _key);
                }

                StoreLog.BodyResumed(_connection.Logger, _connection.Describe(_key), _versionId, _position, ex.Message, _resumed, maxRetries);
                _response.Dispose();
                _response = await _get(_position, cancellationToken);
            }
        }
    }

    /// <summary>The length of the body as first opened (for a plain GET, the stored size).</summary>
    public override long Length { get; }

    public override long Position { get => _position; set => throw new NotSupportedException(); }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _response.Dispose();
        }

        base.Dispose(disposing);
    }
}
