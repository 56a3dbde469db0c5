using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;
using LfsS3Agent.Core.Transfer;

namespace LfsS3Agent.S3;

/// <summary>Versioned objects in one S3 bucket through AWSSDK.S3; every failure leaves as a <see cref="StoreException"/>.</summary>
internal sealed class S3ObjectStore(Lazy<(AmazonS3Client Client, S3Target Target)> connection, S3Target plannedTarget, AgentSettings settings)
    : IObjectStore, ICredentialSource
{
    /// <summary>S3 allows at most 10,000 parts, each of at most 5 GiB.</summary>
    private const int MaxParts = 10_000;

    internal const string OidMetadata = "lfs-oid";

    private S3Target Target => connection.IsValueCreated ? connection.Value.Target : plannedTarget;

    public string Id => $"{plannedTarget.Endpoint ?? "aws"}|{plannedTarget.Bucket}";

    public string Describe(string key) => $"s3://{plannedTarget.Bucket}/{key}";

    public string DescribeCredentials() => connection.Value.Target.CredentialSource;

    public async Task<VersioningState> GetVersioningAsync(CancellationToken cancellationToken)
    {
        var response = await Call(null, c => c.GetBucketVersioningAsync(new GetBucketVersioningRequest { BucketName = plannedTarget.Bucket }, cancellationToken));
        var status = response.VersioningConfig?.Status;
        return status == VersionStatus.Enabled ? VersioningState.Enabled
            : status == VersionStatus.Suspended ? VersioningState.Suspended
            : VersioningState.Off;
    }

    public async Task<string> UploadAsync(string key, string filePath, long size, string oid, IProgressReporter progress,
        CancellationToken cancellationToken)
    {
        var versionId = size <= settings.MultipartThreshold
            ? await PutAsync(key, filePath, oid, progress, cancellationToken)
            : await MultipartAsync(key, filePath, size, oid, progress, cancellationToken);
        if (string.IsNullOrEmpty(versionId) || versionId == "null")
        {
            throw new StoreException(TransferErrorCode.NotConfigured, $"S3 returned no version id for {Describe(key)}: " + StoreMessages.VersioningOff(plannedTarget.Bucket, plannedTarget.Endpoint, VersioningState.Off));
        }

        return versionId;
    }

    private async Task<string?> PutAsync(string key, string filePath, string oid, IProgressReporter progress, CancellationToken cancellationToken)
    {
        var request = new PutObjectRequest
        {
            BucketName = plannedTarget.Bucket,
            Key = key,
            FilePath = filePath,
            ContentType = ContentTypes.For(key),
            StreamTransferProgress = (_, e) => progress.Report(e.TransferredBytes),
        };
        request.Metadata[OidMetadata] = oid;
        var response = await Call(key, c => c.PutObjectAsync(request, cancellationToken));
        return response.VersionId;
    }

    private async Task<string?> MultipartAsync(string key, string filePath, long size, string oid, IProgressReporter progress,
        CancellationToken cancellationToken)
    {
        var partSize = Math.Max(settings.PartSize, (size + MaxParts - 1) / MaxParts);
        var partCount = (int)((size + partSize - 1) / partSize);
        var create = new InitiateMultipartUploadRequest { BucketName = plannedTarget.Bucket, Key = key, ContentType = ContentTypes.For(key) };
        create.Metadata[OidMetadata] = oid;
        var uploadId = (await Call(key, c => c.InitiateMultipartUploadAsync(create, cancellationToken))).UploadId;
        try
        {
            var done = new long[partCount];
            long total = 0;
            var etags = new PartETag[partCount];
            await Parallel.ForAsync(0, partCount,
                new ParallelOptions { MaxDegreeOfParallelism = settings.ParallelParts, CancellationToken = cancellationToken },
                async (index, ct) =>
                {
                    var offset = index * partSize;
                    var request = new UploadPartRequest
                    {
                        BucketName = plannedTarget.Bucket,
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
                BucketName = plannedTarget.Bucket,
                Key = key,
                UploadId = uploadId,
                PartETags = [.. etags],
            };
            return (await Call(key, c => c.CompleteMultipartUploadAsync(complete, cancellationToken))).VersionId;
        }
        catch
        {
            try
            {
                await connection.Value.Client.AbortMultipartUploadAsync(
                    new AbortMultipartUploadRequest { BucketName = plannedTarget.Bucket, Key = key, UploadId = uploadId }, CancellationToken.None);
            }
            catch (Exception ex) when (ex is AmazonClientException or AmazonServiceException or IOException or HttpRequestException)
            {
                // best effort: an unfinished upload is only billed storage; a lifecycle rule cleans it up
            }

            throw;
        }
    }

    public async Task DownloadAsync(string key, string versionId, Stream destination, IProgressReporter progress, CancellationToken cancellationToken)
    {
        var request = new GetObjectRequest { BucketName = plannedTarget.Bucket, Key = key, VersionId = versionId };
        using var response = await Call(key, c => c.GetObjectAsync(request, cancellationToken));
        var buffer = new byte[1 << 20];
        while (true)
        {
            int read;
            try
            {
                read = await response.ResponseStream.ReadAsync(buffer, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException or AmazonClientException)
            {
                throw S3Errors.Translate(ex, Target, key); // the connection broke: transient, retried by the caller
            }

            if (read == 0)
            {
                return;
            }

            // Local write failures (disk full) are not S3's and are not retried.
            await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
    }

    public async Task<IReadOnlyList<StoredVersion>> ListVersionsAsync(string key, CancellationToken cancellationToken)
    {
        var result = new List<StoredVersion>();
        var request = new ListVersionsRequest { BucketName = plannedTarget.Bucket, Prefix = key };
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
                    result.Add(new StoredVersion(key, version.VersionId, version.Size ?? 0, version.IsLatest == true));
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

    public async Task<IReadOnlyList<StoredVersion>?> ListFolderVersionsAsync(string folder, CancellationToken cancellationToken)
    {
        var request = new ListVersionsRequest { BucketName = plannedTarget.Bucket, Prefix = folder, Delimiter = "/", MaxKeys = 1000 };
        var response = await Call(folder, c => c.ListVersionsAsync(request, cancellationToken));
        if (response.IsTruncated == true)
        {
            return null;
        }

        return (response.Versions ?? [])
            .Where(v => v.IsDeleteMarker != true && v.Key.StartsWith(folder, StringComparison.Ordinal) && v.Key.IndexOf('/', folder.Length) < 0)
            .Select(v => new StoredVersion(v.Key, v.VersionId, v.Size ?? 0, v.IsLatest == true))
            .ToList();
    }

    public async Task<string?> GetOidAsync(string key, string versionId, CancellationToken cancellationToken)
    {
        var request = new GetObjectMetadataRequest { BucketName = plannedTarget.Bucket, Key = key, VersionId = versionId };
        var response = await Call(key, c => c.GetObjectMetadataAsync(request, cancellationToken));
        return response.Metadata[OidMetadata];
    }

    public async Task DeleteVersionAsync(string key, string versionId, CancellationToken cancellationToken) =>
        await Call(key, c => c.DeleteObjectAsync(new DeleteObjectRequest { BucketName = plannedTarget.Bucket, Key = key, VersionId = versionId }, cancellationToken));

    /// <summary>
    /// Runs one SDK call. The SDK has already retried a failed request by the time it throws, so the error is
    /// final; and once the endpoint proved unreachable, later calls within a short window fail at once
    /// instead of each waiting through the SDK's retries again.
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
            if (error.Transient && error.Code == TransferErrorCode.Unavailable && error.InnerException is not AmazonS3Exception)
            {
                Volatile.Write(ref _unreachable, new Unreachable(DateTime.UtcNow, error));
            }

            throw new StoreException(error.Code, error.Message, transient: false, error.InnerException);
        }
    }

    private static readonly TimeSpan UnreachableWindow = TimeSpan.FromSeconds(30);
    private Unreachable? _unreachable;

    private sealed record Unreachable(DateTime At, StoreException Error);
}
