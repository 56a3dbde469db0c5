using Amazon.S3;
using Amazon.S3.Model;
using LfsS3Agent.Core;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.S3;

/// <summary>Doctor's checks of an S3 store: credentials and clock first, then the bucket's lifecycle rules and encryption.</summary>
internal sealed class S3StoreDiagnostics(S3Connection connection) : IStoreDiagnostics
{
    private S3Options Options => connection.Options;

    public IReadOnlyList<StoreCheck> Checks =>
    [
        new("credentials", CheckCredentialsAsync),
        new("clock", ct => S3Clock.CheckAsync(Options, ct)),
    ];

    public IReadOnlyList<StoreCheck> BucketChecks =>
    [
        new("lifecycle", CheckLifecycleAsync),
        new("encryption", CheckEncryptionAsync),
    ];

    private async Task<CheckResult> CheckEncryptionAsync(CancellationToken cancellationToken)
    {
        string bucketDefault;
        try
        {
            var response = await connection.Call(null, c => c.GetBucketEncryptionAsync(new GetBucketEncryptionRequest { BucketName = Options.Bucket }, cancellationToken));
            var rule = response.ServerSideEncryptionConfiguration?.ServerSideEncryptionRules?.FirstOrDefault()?.ServerSideEncryptionByDefault;
            bucketDefault = rule is null ? "none"
                : $"{rule.ServerSideEncryptionAlgorithm?.Value}{(rule.ServerSideEncryptionKeyManagementServiceKeyId is { Length: > 0 } k ? " key " + k : "")}";
        }
        catch (StoreException ex)
        {
            bucketDefault = ex.Code is ErrorCodes.NotFound or ErrorCodes.BadRequest ? "none" : $"not readable ({ex.Message})";
        }

        var chosen = Options.Sse is null ? "none set (lfs-s3.sse): objects get the bucket's default"
            : $"lfs-s3.sse {Options.Sse}{(Options.KmsKeyId is { } id ? " key " + id : "")} on every write (the permissions probe below uses it)";
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
            response = await connection.Call(null, c => c.GetLifecycleConfigurationAsync(new GetLifecycleConfigurationRequest { BucketName = Options.Bucket }, cancellationToken));
        }
        catch (StoreException ex) when (ex.Code == ErrorCodes.NotFound)
        {
            response = new GetLifecycleConfigurationResponse();
        }
        catch (StoreException ex)
        {
            return CheckResult.Warn($"cannot read the bucket's lifecycle rules ({ex.Message}); make sure none expires non-current versions under the prefix");
        }

        var prefix = Options.Prefix.Length == 0 ? "" : Options.Prefix + "/";
        var rules = (response.Configuration?.Rules ?? []).Where(r => r.Status == LifecycleRuleStatus.Enabled).ToList();
        var covering = rules.Where(r => RulePrefix(r) is var p && (prefix.StartsWith(p, StringComparison.Ordinal) || p.StartsWith(prefix, StringComparison.Ordinal))).ToList();
        var expiring = covering.Where(r => r.NoncurrentVersionExpiration is not null || r.Expiration is { Days: > 0 } or { Date: not null }).ToList();
        if (expiring.Count > 0)
        {
            return CheckResult.Warn($"lifecycle rule {string.Join(", ", expiring.Select(r => $"\"{r.Id}\""))} expires versions under {connection.Describe(prefix)}: "
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

    private Task<CheckResult> CheckCredentialsAsync(CancellationToken cancellationToken)
    {
        try
        {
            return Task.FromResult(CheckResult.Ok($"from {connection.CredentialSource}"));
        }
        catch (StoreException ex)
        {
            return Task.FromResult(CheckResult.Fail(ex.Message, stop: true));
        }
    }
}
