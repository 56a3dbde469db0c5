using System.IO.Compression;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using LfsS3Agent.Core;
using LfsS3Agent.Core.Storage;
using LfsS3Agent.Core.Transfer;

namespace LfsS3Agent.S3;

/// <summary>
/// Versioned objects in one S3 bucket through AWSSDK.S3; every failure leaves as a <see cref="StoreException"/>.
/// The one owner of retries: the SDK retries each request <c>MaxRetries</c> times, a download body that
/// breaks off is resumed from where it stopped as often, and nothing above the store retries again.
/// </summary>
internal sealed class S3ObjectStore(Lazy<(AmazonS3Client Client, string CredentialSource)> connection, S3Options options)
    : IObjectStore
{
    /// <summary>S3 allows at most 10,000 parts, each of at most 5 GiB.</summary>
    private const int MaxParts = 10_000;

    internal const string OidMetadata = "lfs-oid";

    /// <summary>The object's own size, on versions stored compressed (their listed size is the compressed one).</summary>
    internal const string SizeMetadata = "lfs-size";

    /// <summary>How a version's bytes are stored: <c>Content-Encoding</c> and the object's size once decoded.</summary>
    private sealed record Coding(string ContentEncoding, long ObjectSize);

    public bool KeepsCompressed => true;

    private S3Target Target => new(options.Bucket, options.Region, options.Endpoint,
        connection.IsValueCreated ? connection.Value.CredentialSource : "credentials not resolved yet");

    public string Id => $"{options.Endpoint ?? "aws"}|{options.Bucket}";

    private string Bucket => options.Bucket;

    private int MaxRetries => options.MaxRetries;

    public string Describe(string key) => $"s3://{options.Bucket}/{key}";

    public IReadOnlyList<StoreCheck> Checks =>
    [
        new("credentials", CheckCredentialsAsync),
        new("clock", ct => S3Clock.CheckAsync(options, ct)),
    ];

    public IReadOnlyList<StoreCheck> BucketChecks =>
    [
        new("lifecycle", CheckLifecycleAsync),
        new("encryption", CheckEncryptionAsync),
    ];

    /// <summary>The bucket's default encryption and this repository's choice; the permissions probe then writes with it.</summary>
    private async Task<CheckResult> CheckEncryptionAsync(CancellationToken cancellationToken)
    {
        string bucketDefault;
        try
        {
            var response = await Call(null, c => c.GetBucketEncryptionAsync(new GetBucketEncryptionRequest { BucketName = options.Bucket }, cancellationToken));
            var rule = response.ServerSideEncryptionConfiguration?.ServerSideEncryptionRules?.FirstOrDefault()?.ServerSideEncryptionByDefault;
            bucketDefault = rule is null ? "none"
                : $"{rule.ServerSideEncryptionAlgorithm?.Value}{(rule.ServerSideEncryptionKeyManagementServiceKeyId is { Length: > 0 } k ? " key " + k : "")}";
        }
        catch (StoreException ex)
        {
            bucketDefault = ex.Code is ErrorCodes.NotFound or ErrorCodes.BadRequest ? "none" : $"not readable ({ex.Message})";
        }

        var chosen = options.Sse is null ? "none set (lfs-s3.sse): objects get the bucket's default"
            : $"lfs-s3.sse {options.Sse}{(options.KmsKeyId is { } id ? " key " + id : "")} on every write (the permissions probe below uses it)";
        return CheckResult.Ok($"bucket default: {bucketDefault}; {chosen}");
    }

    /// <summary>
    /// A rule that expires non-current versions under the prefix would silently delete what old commits need; a
    /// rule that aborts unfinished multipart uploads is the cheap way to stop paying for interrupted pushes.
    /// </summary>
    private async Task<CheckResult> CheckLifecycleAsync(CancellationToken cancellationToken)
    {
        GetLifecycleConfigurationResponse response;
        try
        {
            response = await Call(null, c => c.GetLifecycleConfigurationAsync(new GetLifecycleConfigurationRequest { BucketName = options.Bucket }, cancellationToken));
        }
        catch (StoreException ex) when (ex.Code == ErrorCodes.NotFound)
        {
            response = new GetLifecycleConfigurationResponse();
        }
        catch (StoreException ex)
        {
            return CheckResult.Warn($"cannot read the bucket's lifecycle rules ({ex.Message}); make sure none expires non-current versions under the prefix");
        }

        var prefix = options.Prefix.Length == 0 ? "" : options.Prefix + "/";
        var rules = (response.Configuration?.Rules ?? []).Where(r => r.Status == LifecycleRuleStatus.Enabled).ToList();
        var covering = rules.Where(r => RulePrefix(r) is var p && (prefix.StartsWith(p, StringComparison.Ordinal) || p.StartsWith(prefix, StringComparison.Ordinal))).ToList();
        var expiring = covering.Where(r => r.NoncurrentVersionExpiration is not null || r.Expiration is { Days: > 0 } or { Date: not null }).ToList();
        if (expiring.Count > 0)
        {
            return CheckResult.Warn($"lifecycle rule {string.Join(", ", expiring.Select(r => $"\"{r.Id}\""))} expires versions under {Describe(prefix)}: "
                + "old commits would lose their files without warning. Exclude the prefix from the rule, and use `git lfs-s3 prune` to remove only what no commit needs");
        }

        var aborts = covering.Any(r => r.AbortIncompleteMultipartUpload is not null);
        return CheckResult.Ok(aborts ? "no rule expires versions under the prefix; unfinished uploads are aborted by a rule"
            : "no rule expires versions under the prefix; consider a rule that aborts unfinished multipart uploads after a few days "
              + "(AbortIncompleteMultipartUpload), or run `git lfs-s3 prune` now and then");
    }

    /// <summary>The prefix a rule covers ("" for the whole bucket); the old top-level Prefix is read by the SDK into Filter.</summary>
    private static string RulePrefix(LifecycleRule rule) =>
        rule.Filter?.LifecycleFilterPredicate is LifecyclePrefixPredicate p ? p.Prefix ?? ""
        : rule.Filter?.LifecycleFilterPredicate is LifecycleAndOperator { Operands: { } operands } ? operands.OfType<LifecyclePrefixPredicate>().FirstOrDefault()?.Prefix ?? ""
        : "";

    public string VersioningOffMessage(VersioningState state) => IsR2
        ? $"Cloudflare R2 has no object versioning, so git-lfs-s3 cannot keep the old versions of your files in bucket \"{options.Bucket}\": use a service with versioning (AWS S3, MinIO, Ceph, Backblaze B2, Wasabi, ...)"
        : $"bucket \"{options.Bucket}\" has versioning {(state == VersioningState.Suspended ? "suspended" : "off")}, so edited files would overwrite "
        + "their old versions and old commits could not be checked out; enable it with `aws s3api put-bucket-versioning "
        + $"--bucket {options.Bucket} --versioning-configuration Status=Enabled{(options.Endpoint is null ? "" : " --endpoint-url " + options.Endpoint)}`";

    private bool IsR2 => options.Endpoint?.Contains(".r2.cloudflarestorage.com", StringComparison.OrdinalIgnoreCase) == true;

    private Task<CheckResult> CheckCredentialsAsync(CancellationToken cancellationToken)
    {
        try
        {
            return Task.FromResult(CheckResult.Ok($"from {connection.Value.CredentialSource}"));
        }
        catch (StoreException ex)
        {
            return Task.FromResult(CheckResult.Fail(ex.Message, stop: true));
        }
    }

    public async Task<VersioningState> GetVersioningAsync(CancellationToken cancellationToken)
    {
        var response = await Call(null, c => c.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = options.Bucket }, cancellationToken));
        var status = response.VersioningConfig?.Status;
        return status == VersionStatus.Enabled ? VersioningState.Enabled
            : status == VersionStatus.Suspended ? VersioningState.Suspended
            : VersioningState.Off;
    }

    public async Task<string> UploadAsync(string key, string filePath, long size, string oid, IProgressReporter progress,
        CancellationToken cancellationToken) =>
        Versioned(key, await WriteAsync(key, filePath, size, oid, progress, cancellationToken));

    public async Task<string> UploadCompressedAsync(string key, string gzipPath, long storedSize, string oid, long objectSize,
        IProgressReporter progress, CancellationToken cancellationToken) =>
        Versioned(key, await WriteAsync(key, gzipPath, storedSize, oid, progress, cancellationToken, new Coding("gzip", objectSize)));

    /// <summary>A write into the repository's bucket must have made a version: without one, an edit would destroy the old content.</summary>
    private string Versioned(string key, string? versionId) => !string.IsNullOrEmpty(versionId) && versionId != "null" ? versionId
        : throw new StoreException(ErrorCodes.NotConfigured, $"S3 returned no version id for {Describe(key)}: " + VersioningOffMessage(VersioningState.Off));

    public Task PutFileAsync(string key, string filePath, long size, string oid, CancellationToken cancellationToken) =>
        WriteAsync(key, filePath, size, oid, NoProgress.Instance, cancellationToken);

    private async Task<string?> WriteAsync(string key, string filePath, long size, string oid, IProgressReporter progress,
        CancellationToken cancellationToken, Coding? coding = null) => size <= options.MultipartThreshold
            ? await PutAsync(key, filePath, oid, progress, cancellationToken, coding)
            : await MultipartAsync(key, filePath, size, oid, progress, cancellationToken, coding);

    /// <summary>The OID, and for a compressed version its encoding and original size, in a write's headers and metadata.</summary>
    private static void Label(MetadataCollection metadata, HeadersCollection headers, string oid, Coding? coding)
    {
        metadata[OidMetadata] = oid;
        if (coding is not null)
        {
            headers.ContentEncoding = coding.ContentEncoding;
            metadata[SizeMetadata] = coding.ObjectSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    private async Task<string?> PutAsync(string key, string filePath, string oid, IProgressReporter progress, CancellationToken cancellationToken,
        Coding? coding)
    {
        var request = new PutObjectRequest
        {
            BucketName = options.Bucket,
            Key = key,
            FilePath = filePath,
            ContentType = ContentTypes.For(key),
            StreamTransferProgress = (_, e) => progress.Report(e.TransferredBytes),
            // radosgw keeps the streaming signature's "Content-Encoding: aws-chunked" and serves it to browsers and
            // CDNs; a plainly signed body is stored as itself. Over HTTPS the payload need not be hashed first.
            UseChunkEncoding = false,
            DisablePayloadSigning = options.Endpoint is null || options.Endpoint.StartsWith("https:", StringComparison.OrdinalIgnoreCase),
        };
        Label(request.Metadata, request.Headers, oid, coding);
        Encrypt(request);
        var response = await Call(key, c => c.PutObjectAsync(request, cancellationToken));
        return response.VersionId;
    }

    private Task<string?> MultipartAsync(string key, string filePath, long size, string oid, IProgressReporter progress,
        CancellationToken cancellationToken, Coding? coding)
    {
        long total = 0;
        return InPartsAsync(key, size, oid, coding, async (uploadId, number, first, length, ct) =>
        {
            long counted = 0;
            var request = new UploadPartRequest
            {
                BucketName = options.Bucket,
                Key = key,
                UploadId = uploadId,
                PartNumber = number,
                FilePath = filePath,
                FilePosition = first,
                PartSize = length,
                StreamTransferProgress = (_, e) =>
                {
                    // A retried part starts again from zero; count each part's bytes once.
                    var previous = Interlocked.Exchange(ref counted, Math.Max(e.TransferredBytes, Volatile.Read(ref counted)));
                    var delta = Math.Max(0, e.TransferredBytes - previous);
                    progress.Report(Interlocked.Add(ref total, delta));
                },
            };
            return (await Call(key, c => c.UploadPartAsync(request, ct))).ETag;
        }, cancellationToken);
    }

    /// <summary>
    /// One multipart write (an upload or a copy): parts large enough that no object needs more than 10,000, written
    /// <c>ParallelParts</c> at a time by <paramref name="writePart"/> (upload id, part number, first byte, length;
    /// returns the part's ETag), then completed, or aborted on any failure. Returns the new version id.
    /// </summary>
    private async Task<string?> InPartsAsync(string key, long size, string oid, Coding? coding,
        Func<string, int, long, long, CancellationToken, Task<string>> writePart, CancellationToken cancellationToken)
    {
        var partSize = Math.Max(options.PartSize, (size + MaxParts - 1) / MaxParts);
        var partCount = (int)((size + partSize - 1) / partSize);
        var create = new InitiateMultipartUploadRequest { BucketName = options.Bucket, Key = key, ContentType = ContentTypes.For(key) };
        Label(create.Metadata, create.Headers, oid, coding);
        Encrypt(create);
        var uploadId = (await Call(key, c => c.InitiateMultipartUploadAsync(create, cancellationToken))).UploadId;
        try
        {
            var etags = new PartETag[partCount];
            await Parallel.ForAsync(0, partCount,
                new ParallelOptions { MaxDegreeOfParallelism = options.ParallelParts, CancellationToken = cancellationToken },
                async (index, ct) =>
                {
                    var first = index * partSize;
                    etags[index] = new PartETag(index + 1, await writePart(uploadId, index + 1, first, Math.Min(partSize, size - first), ct));
                });
            var complete = new CompleteMultipartUploadRequest { BucketName = options.Bucket, Key = key, UploadId = uploadId, PartETags = [.. etags] };
            return (await Call(key, c => c.CompleteMultipartUploadAsync(complete, cancellationToken))).VersionId;
        }
        catch
        {
            await AbortAsync(key, uploadId);
            throw;
        }
    }

    private async Task AbortAsync(string key, string uploadId)
    {
        try
        {
            await connection.Value.Client.AbortMultipartUploadAsync(
                new AbortMultipartUploadRequest { BucketName = options.Bucket, Key = key, UploadId = uploadId }, CancellationToken.None);
        }
        catch (Exception ex) when (ex is AmazonClientException or AmazonServiceException or IOException or HttpRequestException)
        {
            // best effort: an unfinished upload is only billed storage; a lifecycle rule cleans it up
        }
    }

    public Task DownloadAsync(string key, string versionId, Stream destination, IProgressReporter progress, CancellationToken cancellationToken) =>
        ReadAsync(key, versionId, destination, inflate: true, cancellationToken);

    /// <summary>
    /// Copies a version's body to <paramref name="destination"/>, inflated when it is stored gzip-encoded and
    /// <paramref name="inflate"/> is set (a copy through this machine keeps the stored bytes as they are).
    /// </summary>
    private async Task ReadAsync(string key, string versionId, Stream destination, bool inflate, CancellationToken cancellationToken)
    {
        await using var body = await ResumableBody.OpenAsync(this, key, versionId, cancellationToken);
        await using var source = inflate && body.Gzip ? new GZipStream(body, CompressionMode.Decompress) : (Stream)body;
        var buffer = new byte[1 << 20];
        while (true)
        {
            int read;
            try
            {
                read = await source.ReadAsync(buffer, cancellationToken);
            }
            catch (InvalidDataException ex)
            {
                throw new StoreException(ErrorCodes.IntegrityError, $"{Describe(key)} version {versionId} is marked gzip-compressed but does not inflate: {ex.Message}", ex);
            }

            if (read == 0)
            {
                return;
            }

            // Local write failures (disk full, a size limit) are not S3's and are not retried.
            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }

    private async Task<GetObjectResponse> GetAsync(string key, string versionId, long from, CancellationToken cancellationToken)
    {
        var request = new GetObjectRequest { BucketName = options.Bucket, Key = key, VersionId = Version(versionId) };
        if (from > 0)
        {
            request.ByteRange = new ByteRange($"bytes={from}-");
        }

        return await Call(key, c => c.GetObjectAsync(request, cancellationToken));
    }

    /// <summary>
    /// A version's stored bytes as one stream: a body that breaks off is resumed with a ranged GET from where it
    /// stopped, up to <c>lfs-s3.maxretries</c> times, so readers above (gzip, hashing) never see the break.
    /// </summary>
    private sealed class ResumableBody : Stream
    {
        private readonly S3ObjectStore _store;
        private readonly string _key;
        private readonly string _versionId;
        private GetObjectResponse _response;
        private long _position;
        private int _resumed;

        private ResumableBody(S3ObjectStore store, string key, string versionId, GetObjectResponse response)
        {
            (_store, _key, _versionId, _response) = (store, key, versionId, response);
            Gzip = IsGzip(response.Headers.ContentEncoding);
        }

        public static async Task<ResumableBody> OpenAsync(S3ObjectStore store, string key, string versionId, CancellationToken cancellationToken) =>
            new(store, key, versionId, await store.GetAsync(key, versionId, 0, cancellationToken));

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
                    if (_resumed++ >= _store.MaxRetries)
                    {
                        throw S3Errors.Translate(ex, _store.Target, _key);
                    }

                    _response.Dispose();
                    _response = await _store.GetAsync(_key, _versionId, _position, cancellationToken);
                }
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _response.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>A version's stored length and, when stored compressed, its coding: what a copy must carry over.</summary>
    private async Task<(long Length, Coding? Coding)> StoredFormAsync(string key, string versionId, CancellationToken cancellationToken)
    {
        var response = await HeadAsync(key, versionId, cancellationToken);
        return (response.ContentLength, CodingOf(response));
    }

    private static Coding? CodingOf(GetObjectMetadataResponse response) =>
        IsGzip(response.Headers.ContentEncoding) && ObjectSize(response.Metadata) is { } size ? new Coding("gzip", size) : null;

    private Task<GetObjectMetadataResponse> HeadAsync(string key, string versionId, CancellationToken cancellationToken) =>
        Call(key, c => c.GetObjectMetadataAsync(
            new GetObjectMetadataRequest { BucketName = options.Bucket, Key = key, VersionId = Version(versionId) }, cancellationToken));

    private static bool IsGzip(string? contentEncoding) => contentEncoding?.Contains("gzip", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>The object's own size recorded with a version stored compressed, or null.</summary>
    private static long? ObjectSize(MetadataCollection metadata) =>
        long.TryParse(metadata[SizeMetadata], System.Globalization.CultureInfo.InvariantCulture, out var size) ? size : null;

    public async Task<IReadOnlyList<StoredVersion>> ListVersionsAsync(string key, CancellationToken cancellationToken)
    {
        var result = new List<StoredVersion>();
        var request = new ListVersionsRequest { BucketName = options.Bucket, Prefix = key };
        while (true)
        {
            var response = await Call(key, c => c.ListVersionsAsync(request, cancellationToken));
            var past = false;
            foreach (var version in response.Versions ?? [])
            {
                if (version.Key != key)
                {
                    // Listing is sorted by key: once past our key, only longer keys sharing the prefix follow.
                    past |= string.CompareOrdinal(version.Key, key) > 0;
                    continue;
                }

                if (version.IsDeleteMarker != true)
                {
                    result.Add(new StoredVersion(key, version.VersionId, version.Size ?? 0, version.IsLatest == true, Time(version.LastModified)));
                }
            }

            if (past || response.IsTruncated != true)
            {
                return result;
            }

            request.KeyMarker = response.NextKeyMarker;
            request.VersionIdMarker = response.NextVersionIdMarker;
        }
    }

    public async Task<IReadOnlyList<StoredVersion>> ListAllVersionsAsync(string prefix, CancellationToken cancellationToken)
    {
        var result = new List<StoredVersion>();
        var request = new ListVersionsRequest { BucketName = options.Bucket, Prefix = prefix };
        while (true)
        {
            var response = await Call(prefix, c => c.ListVersionsAsync(request, cancellationToken));
            result.AddRange((response.Versions ?? []).Where(v => v.IsDeleteMarker != true)
                .Select(v => new StoredVersion(v.Key, v.VersionId, v.Size ?? 0, v.IsLatest == true, Time(v.LastModified))));
            if (response.IsTruncated != true)
            {
                return result;
            }

            request.KeyMarker = response.NextKeyMarker;
            request.VersionIdMarker = response.NextVersionIdMarker;
        }
    }

    /// <summary>
    /// "The oldest version of the lock key holds the lock": write a version, list the key's versions, and if an older
    /// one exists, delete ours and report its holder. Why two clients can never both hold it: S3 orders a key's versions
    /// by when their writes completed, and a listing made after one's own write sees every version written before it
    /// (strong read-after-write consistency). If A's write came first and both saw their own as the oldest, B's listing,
    /// made after B's write and so after A's, must have shown A's version unless it was deleted; A deletes its version only
    /// when it is not the oldest (then A does not hold the lock) or when the lock is released or broken (then A no longer
    /// holds it). Conditional writes (If-None-Match) would be simpler, but radosgw ignores them on versioned buckets.
    /// A writer that dies between its write and its delete leaves a newer version behind: harmless until every older
    /// version is released, then it holds the lock under its record, and `locks` shows it for its owner to release.
    /// </summary>
    public async Task<HeldLock> AcquireLockAsync(string key, byte[] record, CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = options.Bucket, Key = key, InputStream = new MemoryStream(record), ContentType = "application/json", UseChunkEncoding = false,
        };
        Encrypt(request);
        var mine = Versioned(key, (await Call(key, c => c.PutObjectAsync(request, cancellationToken))).VersionId);
        var versions = await ListVersionsAsync(key, cancellationToken);

        var oldest = versions.Count == 0 ? null : versions[^1];
        if (oldest is null || oldest.VersionId == mine)
        {
            return new HeldLock(key, mine, record);
        }

        await DeleteVersionAsync(key, mine, cancellationToken);
        return await ReadVersionAsync(key, oldest.VersionId, cancellationToken)
            ?? await ReadLockAsync(key, cancellationToken)
            ?? new HeldLock(key, oldest.VersionId, []);
    }

    public async Task<HeldLock?> ReadLockAsync(string key, CancellationToken cancellationToken)
    {
        var versions = await ListVersionsAsync(key, cancellationToken);
        return versions.Count == 0 ? null : await ReadVersionAsync(key, versions[^1].VersionId, cancellationToken);
    }

    /// <summary>One version's bytes, or null when it was deleted meanwhile (a release).</summary>
    private async Task<HeldLock?> ReadVersionAsync(string key, string versionId, CancellationToken cancellationToken)
    {
        try
        {
            using var buffer = new MemoryStream();
            await DownloadAsync(key, versionId, buffer, NoProgress.Instance, cancellationToken);
            return new HeldLock(key, versionId, buffer.ToArray());
        }
        catch (StoreException ex) when (ex.Code == ErrorCodes.NotFound)
        {
            return null;
        }
    }

    public Task ReleaseLockAsync(HeldLock held, CancellationToken cancellationToken) => DeleteVersionAsync(held.Key, held.VersionId, cancellationToken);

    public async Task<IReadOnlyList<HeldLock>> ListLocksAsync(string folder, CancellationToken cancellationToken)
    {
        var result = new List<HeldLock>();
        foreach (var key in (await ListAllVersionsAsync(folder, cancellationToken)).GroupBy(v => v.Key))
        {
            // Newest first within a key: the last is the oldest, the holder.
            if (await ReadVersionAsync(key.Key, key.Last().VersionId, cancellationToken) is { } held)
            {
                result.Add(held);
            }
        }

        return result;
    }

    public async Task PutBytesAsync(string key, byte[] content, CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = options.Bucket, Key = key, InputStream = new MemoryStream(content), ContentType = "application/json", UseChunkEncoding = false,
        };
        Encrypt(request);
        await Call(key, c => c.PutObjectAsync(request, cancellationToken));
    }

    public async Task<IReadOnlyList<UnfinishedUpload>> ListUnfinishedUploadsAsync(string prefix, CancellationToken cancellationToken)
    {
        var result = new List<UnfinishedUpload>();
        var request = new ListMultipartUploadsRequest { BucketName = options.Bucket, Prefix = prefix };
        while (true)
        {
            var response = await Call(prefix, c => c.ListMultipartUploadsAsync(request, cancellationToken));
            result.AddRange((response.MultipartUploads ?? []).Select(u =>
                new UnfinishedUpload(u.Key, u.UploadId, Time(u.Initiated) ?? DateTimeOffset.UtcNow)));
            if (response.IsTruncated != true)
            {
                return result;
            }

            request.KeyMarker = response.NextKeyMarker;
            request.UploadIdMarker = response.NextUploadIdMarker;
        }
    }

    public async Task AbortUploadAsync(UnfinishedUpload upload, CancellationToken cancellationToken) =>
        await Call(upload.Key, c => c.AbortMultipartUploadAsync(
            new AbortMultipartUploadRequest { BucketName = options.Bucket, Key = upload.Key, UploadId = upload.UploadId }, cancellationToken));

    public async Task<IReadOnlyList<StoredVersion>?> ListFolderVersionsAsync(string folder, CancellationToken cancellationToken)
    {
        var request = new ListVersionsRequest { BucketName = options.Bucket, Prefix = folder, Delimiter = "/", MaxKeys = 1000 };
        var response = await Call(folder, c => c.ListVersionsAsync(request, cancellationToken));
        if (response.IsTruncated == true)
        {
            return null;
        }

        return (response.Versions ?? [])
            .Where(v => v.IsDeleteMarker != true && v.Key.StartsWith(folder, StringComparison.Ordinal) && v.Key.IndexOf('/', folder.Length) < 0)
            .Select(v => new StoredVersion(v.Key, v.VersionId, v.Size ?? 0, v.IsLatest == true, Time(v.LastModified)))
            .ToList();
    }

    public async Task<(string? Oid, long? ObjectSize)> GetIdentityAsync(string key, string versionId, CancellationToken cancellationToken)
    {
        var response = await HeadAsync(key, versionId, cancellationToken);
        return (response.Metadata[OidMetadata], ObjectSize(response.Metadata));
    }

    public async Task<string?> GetOidAsync(string key, string versionId, CancellationToken cancellationToken) =>
        (await HeadAsync(key, versionId, cancellationToken)).Metadata[OidMetadata];

    public async Task<string> PromoteAsync(string key, string versionId, CancellationToken cancellationToken)
    {
        // CopyObject takes objects up to 5 GB; larger ones would need UploadPartCopy (not done yet).
        var request = new CopyObjectRequest
        {
            SourceBucket = options.Bucket,
            SourceKey = key,
            SourceVersionId = versionId,
            DestinationBucket = options.Bucket,
            DestinationKey = key,
            MetadataDirective = S3MetadataDirective.COPY,
        };
        Encrypt(request);
        string? copied;
        try
        {
            copied = (await Call(key, c => c.CopyObjectAsync(request, cancellationToken))).VersionId;
        }
        catch (StoreException ex) when (CannotCopy(ex))
        {
            // radosgw 16 cannot copy encrypted objects: the bytes go through this machine instead.
            var head = await HeadAsync(key, versionId, cancellationToken);
            return await ThroughThisMachineAsync(this, key, versionId, key, head.Metadata[OidMetadata] ?? "", CodingOf(head), cancellationToken)
                ?? throw new StoreException(ErrorCodes.Internal, $"S3 returned no version id for {Describe(key)}");
        }

        // radosgw 16 leaves the new version's id out of the copy's answer: it is the key's latest now.
        return !string.IsNullOrEmpty(copied) ? copied
            : (await ListVersionsAsync(key, cancellationToken)).FirstOrDefault(v => v.IsLatest)?.VersionId
              ?? throw new StoreException(ErrorCodes.Internal, $"the copy of {Describe(key)} version {versionId} left no latest version");
    }

    public async Task DeleteVersionAsync(string key, string versionId, CancellationToken cancellationToken) =>
        await Call(key, c => c.DeleteObjectAsync(new DeleteObjectRequest { BucketName = options.Bucket, Key = key, VersionId = versionId }, cancellationToken));

    public async Task<string> LinkAsync(string key, string versionId, string fileName, bool download, TimeSpan lifetime,
        CancellationToken cancellationToken)
    {
        var request = new GetPreSignedUrlRequest
        {
            BucketName = options.Bucket,
            Key = key,
            VersionId = versionId,
            Verb = HttpVerb.GET,
            Expires = DateTime.UtcNow + lifetime,
            Protocol = options.Endpoint?.StartsWith("http:", StringComparison.OrdinalIgnoreCase) == true ? Protocol.HTTP : Protocol.HTTPS,
        };
        request.ResponseHeaderOverrides.ContentDisposition = ContentDisposition(fileName, download);
        // As the SDK wrote it: any re-escaping would break the signature.
        return await Call(key, c => c.GetPreSignedURLAsync(request));
    }

    /// <summary>RFC 6266: a plain ASCII name for old clients and the exact UTF-8 name for the rest.</summary>
    internal static string ContentDisposition(string fileName, bool download)
    {
        var ascii = new string(fileName.Select(c => c is < ' ' or > '~' or '"' or '\\' ? '_' : c).ToArray());
        return $"{(download ? "attachment" : "inline")}; filename=\"{ascii}\"; filename*=UTF-8''{Uri.EscapeDataString(fileName)}";
    }

    public async Task<IReadOnlyList<StoredVersion>> ListLatestAsync(string prefix, CancellationToken cancellationToken)
    {
        var result = new List<StoredVersion>();
        var request = new ListObjectsV2Request { BucketName = options.Bucket, Prefix = prefix };
        while (true)
        {
            var response = await Call(prefix, c => c.ListObjectsV2Async(request, cancellationToken));
            result.AddRange((response.S3Objects ?? []).Select(o => new StoredVersion(o.Key, "", o.Size ?? 0, true, Time(o.LastModified))));
            if (response.IsTruncated != true)
            {
                return result;
            }

            request.ContinuationToken = response.NextContinuationToken;
        }
    }

    public async Task CopyFromAsync(IObjectStore source, string sourceKey, string sourceVersionId, long size, string key, string oid,
        CancellationToken cancellationToken)
    {
        var s3 = source as S3ObjectStore
            ?? throw new StoreException(ErrorCodes.BadRequest, $"cannot copy from {source.Describe(sourceKey)} into {Describe(key)}: not the same kind of store");
        // The stored form, not the object's size: a compressed version is copied as it is stored, and stays marked so.
        var (length, coding) = await s3.StoredFormAsync(sourceKey, sourceVersionId, cancellationToken);
        try
        {
            await CopyAsync(s3.Bucket, sourceKey, sourceVersionId, length, key, oid, coding, cancellationToken);
        }
        catch (StoreException ex) when (CannotCopy(ex))
        {
            await ThroughThisMachineAsync(s3, sourceKey, sourceVersionId, key, oid, coding, cancellationToken);
        }
    }

    /// <summary>CopyObject copies up to 5 GB in one request; larger objects (and any above the multipart threshold) are copied in parts.</summary>
    private async Task CopyAsync(string sourceBucket, string sourceKey, string sourceVersionId, long size, string key, string oid,
        Coding? coding, CancellationToken cancellationToken)
    {
        if (size <= Math.Min(options.MultipartThreshold, MaxSingleCopy))
        {
            var request = new CopyObjectRequest
            {
                SourceBucket = sourceBucket,
                SourceKey = sourceKey,
                SourceVersionId = sourceVersionId,
                DestinationBucket = options.Bucket,
                DestinationKey = key,
                MetadataDirective = S3MetadataDirective.REPLACE,
                ContentType = ContentTypes.For(key),
            };
            Label(request.Metadata, request.Headers, oid, coding);
            Encrypt(request);
            await Call(key, c => c.CopyObjectAsync(request, cancellationToken));
            return;
        }

        await InPartsAsync(key, size, oid, coding, async (uploadId, number, first, length, ct) =>
        {
            var part = new CopyPartRequest
            {
                SourceBucket = sourceBucket,
                SourceKey = sourceKey,
                SourceVersionId = sourceVersionId,
                DestinationBucket = options.Bucket,
                DestinationKey = key,
                UploadId = uploadId,
                PartNumber = number,
                FirstByte = first,
                LastByte = first + length - 1,
            };
            return (await Call(key, c => c.CopyPartAsync(part, ct))).ETag;
        }, cancellationToken);
    }

    private const long MaxSingleCopy = 5L << 30;

    /// <summary>
    /// A copy made by downloading the version's stored bytes to a temporary file and writing them again, coding and
    /// all (radosgw cannot copy encrypted objects).
    /// </summary>
    private async Task<string?> ThroughThisMachineAsync(S3ObjectStore source, string sourceKey, string sourceVersionId, string key,
        string oid, Coding? coding, CancellationToken cancellationToken)
    {
        var temp = Path.GetTempFileName();
        try
        {
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await source.ReadAsync(sourceKey, sourceVersionId, file, inflate: false, cancellationToken);
            }

            return await WriteAsync(key, temp, new FileInfo(temp).Length, oid, NoProgress.Instance, cancellationToken, coding);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static bool CannotCopy(StoreException ex) => ex.InnerException is AmazonS3Exception { ErrorCode: "NotImplemented" };

    private ServerSideEncryptionMethod? Method => options.Sse switch
    {
        "AES256" => ServerSideEncryptionMethod.AES256,
        "aws:kms" => ServerSideEncryptionMethod.AWSKMS,
        _ => null,
    };

    // Bucket Keys cut KMS requests (and their cost) to one per bucket and time window instead of one per object.
    private void Encrypt(PutObjectRequest r)
    {
        if (Method is { } method)
        {
            (r.ServerSideEncryptionMethod, r.ServerSideEncryptionKeyManagementServiceKeyId, r.BucketKeyEnabled) = (method, options.KmsKeyId, method == ServerSideEncryptionMethod.AWSKMS);
        }
    }

    private void Encrypt(InitiateMultipartUploadRequest r)
    {
        if (Method is { } method)
        {
            (r.ServerSideEncryptionMethod, r.ServerSideEncryptionKeyManagementServiceKeyId, r.BucketKeyEnabled) = (method, options.KmsKeyId, method == ServerSideEncryptionMethod.AWSKMS);
        }
    }

    private void Encrypt(CopyObjectRequest r)
    {
        if (Method is { } method)
        {
            (r.ServerSideEncryptionMethod, r.ServerSideEncryptionKeyManagementServiceKeyId, r.BucketKeyEnabled) = (method, options.KmsKeyId, method == ServerSideEncryptionMethod.AWSKMS);
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        await Call(key, c => c.DeleteObjectAsync(new DeleteObjectRequest { BucketName = options.Bucket, Key = key }, cancellationToken));

    /// <summary>"" asks for the latest version (publish targets may have no versioning).</summary>
    private static string? Version(string versionId) => versionId.Length == 0 ? null : versionId;

    private static DateTimeOffset? Time(DateTime? time) => time is { } t ? new DateTimeOffset(t.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : t) : null;

    /// <summary>
    /// Runs one SDK call. The SDK has already retried a failed request by the time it throws, so the error is
    /// final; and once the endpoint proved unreachable, later calls within a short window fail at once
    /// instead of each waiting through the SDK's retries again (a push of many files fails in seconds).
    /// </summary>
    private async Task<T> Call<T>(string? key, Func<AmazonS3Client, Task<T>> action)
    {
        if (Volatile.Read(ref _unreachable) is { } last && DateTime.UtcNow - last.At < UnreachableWindow)
        {
            throw last.Error;
        }

        try
        {
            return await action(connection.Value.Client);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || ex is TaskCanceledException { InnerException: TimeoutException })
        {
            var error = S3Errors.Translate(ex, Target, key);
            if (error.InnerException is HttpRequestException or System.Net.Sockets.SocketException or IOException or TimeoutException or TaskCanceledException)
            {
                Volatile.Write(ref _unreachable, new Unreachable(DateTime.UtcNow, error));
            }

            throw error;
        }
    }

    private static readonly TimeSpan UnreachableWindow = TimeSpan.FromSeconds(30);
    private Unreachable? _unreachable;

    private sealed record Unreachable(DateTime At, StoreException Error);
}
