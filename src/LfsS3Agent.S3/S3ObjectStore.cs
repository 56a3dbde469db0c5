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

    private S3Target Target => new(options.Bucket, options.Region, options.Endpoint,
        connection.IsValueCreated ? connection.Value.CredentialSource : "credentials not resolved yet");

    public string Id => $"{options.Endpoint ?? "aws"}|{options.Bucket}";

    private string Bucket => options.Bucket;

    public string Describe(string key) => $"s3://{options.Bucket}/{key}";

    public IReadOnlyList<StoreCheck> Checks =>
    [
        new("credentials", CheckCredentialsAsync),
        new("clock", ct => S3Clock.CheckAsync(options, ct)),
        new("lifecycle", CheckLifecycleAsync),
    ];

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
        CancellationToken cancellationToken)
    {
        var versionId = await WriteAsync(key, filePath, size, oid, progress, cancellationToken);
        if (string.IsNullOrEmpty(versionId) || versionId == "null")
        {
            throw new StoreException(ErrorCodes.NotConfigured, $"S3 returned no version id for {Describe(key)}: " + VersioningOffMessage(VersioningState.Off));
        }

        return versionId;
    }

    public Task PutFileAsync(string key, string filePath, long size, string oid, CancellationToken cancellationToken) =>
        WriteAsync(key, filePath, size, oid, NoProgress.Instance, cancellationToken);

    private async Task<string?> WriteAsync(string key, string filePath, long size, string oid, IProgressReporter progress,
        CancellationToken cancellationToken) => size <= options.MultipartThreshold
            ? await PutAsync(key, filePath, oid, progress, cancellationToken)
            : await MultipartAsync(key, filePath, size, oid, progress, cancellationToken);

    private async Task<string?> PutAsync(string key, string filePath, string oid, IProgressReporter progress, CancellationToken cancellationToken)
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
        request.Metadata[OidMetadata] = oid;
        var response = await Call(key, c => c.PutObjectAsync(request, cancellationToken));
        return response.VersionId;
    }

    private async Task<string?> MultipartAsync(string key, string filePath, long size, string oid, IProgressReporter progress,
        CancellationToken cancellationToken)
    {
        var partSize = Math.Max(options.PartSize, (size + MaxParts - 1) / MaxParts);
        var partCount = (int)((size + partSize - 1) / partSize);
        var create = new InitiateMultipartUploadRequest { BucketName = options.Bucket, Key = key, ContentType = ContentTypes.For(key) };
        create.Metadata[OidMetadata] = oid;
        var uploadId = (await Call(key, c => c.InitiateMultipartUploadAsync(create, cancellationToken))).UploadId;
        try
        {
            var done = new long[partCount];
            long total = 0;
            var etags = new PartETag[partCount];
            await Parallel.ForAsync(0, partCount,
                new ParallelOptions { MaxDegreeOfParallelism = options.ParallelParts, CancellationToken = cancellationToken },
                async (index, ct) =>
                {
                    var offset = index * partSize;
                    var request = new UploadPartRequest
                    {
                        BucketName = options.Bucket,
                        Key = key,
                        UploadId = uploadId,
                        PartNumber = index + 1,
                        FilePath = filePath,
                        FilePosition = offset,
                        PartSize = Math.Min(partSize, size - offset),
                        StreamTransferProgress = (_, e) =>
                        {
                            // A retried part starts again from zero; count each part's bytes once.
                            var previous = Interlocked.Exchange(ref done[index], Math.Max(e.TransferredBytes, Volatile.Read(ref done[index])));
                            var delta = Math.Max(0, e.TransferredBytes - previous);
                            progress.Report(Interlocked.Add(ref total, delta));
                        },
                    };
                    var response = await Call(key, c => c.UploadPartAsync(request, ct));
                    etags[index] = new PartETag(index + 1, response.ETag);
                });
            var complete = new CompleteMultipartUploadRequest
            {
                BucketName = options.Bucket,
                Key = key,
                UploadId = uploadId,
                PartETags = [.. etags],
            };
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

    public async Task DownloadAsync(string key, string versionId, Stream destination, IProgressReporter progress, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 20];
        long written = 0;
        for (var resumed = 0; ; resumed++)
        {
            // A resumed read asks for the rest only: the bytes already written have been hashed by the caller.
            var request = new GetObjectRequest { BucketName = options.Bucket, Key = key, VersionId = Version(versionId) };
            if (written > 0)
            {
                request.ByteRange = new ByteRange($"bytes={written}-");
            }

            using var response = await Call(key, c => c.GetObjectAsync(request, cancellationToken));
            Exception? broken = null;
            while (broken is null)
            {
                int read;
                try
                {
                    read = await response.ResponseStream.ReadAsync(buffer, cancellationToken);
                }
                catch (Exception ex) when (ex is IOException or HttpRequestException or AmazonClientException)
                {
                    broken = ex;
                    break;
                }

                if (read == 0)
                {
                    return;
                }

                // Local write failures (disk full, a size limit) are not S3's and are not retried.
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                written += read;
            }

            if (resumed >= options.MaxRetries)
            {
                throw S3Errors.Translate(broken, Target, key);
            }
        }
    }

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

    public async Task<string?> GetOidAsync(string key, string versionId, CancellationToken cancellationToken)
    {
        var request = new GetObjectMetadataRequest { BucketName = options.Bucket, Key = key, VersionId = Version(versionId) };
        var response = await Call(key, c => c.GetObjectMetadataAsync(request, cancellationToken));
        return response.Metadata[OidMetadata];
    }

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
        var copied = (await Call(key, c => c.CopyObjectAsync(request, cancellationToken))).VersionId;
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

    public Task CopyFromAsync(IObjectStore source, string sourceKey, string sourceVersionId, long size, string key, string oid,
        CancellationToken cancellationToken) => source is S3ObjectStore s3
            ? CopyAsync(s3.Bucket, sourceKey, sourceVersionId, size, key, oid, cancellationToken)
            : throw new StoreException(ErrorCodes.BadRequest, $"cannot copy from {source.Describe(sourceKey)} into {Describe(key)}: not the same kind of store");

    /// <summary>CopyObject copies up to 5 GB in one request; larger objects (and any above the multipart threshold) are copied in parts.</summary>
    private async Task CopyAsync(string sourceBucket, string sourceKey, string sourceVersionId, long size, string key, string oid,
        CancellationToken cancellationToken)
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
            request.Metadata[OidMetadata] = oid;
            await Call(key, c => c.CopyObjectAsync(request, cancellationToken));
            return;
        }

        var partSize = Math.Max(options.PartSize, (size + MaxParts - 1) / MaxParts);
        var partCount = (int)((size + partSize - 1) / partSize);
        var create = new InitiateMultipartUploadRequest { BucketName = options.Bucket, Key = key, ContentType = ContentTypes.For(key) };
        create.Metadata[OidMetadata] = oid;
        var uploadId = (await Call(key, c => c.InitiateMultipartUploadAsync(create, cancellationToken))).UploadId;
        try
        {
            var etags = new PartETag[partCount];
            await Parallel.ForAsync(0, partCount,
                new ParallelOptions { MaxDegreeOfParallelism = options.ParallelParts, CancellationToken = cancellationToken },
                async (index, ct) =>
                {
                    var first = index * partSize;
                    var part = new CopyPartRequest
                    {
                        SourceBucket = sourceBucket,
                        SourceKey = sourceKey,
                        SourceVersionId = sourceVersionId,
                        DestinationBucket = options.Bucket,
                        DestinationKey = key,
                        UploadId = uploadId,
                        PartNumber = index + 1,
                        FirstByte = first,
                        LastByte = Math.Min(first + partSize, size) - 1,
                    };
                    etags[index] = new PartETag(index + 1, (await Call(key, c => c.CopyPartAsync(part, ct))).ETag);
                });
            var complete = new CompleteMultipartUploadRequest { BucketName = options.Bucket, Key = key, UploadId = uploadId, PartETags = [.. etags] };
            await Call(key, c => c.CompleteMultipartUploadAsync(complete, cancellationToken));
        }
        catch
        {
            await AbortAsync(key, uploadId);
            throw;
        }
    }

    private const long MaxSingleCopy = 5L << 30;

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
