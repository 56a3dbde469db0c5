using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using LfsS3Agent.Core.Storage;
using LfsS3Agent.Core;

namespace LfsS3Agent.S3;

/// <summary>Where requests go and on whose behalf, for messages (never the secret).</summary>
internal sealed record S3Target(string Bucket, string Region, string? Endpoint, string CredentialSource)
{
    public string EndpointDescription => Endpoint ?? $"AWS region {Region}";
}

/// <summary>Turns SDK and network failures into one-line messages that name the setting or command that fixes them.</summary>
internal static class S3Errors
{
    public static StoreException Translate(Exception ex, S3Target target, string? key = null)
    {
        var where = key is null ? $"s3://{target.Bucket}" : $"s3://{target.Bucket}/{key}";
        switch (ex)
        {
            case StoreException store:
                return store;
            case var _ when Silent(ex) is { } silent:
                return new StoreException(ErrorCodes.Unavailable, silent.Message, inner: silent);
            case AmazonS3Exception s3:
                return FromS3(s3, target, where);
            case AmazonServiceException service when service.StatusCode == 0 && service.InnerException is { } inner:
                return Translate(inner, target, key);
            case AmazonClientException client when client.Message.Contains("SSO", StringComparison.Ordinal):
                return new StoreException(ErrorCodes.Unauthorized,
                    $"the AWS SSO session is missing or expired ({client.Message}): run `aws sso login` (with --profile <name> if you use lfs-s3.profile / AWS_PROFILE)", inner: ex);
            case AmazonClientException client when LooksLikeCredentials(client.Message):
                return new StoreException(ErrorCodes.Unauthorized, $"could not get AWS credentials: {client.Message}. {CredentialResolver.Help}", inner: ex);
            case HttpRequestException or SocketException or IOException or TimeoutException or TaskCanceledException:
                var detail = ex.InnerException?.Message ?? ex.Message;
                return new StoreException(ErrorCodes.Unavailable,
                    $"cannot reach the S3 endpoint {target.EndpointDescription} ({detail}); check the network and lfs-s3.endpoint / lfs-s3.region",
                    inner: ex);
            case AmazonClientException client:
                // The SDK refused to send the request at all: a setting, not the network (never "try again later").
                return new StoreException(ErrorCodes.NotConfigured,
                    $"the S3 client refused the request on {where} ({client.Message}): check lfs-s3.endpoint, lfs-s3.region and your AWS profile", inner: ex);
            default:
                return new StoreException(ErrorCodes.Internal, $"unexpected {ex.GetType().Name} on {where}: {ex.Message}", inner: ex);
        }
    }

    private static StoreException FromS3(AmazonS3Exception ex, S3Target target, string where)
    {
        var code = ex.ErrorCode ?? "";
        var status = (int)ex.StatusCode;
        var said = string.IsNullOrEmpty(ex.Message) ? code : $"{code}: {ex.Message}";
        return code switch
        {
            // AWS says KMS.NotFoundException / KMS.DisabledException / AccessDenied on kms:*; radosgw InvalidAccessKeyId "...kms-keyid...".
            _ when code.StartsWith("KMS.", StringComparison.Ordinal)
                || (code is "InvalidAccessKeyId" or "AccessDenied" or "InvalidArgument" or "KMSAccessDenied" && ex.Message.Contains("kms", StringComparison.OrdinalIgnoreCase)) =>
                new StoreException(ErrorCodes.NotConfigured,
                    $"the KMS key for server-side encryption cannot be used for {where} ({said}): check lfs-s3.ssekmskeyid in .lfs-s3/config "
                    + "(git lfs-s3 init --sse aws:kms --kms-key <id>) and that these credentials may use the key (kms:GenerateDataKey, kms:Decrypt)", inner: ex),
            "NoSuchBucket" => new StoreException(ErrorCodes.NotFound,
                $"bucket \"{target.Bucket}\" does not exist at {target.EndpointDescription}; check lfs-s3.bucket (and lfs-s3.region / lfs-s3.endpoint), or create it", inner: ex),
            "InvalidAccessKeyId" => new StoreException(ErrorCodes.Unauthorized,
                $"S3 does not know the access key ({target.CredentialSource}): check AWS_ACCESS_KEY_ID or the profile's aws_access_key_id", inner: ex),
            "SignatureDoesNotMatch" => new StoreException(ErrorCodes.Unauthorized,
                $"S3 rejected the request signature ({target.CredentialSource}): check AWS_SECRET_ACCESS_KEY or the profile's aws_secret_access_key", inner: ex),
            "ExpiredToken" or "TokenRefreshRequired" or "InvalidToken" => new StoreException(ErrorCodes.Unauthorized,
                $"the AWS session credentials have expired ({target.CredentialSource}): refresh them, e.g. `aws sso login`", inner: ex),
            "AccessDenied" or "AllAccessDisabled" => new StoreException(ErrorCodes.Forbidden,
                $"access denied to {where} for the credentials from {target.CredentialSource}: they need s3:GetObject, s3:GetObjectVersion, s3:PutObject, s3:ListBucketVersions and s3:GetBucketVersioning there", inner: ex),
            "PermanentRedirect" or "AuthorizationHeaderMalformed" or "IllegalLocationConstraintException" => new StoreException(ErrorCodes.NotConfigured,
                $"bucket \"{target.Bucket}\" is not in region {target.Region}: set the right one with `git config lfs-s3.region <region>` or in .lfs-s3/config ({said})", inner: ex),
            "XAmzContentSHA256Mismatch" or "BadDigest" or "InvalidDigest" => new StoreException(ErrorCodes.NotConfigured,
                $"the S3 server rejected the request checksum ({said}); set `git config lfs-s3.checksum when_required`", inner: ex),
            "NoSuchKey" or "NoSuchVersion" or "NotFound" => new StoreException(ErrorCodes.NotFound, $"{where} not found ({said})", inner: ex),
            "NotImplemented" => new StoreException(ErrorCodes.NotConfigured,
                $"the S3 service at {target.EndpointDescription} does not implement this request ({said}); git-lfs-s3 needs one with object versioning (Cloudflare R2, for one, has none)", inner: ex),
            "InvalidObjectName" or "KeyTooLongError" => new StoreException(ErrorCodes.BadRequest, $"{where} is not a valid key ({said})", inner: ex),
            "RequestTimeTooSkewed" => new StoreException(ErrorCodes.Unauthorized,
                $"this machine's clock is too far from S3's time: fix the clock (e.g. enable NTP) ({said})", inner: ex),
            "SlowDown" or "RequestTimeout" or "InternalError" or "ServiceUnavailable" => Transient(ex, where, said),
            _ when status >= 500 || status == 429 => Transient(ex, where, said),
            _ when status == 400 => new StoreException(ErrorCodes.BadRequest, $"S3 refused the request for {where}: {said}", inner: ex),
            _ when status == 404 => new StoreException(ErrorCodes.NotFound, $"{where} not found", inner: ex),
            _ when status == 403 => new StoreException(ErrorCodes.Forbidden,
                $"access denied to {where} for the credentials from {target.CredentialSource} ({said})", inner: ex),
            _ when status == 301 => new StoreException(ErrorCodes.NotConfigured,
                $"bucket \"{target.Bucket}\" is in another region than {target.Region}: set `git config lfs-s3.region <region>`", inner: ex),
            _ => new StoreException(ErrorCodes.Internal, $"S3 error on {where}: HTTP {status} {said}", inner: ex),
        };
    }

    /// <summary>An attempt given up on silence (lfs-s3.timeout), however the SDK wrapped it.</summary>
    private static SilentEndpointException? Silent(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is SilentEndpointException silent)
            {
                return silent;
            }
        }

        return null;
    }

    private static StoreException Transient(AmazonS3Exception ex, string where, string said) =>
        new(ErrorCodes.Unavailable, $"S3 is unavailable for {where} (HTTP {(int)ex.StatusCode} {said}); try again later", inner: ex);

    private static bool LooksLikeCredentials(string message) =>
        message.Contains("credential", StringComparison.OrdinalIgnoreCase)
        || message.Contains("SSO", StringComparison.Ordinal)
        || message.Contains("token", StringComparison.OrdinalIgnoreCase);
}
