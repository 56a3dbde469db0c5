using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using LfsS3Agent.Commands.Shared;
using LfsS3Agent.Core;
using LfsS3Agent.Core.Objects;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;
using Microsoft.Extensions.Logging;

namespace LfsS3Agent.Commands;

/// <summary>What one top-level folder of the prefix (or all of it) holds.</summary>
public sealed record FolderUsage(
    string Folder,
    int Objects,
    int CurrentVersions,
    long CurrentBytes,
    int NoncurrentVersions,
    long NoncurrentBytes,
    long ReferencedBytes,
    long UnreferencedBytes);

/// <summary><c>usage --json</c>: the prefix's storage, by folder and in total, with the estimated monthly cost.</summary>
public sealed record UsageReport(
    string Location,
    IReadOnlyList<FolderUsage> Folders,
    FolderUsage Total,
    [property: JsonPropertyName("historyObjectsNotStored")] int NotStored,
    CompressionUsage Compression,
    [property: JsonPropertyName("pricePerGbMonth")] decimal PricePerGb,
    [property: JsonPropertyName("estimatedMonthlyCost")] decimal MonthlyCost);

/// <summary>Referenced versions stored gzip-compressed: their stored bytes against the objects' own, and the ratio of the two.</summary>
public sealed record CompressionUsage(int Versions, long StoredBytes, long ObjectBytes, double Ratio);

/// <summary>One direction's transfers as the agent saw them.</summary>
public sealed record TransferUsage(
    string Direction,
    int Transfers,
    int Succeeded,
    IReadOnlyDictionary<string, int> ErrorsByCode,
    long Bytes,
    double BytesPerSecond);

/// <summary>Source-generated JSON for <c>usage --json</c> (native AOT).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(UsageReport))]
[JsonSerializable(typeof(List<TransferUsage>))]
internal sealed partial class UsageJsonContext : JsonSerializerContext;

/// <summary><c>git lfs-s3 usage</c>: what the prefix holds and costs, and how the agent's transfers went.</summary>
public sealed class UsageCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, TextWriter stdout,
    ILogger<UsageCommand> logger) : WorkspaceVerb(storeFactory, environment)
{
    private const decimal BytesPerGb = 1L << 30;

    public override string Name => "usage";

    public override string Summary => "what the repository's prefix holds and costs (referenced by history or not); --transfers: the agent's own record";

    public override IReadOnlySet<string> ValueOptions { get; } = new HashSet<string> { "since", "until" };

    public override IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json", "transfers", "quiet" };

    public override string Help => """
        usage: git lfs-s3 usage [--json] [--quiet]
               git lfs-s3 usage --transfers [--since <time>] [--until <time>] [--json]

        Lists the repository's prefix once (all versions) and reports, per top-level folder and in total: objects,
        current and non-current versions and their bytes, and how many bytes are referenced by history (the
        stored version of an LFS object that some commit of some ref points at, as the agent would find it, and
        copies of it that a push made to keep the default branch's content the latest)
        versus unreferenced (interrupted pushes, rewritten history, uploads from outside git). The monthly cost
        is an estimate: all bytes times lfs-s3.pricepergb (default 0.023, S3 Standard's list price per
        GB-month in us-east-1; requests, transfer and other storage classes are not included). Referenced versions
        stored compressed (lfs-s3.compress) are reported with their stored and original bytes and the ratio.
        --transfers summarises what this clone's agent recorded for every transfer (from --since, default 30d
        ago, to --until, default now; both take what `git log --since` takes, "2026-11-01", "2 weeks ago", or a
        duration back from now, 12h, 30d): counts, success and error rates by code, bytes and throughput.
        --json for monitoring systems.
        On a terminal a progress line shows on stderr while history's objects are looked up (--quiet: none).
        Needs s3:ListBucketVersions and s3:GetObjectVersion on the prefix.
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        using var workspace = await OpenAsync(cancellationToken);
        if (args.Has("transfers"))
        {
            var git = workspace.Repository.Git;
            var since = await Duration.PointInTimeAsync(git, "since", args.Value("since") ?? "30d", cancellationToken);
            var until = args.Value("until") is { } u ? await Duration.PointInTimeAsync(git, "until", u, cancellationToken) : (DateTimeOffset?)null;
            return await TransfersAsync(workspace, since, until, args.Has("json"));
        }

        if (args.Has("since") || args.Has("until"))
        {
            throw new UsageException("--since and --until go with --transfers");
        }

        var prefix = workspace.Layout.Prefix.Length == 0 ? "" : workspace.Layout.Prefix + "/";
        var listed = await workspace.Store.Require<IStoreMaintenance>("list every version").ListAllVersionsAsync(prefix, cancellationToken);
        // Repository markers are bookkeeping, and what lies under another repository's marker is that repository's.
        var others = RepositoryMarkers.NestedPrefixes(listed.Select(v => v.Key), workspace.Layout.Prefix);
        var versions = listed.Where(v => KeyLayout.ParseMarker(v.Key) is null && !RepositoryMarkers.IsUnder(v.Key, others)).ToList();
        var locator = workspace.CreateLocator(logger);
        var pointers = await locator.HistoryPointersAsync(cancellationToken);
        var progress = new TerminalProgress("finding the stored versions of history's objects", pointers.Count);
        // Each referenced version with its object's size: a version smaller than its object is stored compressed.
        var history = await locator.LocateAllAsync(pointers, progress.Step, cancellationToken);
        var notStored = history.Missing.Count;
        var referenced = await WithCopiesAsync(versions, history.Versions, locator, pointers.Select(p => p.Oid).ToHashSet(StringComparer.Ordinal), cancellationToken);
        progress.Done();

        var folders = versions
            .GroupBy(v => Folder(v.Key[prefix.Length..]))
            .Select(g => Summarise(g.Key, g, referenced))
            .OrderBy(f => f.Folder, StringComparer.Ordinal)
            .ToList();
        var total = Summarise("(total)", versions, referenced);
        var compressed = versions.Where(v => history.Versions.TryGetValue((v.Key, v.VersionId), out var size) && v.Size < size)
            .Select(v => (v.Size, Object: history.Versions[(v.Key, v.VersionId)])).ToList();
        var compression = new CompressionUsage(compressed.Count, compressed.Sum(c => c.Size), compressed.Sum(c => c.Object),
            compressed.Count == 0 ? 1 : Math.Round((double)compressed.Sum(c => c.Size) / compressed.Sum(c => c.Object), 3));
        var price = workspace.Settings.PricePerGb;
        var report = new UsageReport(workspace.Store.Describe(prefix), folders, total, notStored, compression, price,
            Math.Round((total.CurrentBytes + total.NoncurrentBytes) / BytesPerGb * price, 2));
        if (args.Has("json"))
        {
            await stdout.WriteLineAsync(JsonSerializer.Serialize(report, UsageJsonContext.Default.UsageReport));
            return 0;
        }

        await stdout.WriteLineAsync($"{report.Location}");
        await stdout.WriteLineAsync($"  {"folder",-24} {"objects",8} {"current",18} {"non-current",18} {"referenced",10} {"unreferenced",12}");
        foreach (var f in folders.Append(total))
        {
            await stdout.WriteLineAsync($"  {f.Folder,-24} {f.Objects,8} {$"{f.CurrentVersions} / {Bytes(f.CurrentBytes)}",18} "
                + $"{$"{f.NoncurrentVersions} / {Bytes(f.NoncurrentBytes)}",18} {Bytes(f.ReferencedBytes),10} {Bytes(f.UnreferencedBytes),12}");
        }

        await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"estimated storage cost: {report.MonthlyCost:0.00} per month at {price} per GB-month (lfs-s3.pricepergb; storage only, an estimate)"));
        if (compression.Versions > 0)
        {
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"compressed: {compression.Versions} referenced versions hold {Bytes(compression.ObjectBytes)} in {Bytes(compression.StoredBytes)} (ratio {compression.Ratio:0.###})"));
        }

        if (notStored > 0)
        {
            await stdout.WriteLineAsync($"warning: {notStored} LFS objects of history are not in the store: run `git lfs-s3 verify --all`");
        }

        return 0;
    }

    /// <summary>The top-level folder of a path under the prefix; files directly in it count as "(top level)".</summary>
    private static string Folder(string path) => path.IndexOf('/') is > 0 and var slash ? path[..slash] + "/" : "(top level)";

    /// <summary>
    /// The located versions and their copies: a version of the same key and stored size recorded as an object of
    /// history (a promote made the default branch's content the latest again) holds bytes history needs, and prune
    /// keeps it, so it is referenced here too. Only such look-alikes are asked for their OID.
    /// </summary>
    private static async Task<IReadOnlyDictionary<(string Key, string VersionId), long>> WithCopiesAsync(IReadOnlyList<StoredVersion> versions,
        IReadOnlyDictionary<(string Key, string VersionId), long> located, ObjectLocator locator, HashSet<string> oids, CancellationToken cancellationToken)
    {
        var objectSizes = new Dictionary<(string, long), long>();
        foreach (var v in versions.Where(v => located.ContainsKey((v.Key, v.VersionId))))
        {
            objectSizes[(v.Key, v.Size)] = located[(v.Key, v.VersionId)];
        }

        var result = new System.Collections.Concurrent.ConcurrentDictionary<(string Key, string VersionId), long>(located);
        var lookAlikes = versions.Where(v => !located.ContainsKey((v.Key, v.VersionId)) && objectSizes.ContainsKey((v.Key, v.Size))).ToList();
        await Parallel.ForEachAsync(lookAlikes, new ParallelOptions { MaxDegreeOfParallelism = locator.Parallelism, CancellationToken = cancellationToken },
            async (v, ct) =>
            {
                if (await locator.OidAsync(v.Key, v.VersionId, ct) is { } oid && oids.Contains(oid))
                {
                    result[(v.Key, v.VersionId)] = objectSizes[(v.Key, v.Size)];
                }
            });
        return result;
    }

    private static FolderUsage Summarise(string folder, IEnumerable<StoredVersion> versions, IReadOnlyDictionary<(string Key, string VersionId), long> referenced)
    {
        var list = versions.ToList();
        var current = list.Where(v => v.IsLatest).ToList();
        var noncurrent = list.Where(v => !v.IsLatest).ToList();
        var used = list.Where(v => referenced.ContainsKey((v.Key, v.VersionId))).Sum(v => v.Size);
        return new FolderUsage(folder, list.Select(v => v.Key).Distinct(StringComparer.Ordinal).Count(), current.Count, current.Sum(v => v.Size),
            noncurrent.Count, noncurrent.Sum(v => v.Size), used, list.Sum(v => v.Size) - used);
    }

    private async Task<int> TransfersAsync(Workspace workspace, DateTimeOffset since, DateTimeOffset? until, bool json)
    {
        var rows = workspace.Transfers.Since(since).Where(r => until is null || r.At <= until);
        var summary = rows.GroupBy(r => r.Direction).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g =>
        {
            var ok = g.Where(r => r.Code == 0).ToList();
            var moving = ok.Where(r => r.Bytes > 0).ToList();
            var seconds = moving.Sum(r => r.Duration.TotalSeconds);
            return new TransferUsage(g.Key, g.Count(), ok.Count,
                g.Where(r => r.Code != 0).GroupBy(r => r.Code.ToString(CultureInfo.InvariantCulture)).ToDictionary(e => e.Key, e => e.Count()),
                ok.Sum(r => r.Bytes), seconds > 0 ? moving.Sum(r => r.Bytes) / seconds : 0);
        }).ToList();
        if (json)
        {
            await stdout.WriteLineAsync(JsonSerializer.Serialize(summary, UsageJsonContext.Default.ListTransferUsage));
            return 0;
        }

        await stdout.WriteLineAsync(until is null
            ? string.Create(CultureInfo.InvariantCulture, $"transfers of this clone's agent in the last {(DateTimeOffset.UtcNow - since).TotalDays:0.#} days:")
            : string.Create(CultureInfo.InvariantCulture, $"transfers of this clone's agent from {since.ToLocalTime():yyyy-MM-dd HH:mm} to {until.Value.ToLocalTime():yyyy-MM-dd HH:mm}:"));
        foreach (var s in summary)
        {
            var errors = s.ErrorsByCode.Count == 0 ? "no errors"
                : "errors " + string.Join(", ", s.ErrorsByCode.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"[{e.Key}] x{e.Value}"));
            await stdout.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  {s.Direction,-8} {s.Transfers} transfers, {100.0 * s.Succeeded / s.Transfers:0.#}% succeeded, {errors}; {Bytes(s.Bytes)} moved at {Bytes((long)s.BytesPerSecond)}/s"));
        }

        if (summary.Count == 0)
        {
            await stdout.WriteLineAsync("  none recorded");
        }

        return 0;
    }

    private static string Bytes(long bytes) => bytes switch
    {
        < 1L << 10 => $"{bytes} B",
        < 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KiB"),
        < 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.#} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1073741824.0:0.##} GiB"),
    };
}
