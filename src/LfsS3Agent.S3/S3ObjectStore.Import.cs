using Amazon.S3.Model;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.S3;

/// <summary>The prefix's latest states for <c>import</c>: one ListObjectVersions walk, latest versions and delete markers.</summary>
internal sealed partial class S3ObjectStore : ILatestStates
{
    public Task<IReadOnlyList<LatestState>> ListLatestStatesAsync(string prefix, CancellationToken cancellationToken)
    {
        var request = new ListVersionsRequest { BucketName = Options.Bucket, Prefix = prefix };
        return Listed(S3Pages.AllAsync<ListVersionsResponse, LatestState>(() => Call(prefix, c => c.ListVersionsAsync(request, cancellationToken)), (response, result) =>
        {
            // Versions before versioning was turned on have the id "null", which S3 accepts back as versionId=null.
            result.AddRange((response.Versions ?? []).Where(v => v.IsLatest == true).Select(v => new LatestState(v.Key,
                string.IsNullOrEmpty(v.VersionId) ? "null" : v.VersionId, v.IsDeleteMarker == true ? 0 : v.Size ?? 0, v.IsDeleteMarker == true,
                Time(v.LastModified), v.Owner is { } owner ? NonEmpty(owner.DisplayName) ?? NonEmpty(owner.Id) : null)));
            return NextVersions(request, response);
        }));
    }

    private static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
}
