using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace LfsS3Agent.Commands.Shared;

/// <summary><c>locks --json</c> in git-lfs's own shape (<c>git lfs locks --json</c>: an array of these), plus where the lock was taken.</summary>
internal sealed record LockJson(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("owner")] LockOwnerJson Owner,
    [property: JsonPropertyName("locked_at")] DateTimeOffset LockedAt,
    [property: JsonPropertyName("host")] string Host);

/// <summary>git-lfs's lock owner: its name, here with the e-mail address the lock was taken with.</summary>
internal sealed record LockOwnerJson(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("email")] string Email);

/// <summary>One line of <c>env</c>: a setting, a fact the store resolved, or a piece of the agent wiring, with its source.</summary>
internal sealed record EnvEntry(string Name, string? Value, string Source);

/// <summary><c>env --json</c>.</summary>
internal sealed record EnvReport(
    string Version,
    string Git,
    string? GitLfs,
    string? Repository,
    IReadOnlyList<EnvEntry> Settings,
    IReadOnlyList<EnvEntry> Store,
    IReadOnlyList<EnvEntry> Wiring);

/// <summary>One check of <c>doctor --json</c>.</summary>
internal sealed record DoctorCheckJson(string Name, string Status, string Detail);

/// <summary><c>doctor --json</c>: every check in order, and whether all passed.</summary>
internal sealed record DoctorReport(IReadOnlyList<DoctorCheckJson> Checks, int Failures, bool Ok);

/// <summary>One object <c>verify</c> found missing or wrong.</summary>
internal sealed record VerifyFailure(string Oid, string Path, string Problem);

/// <summary><c>verify --json</c>.</summary>
internal sealed record VerifyReport(int Objects, bool Content, IReadOnlyList<VerifyFailure> Failures, bool Ok);

/// <summary>A version <c>prune</c> deletes (or would): <paramref name="Oid"/> null when written outside git.</summary>
internal sealed record PruneVersion(string Key, string VersionId, long Size, DateTimeOffset? Modified, string? Oid);

/// <summary>An unfinished multipart upload <c>prune</c> aborts (or would).</summary>
internal sealed record PruneUpload(string Key, DateTimeOffset Started);

/// <summary><c>prune --json</c>.</summary>
internal sealed record PruneReport(
    bool Applied,
    IReadOnlyList<PruneVersion> Versions,
    IReadOnlyList<PruneUpload> Uploads,
    long Bytes,
    decimal MonthlySaving,
    [property: JsonPropertyName("pricePerGbMonth")] decimal PricePerGb,
    int HistoryObjects,
    int KeptYoung,
    double GraceDays);

/// <summary>A malformed mapping line <c>status</c> reports.</summary>
internal sealed record StatusProblem(string File, int Line, string Reason);

/// <summary>A mapping entry recorded by this clone and not yet on the mapping branch.</summary>
internal sealed record StatusEntry(string Oid, string Key, string VersionId);

/// <summary>Why the last push of the mapping branch failed.</summary>
internal sealed record StatusPushFailure(string Remote, string Reason);

/// <summary><c>status --json</c>.</summary>
internal sealed record StatusReport(
    string Store,
    string Prefix,
    string MappingBranch,
    int BranchEntries,
    int LegacyEntries,
    IReadOnlyList<StatusProblem> Malformed,
    IReadOnlyList<StatusEntry> Pending,
    StatusPushFailure? LastPushFailure,
    int UnmappedInHead,
    int OutsidePrefix,
    bool InSync);

/// <summary>Source-generated JSON for the verbs' reports (native AOT): one context, one writer.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(List<LockJson>))]
[JsonSerializable(typeof(EnvReport))]
[JsonSerializable(typeof(DoctorReport))]
[JsonSerializable(typeof(VerifyReport))]
[JsonSerializable(typeof(PruneReport))]
[JsonSerializable(typeof(StatusReport))]
internal sealed partial class ReportJsonContext : JsonSerializerContext;

/// <summary>Writes a verb's report as JSON on stdout: UTF-8, LF, one document, flushed.</summary>
internal static class ReportJson
{
    public static async Task WriteAsync<T>(TextWriter stdout, T report, JsonTypeInfo<T> type)
    {
        await stdout.WriteAsync(JsonSerializer.Serialize(report, type).ReplaceLineEndings("\n") + "\n");
        await stdout.FlushAsync();
    }
}
