using Amazon;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;

namespace LfsS3Agent.S3;

/// <summary>
/// A profile's <c>role_arn</c> + <c>source_profile</c>: assumes the role with the source profile's credentials.
/// Done here because the SDK's own way builds its STS client by reflection with the source credentials, which
/// native AOT cannot, and a registered STS client gets no credentials.
/// </summary>
internal sealed class AssumeRoleCredentials(AWSCredentials source, string roleArn, string sessionName, string? externalId,
    RegionEndpoint region) : RefreshingAWSCredentials
{
    protected override CredentialsRefreshState GenerateNewCredentials() =>
        GenerateNewCredentialsAsync().GetAwaiter().GetResult();

    protected override async Task<CredentialsRefreshState> GenerateNewCredentialsAsync()
    {
        using var sts = new AmazonSecurityTokenServiceClient(source, region);
        AssumeRoleResponse response;
        try
        {
            response = await sts.AssumeRoleAsync(new AssumeRoleRequest
            {
                RoleArn = roleArn,
                RoleSessionName = sessionName,
                ExternalId = externalId,
            });
        }
        catch (Exception ex) when (ex is AmazonServiceException or HttpRequestException or IOException)
        {
            // Said as a credential problem, not as S3 being unreachable.
            throw new AmazonClientException($"AWS credentials: could not assume role {roleArn} through STS in {region.SystemName}: {ex.Message}", ex);
        }
        var c = response.Credentials;
        var expiration = c.Expiration ?? DateTime.UtcNow.AddMinutes(15);
        return new CredentialsRefreshState(new ImmutableCredentials(c.AccessKeyId, c.SecretAccessKey, c.SessionToken), expiration);
    }
}
