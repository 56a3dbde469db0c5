using System.IO.Compression;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.Util;
using LfsS3Agent.Core;
using LfsS3Agent.Core.Storage;
using Coding = LfsS3Agent.Core.Storage.StoredCoding;

namespace LfsS3Agent.S3;

/// <summary>
/// Versioned objects in one S3 bucket through AWSSDK.S3; every failure leaves as a <see cref="StoreException"/>.
/// The one owner of retries: the SDK retries each request <c>MaxRetries</c> times, a download body that
/// breaks off is resumed from where it stopped as often (<see cref="ResumableBody"/>), and nothing above the
/// store retries again. Besides the core it keeps compressed versions, publishes, keeps lock records
/// (S3ObjectStore.Locks.cs), lists for maintenance, signs links and serves as a copy source.
/// </summary>
internal sealed partial class S3ObjectStore(S3Connection connection)
    : IObjectStore, ICompressedWrites, IPublishTarget, ILockRecords, IStoreMaintenance, IStoreLinks, ICopySource
{
    /// <summary>S3 allows at most 10,000 parts, each of at most 5 GiB.</summary>
    private const int MaxParts = 10_000;

    private const long MaxSingleCopy = 5L << 30;

    internal const string OidMetadata = "lfs-oid";

    /// <summary>The object's own size, on versions stored compressed (their listed size is the compressed one).</summary>
    internal const string SizeMetadata = "lfs-size";

    private S3Options Options => connection.Options;

    public string Id => $"{Options.Endpoint ?? "aws"}|{Options.Bucket}";

    public string Describe(string key) => connection.Describe(key);

    public string VersioningOffMessage(VersioningState state) => IsR2
        ? $"Cloudflare R2 has no object versioning, so git-lfs-s3 cannot keep the old versions of your files in bucket \"{Options.Bucket}\": use a service with versioning (AWS S3, MinIO, Ceph, Backblaze B2, Wasabi, ...)"
        : $"bucket \"{Options.Bucket}\" has versioning {(state == VersioningState.Suspended ? "suspended" : "off")}, so edited files would overwrite "
        + "their old versions and old commits could not be checked out; enable it with `aws s3api put-bucket-versioning "
        + $"--bucket {Options.Bucket} --versioning-configuration Status=Enabled{(Options.Endpoint is null ? "" : " --endpoint-url " + Options.Endpoint)}`";

    private bool IsR2 => Options.Endpoint?.Contains(".r2.cloudflarestorage.com", StringComparison.OrdinalIgnoreCase) == true;

    public async Task<VersioningState> GetVersioningAsync(CancellationToken cancellationToken)
    {
        var response = await Call(null, c => c.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = Options.Bucket }, cancellationToken));
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
        CancellationToken cancellationToken, Coding? coding = null) => size <= Options.MultipartThreshold
            ? await PutAsync(key, filePath, oid, progress, coding, cancellationToken)
            : await MultipartAsync(key, filePath, size, oid, progress, coding, cancellationToken);

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

    private async Task<string?> PutAsync(string key, string filePath, string oid, IProgressReporter progress, Coding? coding,
        CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = Options.Bucket,
            Key = key,
            FilePath = filePath,
            ContentType = ContentTypes.For(key),
            StreamTransferProgress = (_, e) => progress.Report(e.TransferredBytes),
            // radosgw keeps the streaming signature's "Content-Encoding: aws-chunked" and serves it to browsers and
            // CDNs; a plainly signed body is stored as itself. Over HTTPS the payload need not be hashed first.
            UseChunkEncoding = false,
            DisablePayloadSigning = UnsignedPayload,
        };
        Label(request.Metadata, request.Headers, oid, coding);
        Encrypt(request);
        var response = await Call(key, c => c.PutObjectAsync(request, cancellationToken));
        return response.VersionId;
    }

    /// <summary>
    /// Over HTTPS (AWS itself when no endpoint is set) TLS already protects the body, so it goes unhashed; over plain
    /// HTTP the signature covers it (the SDK refuses an unsigned body there).
    /// </summary>
    private bool UnsignedPayload => Options.Endpoint is null || Options.Endpoint.StartsWith("https:", StringComparison.OrdinalIgnoreCase);

    private Task<string?> MultipartAsync(string key, string filePath, long size, string oid, IProgressReporter progress,
        Coding? coding, CancellationToken cancellationToken)
    {
        long total = 0;
        return InPartsAsync(key, size, oid, coding, async (uploadId, number, first, length, ct) =>
        {
            long counted = 0;
            var request = new UploadPartRequest
            {
                BucketName = Options.Bucket,
                Key = key,
                UploadId = uploadId,
                PartNumber = number,
                FilePath = filePath,
                FilePosition = first,
                PartSize = length,
                // As for a whole object; the SDK would otherwise sign a part chunk by chunk (aws-chunked), hashing it
                // on both ends even over HTTPS.
                UseChunkEncoding = false,
                DisablePayloadSigning = UnsignedPayload,
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
        var partSize = Math.Max(Options.PartSize, (size + MaxParts - 1) / MaxParts);
        var partCount = (int)((size + partSize - 1) / partSize);
        var create = new InitiateMultipartUploadRequest { BucketName = Options.Bucket, Key = key, ContentType = ContentTypes.For(key) };
        Label(create.Metadata, create.Headers, oid, coding);
        Encrypt(create);
        var uploadId = (await Call(key, c => c.InitiateMultipartUploadAsync(create, cancellationToken))).UploadId;
        try
        {
            var etags = new PartETag[partCount];
            await Parallel.ForAsync(0, partCount,
                new ParallelOptions { MaxDegreeOfParallelism = Options.ParallelParts, CancellationToken = cancellationToken },
                async (index, ct) =>
                {
                    var first = index * partSize;
                    etags[index] = new PartETag(index + 1, await writePart(uploadId, index + 1, first, Math.Min(partSize, size - first), ct));
                });
            var complete = new CompleteMultipartUploadRequest { BucketName = Options.Bucket, Key = key, UploadId = uploadId, PartETags = [.. etags] };
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
            await connection.Client.AbortMultipartUploadAsync(
                new AbortMultipartUploadRequest { BucketName = Options.Bucket, Key = key, UploadId = uploadId }, CancellationToken.None);
        }
        catch (Exception ex) when (ex is AmazonClientException or AmazonServiceException or IOException or HttpRequestException)
        {
            // best effort: an unfinished upload is only billed storage; a lifecycle rule cleans it up
        }
    }

    public Task DownloadAsync(string key, string versionId, Stream destination, IProgressReporter progress, CancellationToken cancellationToken) =>
        ReadAsync(key, versionId, destination, inflate: true, cancellationToken);

    public Task ReadStoredAsync(string key, string versionId, Stream destination, CancellationToken cancellationToken) =>
        ReadAsync(key, versionId, destination, inflate: false, cancellationToken);

    /// <summary>
    /// Copies a version's body to <paramref name="destination"/>, inflated when it is stored gzip-encoded and
    /// <paramref name="inflate"/> is set (a copy through this machine keeps the stored bytes as they are).
    /// </summary>
    private async Task ReadAsync(string key, string versionId, Stream destination, bool inflate, CancellationToken cancellationToken)
    {
        var plain = await ResumableBody.OpenAsync(connection, key, versionId, (from, ct) => GetAsync(key, versionId, from, null, ct), cancellationToken);
        var partSize = DownloadPartSize;
        await using var body = plain.Length < RangedBody.MinParts * partSize || Options.ParallelParts < 2 ? (Stream)plain
            : new RangedBody(plain, plain.Length, partSize, Options.ParallelParts, (first, last, ct) => ResumableBody.OpenAsync(connection, key, versionId,
                (from, c) => GetAsync(key, versionId, first + from, last, c), ct), cancellationToken);
        await using var source = inflate && plain.Gzip ? new GZipStream(body, CompressionMode.Decompress) : body;
        using var buffer = new CopyBuffer(plain.Length);
        while (true)
        {
            int read;
            try
            {
                read = await source.ReadAsync(buffer.Bytes, cancellationToken);
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
            await destination.WriteAsync(buffer.Bytes.AsMemory(0, read), cancellationToken);
        }
    }

    /// <summary>Ranges of a large download: 8 MiB like the AWS CLI's (smaller when lfs-s3.partsize is), at least 5 MiB.</summary>
    private long DownloadPartSize => Math.Min(Options.PartSize, 8L << 20);

    /// <summary>The version's bytes from <paramref name="from"/> to <paramref name="last"/> (inclusive; null: to the end).</summary>
    private async Task<GetObjectResponse> GetAsync(string key, string versionId, long from, long? last, CancellationToken cancellationToken)
    {
        var request = new GetObjectRequest { BucketName = Options.Bucket, Key = key, VersionId = Version(versionId) };
        if (from > 0 || last is not null)
        {
            request.ByteRange = new ByteRange($"bytes={from}-{last}");
        }

        var response = await Call(key, c => c.GetObjectAsync(request, cancellationToken));
        if (last is not null && response.ContentLength != last - from + 1)
        {
            // A server that ignores ranges answers with the whole object: those are not the bytes asked for.
            response.Dispose();
            throw new StoreException(ErrorCodes.IntegrityError,
                $"{Describe(key)} version {versionId}: asked for bytes {from}-{last}, S3 sent {response.ContentLength} bytes");
        }

        return response;
    }

    public async Task<StoredCopy> StoredCopyAsync(string key, string versionId, CancellationToken cancellationToken)
    {
        var response = await HeadAsync(key, versionId, cancellationToken);
        return new StoredCopy(new CopyLocation("s3", Options.Bucket, key, versionId), response.ContentLength, CodingOf(response));
    }

    private static Coding? CodingOf(GetObjectMetadataResponse response) =>
        IsGzip(response.Headers.ContentEncoding) && ObjectSize(response.Metadata) is { } size ? new Coding("gzip", size) : null;

    private Task<GetObjectMetadataResponse> HeadAsync(string key, string versionId, CancellationToken cancellationToken) =>
        Call(key, c => c.GetObjectMetadataAsync(
            new GetObjectMetadataRequest { BucketName = Options.Bucket, Key = key, VersionId = Version(versionId) }, cancellationToken));

    internal static bool IsGzip(string? contentEncoding) => contentEncoding?.Contains("gzip", StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>The object's own size recorded with a version stored compressed, or null.</summary>
    private static long? ObjectSize(MetadataCollection metadata) =>
        long.TryParse(metadata[SizeMetadata], System.Globalization.CultureInfo.InvariantCulture, out var size) ? size : null;

    public Task<IReadOnlyList<StoredVersion>> ListVersionsAsync(string key, CancellationToken cancellationToken)
    {
        var request = new ListVersionsRequest { BucketName = Options.Bucket, Prefix = key };
        return Listed(S3Pages.AllAsync<ListVersionsResponse, StoredVersion>(() => Call(key, c => c.ListVersionsAsync(request, cancellationToken)), (response, result) =>
        {
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

            return !past && NextVersions(request, response);
        }));
    }

    public Task<IReadOnlyList<StoredVersion>> ListAllVersionsAsync(string prefix, CancellationToken cancellationToken)
    {
        var request = new ListVersionsRequest { BucketName = Options.Bucket, Prefix = prefix };
        return Listed(S3Pages.AllAsync<ListVersionsResponse, StoredVersion>(() => Call(prefix, c => c.ListVersionsAsync(request, cancellationToken)), (response, result) =>
        {
            result.AddRange((response.Versions ?? []).Where(v => v.IsDeleteMarker != true)
                .Select(v => new StoredVersion(v.Key, v.VersionId, v.Size ?? 0, v.IsLatest == true, Time(v.LastModified))));
            return NextVersions(request, response);
        }));
    }

    /// <summary>Moves a version listing on to its next page; false when this was the last.</summary>
    private static bool NextVersions(ListVersionsRequest request, ListVersionsResponse response)
    {
        (request.KeyMarker, request.VersionIdMarker) = (response.NextKeyMarker, response.NextVersionIdMarker);
        return response.IsTruncated == true;
    }

    private static async Task<IReadOnlyList<T>> Listed<T>(Task<List<T>> listing) => await listing;

    public Task<IReadOnlyList<UnfinishedUpload>> ListUnfinishedUploadsAsync(string prefix, CancellationToken cancellationToken)
    {
        var request = new ListMultipartUploadsRequest { BucketName = Options.Bucket, Prefix = prefix };
        return Listed(S3Pages.AllAsync<ListMultipartUploadsResponse, UnfinishedUpload>(() => Call(prefix, c => c.ListMultipartUploadsAsync(request, cancellationToken)),
            (response, result) =>
            {
                result.AddRange((response.MultipartUploads ?? []).Select(u =>
                    new UnfinishedUpload(u.Key, u.UploadId, Time(u.Initiated) ?? DateTimeOffset.UtcNow)));
                (request.KeyMarker, request.UploadIdMarker) = (response.NextKeyMarker, response.NextUploadIdMarker);
                return response.IsTruncated == true;
            }));
    }

    public async Task AbortUploadAsync(UnfinishedUpload upload, CancellationToken cancellationToken) =>
        await Call(upload.Key, c => c.AbortMultipartUploadAsync(
            new AbortMultipartUploadRequest { BucketName = Options.Bucket, Key = upload.Key, UploadId = upload.UploadId }, cancellationToken));

    public async Task<IReadOnlyList<StoredVersion>?> ListFolderVersionsAsync(string folder, CancellationToken cancellationToken)
    {
        var request = new ListVersionsRequest { BucketName = Options.Bucket, Prefix = folder, Delimiter = "/", MaxKeys = 1000 };
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

    /// <summary>
    /// A copy of the version as the key's new latest: one CopyObject, or above the multipart threshold (and always above
    /// S3's 5 GB limit of one CopyObject) parallel UploadPartCopy requests; both server-side.
    /// </summary>
    public async Task<string> PromoteAsync(string key, string versionId, CancellationToken cancellationToken)
    {
        var head = await HeadAsync(key, versionId, cancellationToken);
        var oid = head.Metadata[OidMetadata] ?? "";
        string? copied;
        try
        {
            if (head.ContentLength > Math.Min(Options.MultipartThreshold, MaxSingleCopy))
            {
                copied = await CopyInPartsAsync(Options.Bucket, key, versionId, head.ContentLength, key, oid, CodingOf(head), cancellationToken);
            }
            else
            {
                var request = new CopyObjectRequest
                {
                    SourceBucket = Options.Bucket,
                    SourceKey = key,
                    SourceVersionId = versionId,
                    DestinationBucket = Options.Bucket,
                    DestinationKey = key,
                    MetadataDirective = S3MetadataDirective.COPY,
                };
                Encrypt(request);
                copied = (await Call(key, c => c.CopyObjectAsync(request, cancellationToken))).VersionId;
            }
        }
        catch (StoreException ex) when (CannotCopy(ex))
        {
            // radosgw 16 cannot copy encrypted objects: the bytes go through this machine instead.
            return await ThroughThisMachineAsync(this, key, versionId, key, oid, CodingOf(head), ex.Message, cancellationToken)
                ?? throw new StoreException(ErrorCodes.Internal, $"S3 returned no version id for {Describe(key)}");
        }

        // radosgw 16 leaves the new version's id out of the copy's answer: it is the key's latest now.
        return !string.IsNullOrEmpty(copied) ? copied
            : (await ListVersionsAsync(key, cancellationToken)).FirstOrDefault(v => v.IsLatest)?.VersionId
              ?? throw new StoreException(ErrorCodes.Internal, $"the copy of {Describe(key)} version {versionId} left no latest version");
    }

    public async Task DeleteVersionAsync(string key, string versionId, CancellationToken cancellationToken) =>
        await Call(key, c => c.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Options.Bucket, Key = key, VersionId = versionId }, cancellationToken));

    public async Task<string> LinkAsync(string key, string versionId, string fileName, bool download, TimeSpan lifetime,
        CancellationToken cancellationToken)
    {
        var request = new GetPreSignedUrlRequest
        {
            BucketName = Options.Bucket,
            Key = key,
            VersionId = versionId,
            Verb = HttpVerb.GET,
            Protocol = Options.Endpoint?.StartsWith("http:", StringComparison.OrdinalIgnoreCase) == true ? Protocol.HTTP : Protocol.HTTPS,
        };
        request.ResponseHeaderOverrides.ContentDisposition = ContentDisposition(fileName, download);
        // As the SDK wrote it: any re-escaping would break the signature.
        return await Call(key, c =>
        {
            var sdkNow = CorrectClockSkew.GetCorrectedUtcNowForEndpoint(c.Config.ServiceURL ?? $"https://s3.{c.Config.RegionEndpoint?.SystemName}.amazonaws.com");
            request.Expires = SigV4Expiry(sdkNow < AWSSDKUtils.CorrectedUtcNow ? sdkNow : AWSSDKUtils.CorrectedUtcNow, DateTime.UtcNow, lifetime);
            return c.GetPreSignedURLAsync(request);
        });
    }

    /// <summary>The longest lifetime of a SigV4 presigned link, and S3's limit.</summary>
    public static readonly TimeSpan MaxSigV4Lifetime = TimeSpan.FromDays(7);

    /// <summary>
    /// The expiry to ask the SDK for. It signs with SigV2 (refused by AWS in most regions) when the expiry lies more than
    /// 7 days after its clock (corrected for the server's skew), so a 7-day link counted from another clock, or a moment
    /// earlier, came out SigV2 or SigV4 by chance: counted from the SDK's clock, and for the longest lifetimes at most a
    /// minute short of the limit from the earlier of both clocks, it is always SigV4.
    /// </summary>
    public static DateTime SigV4Expiry(DateTime sdkNow, DateTime utcNow, TimeSpan lifetime)
    {
        var latest = (sdkNow < utcNow ? sdkNow : utcNow) + MaxSigV4Lifetime - TimeSpan.FromMinutes(1);
        var wanted = sdkNow + lifetime;
        return wanted < latest ? wanted : latest;
    }

    /// <summary>RFC 6266: a plain ASCII name for old clients and the exact UTF-8 name for the rest.</summary>
    internal static string ContentDisposition(string fileName, bool download)
    {
        var ascii = new string(fileName.Select(c => c is < ' ' or > '~' or '"' or '\\' ? '_' : c).ToArray());
        return $"{(download ? "attachment" : "inline")}; filename=\"{ascii}\"; filename*=UTF-8''{Uri.EscapeDataString(fileName)}";
    }

    public Task<IReadOnlyList<StoredVersion>> ListLatestAsync(string prefix, CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = Options.Bucket, Prefix = prefix };
        return Listed(S3Pages.AllAsync<ListObjectsV2Response, StoredVersion>(() => Call(prefix, c => c.ListObjectsV2Async(request, cancellationToken)), (response, result) =>
        {
            result.AddRange((response.S3Objects ?? []).Select(o => new StoredVersion(o.Key, "", o.Size ?? 0, true, Time(o.LastModified))));
            request.ContinuationToken = response.NextContinuationToken;
            return response.IsTruncated == true;
        }));
    }

    public async Task CopyFromAsync(IObjectStore source, string sourceKey, string sourceVersionId, long size, string key, string oid,
        CancellationToken cancellationToken)
    {
        // The stored form, not the object's size: a compressed version is copied as it is stored, and stays marked so.
        var stored = source.Capability<ICopySource>() is { } from ? await from.StoredCopyAsync(sourceKey, sourceVersionId, cancellationToken) : null;
        string why;
        if (stored?.Location is { Scheme: "s3" } location)
        {
            try
            {
                await CopyAsync(location.Container, location.Path, location.VersionId, stored.Length, key, oid, stored.Coding, cancellationToken);
                return;
            }
            catch (StoreException ex) when (CannotCopy(ex))
            {
                why = ex.Message;
            }
        }
        else
        {
            why = $"{source.Describe(sourceKey)} is not in S3";
        }

        await ThroughThisMachineAsync(source, sourceKey, sourceVersionId, key, oid, stored?.Coding, why, cancellationToken);
    }

    /// <summary>CopyObject copies up to 5 GB in one request; larger objects (and any above the multipart threshold) are copied in parts.</summary>
    private async Task CopyAsync(string sourceBucket, string sourceKey, string sourceVersionId, long size, string key, string oid,
        Coding? coding, CancellationToken cancellationToken)
    {
        if (size <= Math.Min(Options.MultipartThreshold, MaxSingleCopy))
        {
            var request = new CopyObjectRequest
            {
                SourceBucket = sourceBucket,
                SourceKey = sourceKey,
                SourceVersionId = sourceVersionId,
                DestinationBucket = Options.Bucket,
                DestinationKey = key,
                MetadataDirective = S3MetadataDirective.REPLACE,
                ContentType = ContentTypes.For(key),
            };
            Label(request.Metadata, request.Headers, oid, coding);
            Encrypt(request);
            await Call(key, c => c.CopyObjectAsync(request, cancellationToken));
            return;
        }

        await CopyInPartsAsync(sourceBucket, sourceKey, sourceVersionId, size, key, oid, coding, cancellationToken);
    }

    /// <summary>A server-side copy in parts (UploadPartCopy, <c>ParallelParts</c> at a time); returns the new version id.</summary>
    private Task<string?> CopyInPartsAsync(string sourceBucket, string sourceKey, string sourceVersionId, long size, string key, string oid,
        Coding? coding, CancellationToken cancellationToken) =>
        InPartsAsync(key, size, oid, coding, async (uploadId, number, first, length, ct) =>
        {
            var part = new CopyPartRequest
            {
                SourceBucket = sourceBucket,
                SourceKey = sourceKey,
                SourceVersionId = sourceVersionId,
                DestinationBucket = Options.Bucket,
                DestinationKey = key,
                UploadId = uploadId,
                PartNumber = number,
                FirstByte = first,
                LastByte = first + length - 1,
            };
            return (await Call(key, c => c.CopyPartAsync(part, ct))).ETag;
        }, cancellationToken);

    /// <summary>
    /// A copy made by downloading the version's stored bytes to a temporary file and writing them again, coding and
    /// all (radosgw cannot copy encrypted objects; a source in another kind of store cannot be copied server-side).
    /// </summary>
    private Task<string?> ThroughThisMachineAsync(IObjectStore source, string sourceKey, string sourceVersionId, string key,
        string oid, Coding? coding, string why, CancellationToken cancellationToken)
    {
        StoreLog.CopyThroughMachine(connection.Logger, source.Describe(sourceKey), sourceVersionId, Describe(key), why);
        return StoreCapabilities.ThroughTempFileAsync(
            file => source.Capability<ICopySource>() is { } from
                ? from.ReadStoredAsync(sourceKey, sourceVersionId, file, cancellationToken)
                : source.DownloadAsync(sourceKey, sourceVersionId, file, NoProgress.Instance, cancellationToken),
            (temp, length) => WriteAsync(key, temp, length, oid, NoProgress.Instance, cancellationToken, coding));
    }

    private static bool CannotCopy(StoreException ex) => ex.InnerException is AmazonS3Exception { ErrorCode: "NotImplemented" };

    private ServerSideEncryptionMethod? Method => Options.Sse switch
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
            (r.ServerSideEncryptionMethod, r.ServerSideEncryptionKeyManagementServiceKeyId, r.BucketKeyEnabled) = (method, Options.KmsKeyId, method == ServerSideEncryptionMethod.AWSKMS);
        }
    }

    private void Encrypt(InitiateMultipartUploadRequest r)
    {
        if (Method is { } method)
        {
            (r.ServerSideEncryptionMethod, r.ServerSideEncryptionKeyManagementServiceKeyId, r.BucketKeyEnabled) = (method, Options.KmsKeyId, method == ServerSideEncryptionMethod.AWSKMS);
        }
    }

    private void Encrypt(CopyObjectRequest r)
    {
        if (Method is { } method)
        {
            (r.ServerSideEncryptionMethod, r.ServerSideEncryptionKeyManagementServiceKeyId, r.BucketKeyEnabled) = (method, Options.KmsKeyId, method == ServerSideEncryptionMethod.AWSKMS);
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        await Call(key, c => c.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Options.Bucket, Key = key }, cancellationToken));

    /// <summary>"" asks for the latest version (publish targets may have no versioning).</summary>
    private static string? Version(string versionId) => versionId.Length == 0 ? null : versionId;

    private static DateTimeOffset? Time(DateTime? time) => time is { } t ? new DateTimeOffset(t.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : t) : null;

    private Task<T> Call<T>(string? key, Func<AmazonS3Client, Task<T>> action) => connection.Call(key, action);
}
