using Amazon.Runtime;
using Amazon.RuntimeDependencies;
using Amazon.SecurityToken;
using Amazon.SSO;
using Amazon.SSOOIDC;

namespace LfsS3Agent.S3;

/// <summary>
/// The SDK finds its SSO, SSO-OIDC and STS clients by reflection, which native AOT cannot do: without this,
/// an SSO or web-identity profile crashes with MissingRuntimeDependencyException.
/// </summary>
internal static class AwsRuntimeDependencies
{
    private static int _registered;

    public static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 1)
        {
            return;
        }

        // These calls authenticate with a token or a web identity, not with AWS credentials.
        var registry = GlobalRuntimeDependencyRegistry.Instance;
        registry.RegisterSSOClient(c => new AmazonSSOClient(new AnonymousAWSCredentials(), c.SSOClientContextData.Region));
        registry.RegisterSSOOIDCClient(c => new AmazonSSOOIDCClient(new AnonymousAWSCredentials(), c.SSOOIDCClientContextData.Region));
        registry.RegisterSecurityTokenServiceClient(c =>
            new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(), c.SecurityTokenServiceClientContextData.Region));
    }
}
