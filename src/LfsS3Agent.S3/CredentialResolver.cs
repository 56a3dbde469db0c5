using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.Runtime.Credentials;
using LfsS3Agent.Core.Storage;
using LfsS3Agent.Core;

namespace LfsS3Agent.S3;

/// <summary>
/// The standard AWS credential chain, in its usual order, but with the EC2 metadata service asked only on
/// EC2 (or when told to): elsewhere that probe waits seconds per process before failing.
/// </summary>
internal static class CredentialResolver
{
    public const string Help =
        "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws/credentials or ~/.aws/config "
        + "(choose it with AWS_PROFILE or `git config lfs-s3.profile <name>`), e.g. with `aws configure`";

    public static (AWSCredentials Credentials, string Source) Resolve(S3Options options)
    {
        if (options.Aws("AWS_ACCESS_KEY_ID") is { } accessKey && options.Aws("AWS_SECRET_ACCESS_KEY") is { } secretKey)
        {
            var token = options.Aws("AWS_SESSION_TOKEN");
            return (token is null ? new BasicAWSCredentials(accessKey, secretKey) : new SessionAWSCredentials(accessKey, secretKey, token),
                "environment AWS_ACCESS_KEY_ID");
        }

        AwsRuntimeDependencies.Register();
        var explicitProfile = options.Profile;
        var profile = explicitProfile ?? "default";
        var chain = new CredentialProfileStoreChain();
        if (FromProfile(chain, profile, 0) is { } fromProfile)
        {
            return (fromProfile, $"profile \"{profile}\"");
        }

        if (explicitProfile is not null)
        {
            throw new StoreException(ErrorCodes.Unauthorized,
                $"AWS profile \"{explicitProfile}\" (from {options.ProfileSource}) was not found in ~/.aws/credentials or ~/.aws/config: create it with `aws configure --profile {explicitProfile}` or fix the name");
        }

        var containerOrWebIdentity = options.Aws("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") is not null
                                     || options.Aws("AWS_CONTAINER_CREDENTIALS_FULL_URI") is not null
                                     || options.Aws("AWS_WEB_IDENTITY_TOKEN_FILE") is not null;
        if (containerOrWebIdentity || UseInstanceMetadata(options))
        {
            try
            {
                return (DefaultAWSCredentialsIdentityResolver.GetCredentials(), "the default AWS chain (container, web identity or instance metadata)");
            }
            catch (Exception ex) when (ex is AmazonClientException or AmazonServiceException or InvalidOperationException)
            {
                throw new StoreException(ErrorCodes.Unauthorized, $"no AWS credentials found ({ex.Message}). {Help}", inner: ex);
            }
        }

        throw new StoreException(ErrorCodes.Unauthorized, $"no AWS credentials found. {Help}");
    }

    /// <summary>A profile's credentials, assuming its role (role_arn + source_profile) ourselves; null when there is no such profile.</summary>
    private static AWSCredentials? FromProfile(CredentialProfileStoreChain chain, string name, int depth)
    {
        if (!chain.TryGetProfile(name, out var profile))
        {
            return null;
        }

        var options = profile.Options;
        if (!string.IsNullOrEmpty(options.RoleArn) && !string.IsNullOrEmpty(options.SourceProfile) && depth < 5)
        {
            var source = options.SourceProfile == name ? null : FromProfile(chain, options.SourceProfile, depth + 1);
            if (source is null)
            {
                throw new StoreException(ErrorCodes.Unauthorized,
                    $"AWS profile \"{name}\" assumes a role with source_profile \"{options.SourceProfile}\", which has no credentials: fix ~/.aws/config");
            }

            return new AssumeRoleCredentials(source, options.RoleArn, options.RoleSessionName ?? "git-lfs-s3", options.ExternalID,
                profile.Region ?? Amazon.RegionEndpoint.USEast1);
        }

        return chain.TryGetAWSCredentials(name, out var credentials) ? credentials : null;
    }

    private static bool UseInstanceMetadata(S3Options options)
    {
        if (options.Aws("AWS_EC2_METADATA_DISABLED") is { } disabled && disabled.Equals("true", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        return options.InstanceMetadata switch
        {
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            _ => IsEc2(),
        };
    }

    /// <summary>EC2 instances say so in their DMI data; reading it costs nothing, unlike a metadata probe.</summary>
    private static bool IsEc2()
    {
        foreach (var file in new[] { "/sys/class/dmi/id/sys_vendor", "/sys/class/dmi/id/board_vendor", "/sys/hypervisor/uuid" })
        {
            try
            {
                var text = File.ReadAllText(file);
                if (text.Contains("Amazon", StringComparison.OrdinalIgnoreCase) || text.StartsWith("ec2", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // not Linux, or not readable: not known to be EC2
            }
        }

        return false;
    }
}
