using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using LfsS3Agent.Core;
using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.Objects;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;
using Microsoft.Extensions.Logging;

namespace LfsS3Agent.Commands;

/// <summary>One version of a file: written by a commit, or found under its key with no commit naming it.</summary>
public sealed record FileVersionRow(
    string Path,
    string Name,
    string? Commit,
    DateTimeOffset? Date,
    string? Author,
    string? Subject,
    bool Renamed,
    string? Oid,
    long Size,
    string? Key,
    string? VersionId,
    bool Stored,
    bool InHistory);

/// <summary>Source-generated JSON for <c>log --json</c> (native AOT).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(List<FileVersionRow>))]
internal sealed partial class LogJsonContext : JsonSerializerContext;

/// <summary><c>git lfs-s3 log</c>: every version of LFS files, the commit that wrote it and where it is stored.</summary>
public sealed class LogCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, TextWriter stdout,
    ILogger<LogCommand> logger) : WorkspaceVerb(storeFactory, environment)
{
    public override string Name => "log";

    public override string Summary => "list each version of LFS files: the commit that wrote it, its S3 key and version, whether it is still stored";

    public override IReadOnlySet<string> Flags { get; } = new HashSet<string> { "all", "json" };

    public override bool TakesArguments => true;

    public override string Help => """
        usage: git lfs-s3 log [<path>...] [--all] [--json]

        For each version of each LFS file at the given paths (default: every LFS file of HEAD; a folder means
        the LFS files under it), newest first and following renames: the commit that wrote it (date, author,
        subject), its size and OID, the S3 key and version id that hold it, and whether that version is still
        in the store. Versions under the file's keys that no commit names (written from outside git) are
        listed too, marked "not in history". --all searches the history of every ref instead of HEAD's;
        --json prints the rows for scripts. One listing per key. Needs s3:ListBucketVersions and
        s3:GetObjectVersion on the repository's prefix.
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        using var workspace = await OpenAsync(cancellationToken);
        var paths = await PathsAsync(workspace, args, cancellationToken);
        await workspace.Paths.UpdateAsync(cancellationToken);
        var history = await new PathHistory(workspace.Repository.Git).ChangesAsync(paths, args.Has("all"), cancellationToken);
        // The blob id stands in for the path, so each pointer comes back under its own blob.
        var blobs = history.Values.SelectMany(c => c).Select(c => (c.Blob, c.Blob)).Distinct().ToList();
        var byBlob = (await new PointerScanner(workspace.Repository.Git).ReadAsync(blobs, cancellationToken))
            .ToDictionary(p => p.Path, p => p.Pointer, StringComparer.Ordinal);

        var locator = workspace.CreateLocator(logger);
        var rows = new List<FileVersionRow>();
        foreach (var path in paths)
        {
            rows.AddRange(await RowsAsync(workspace, locator, path, history[path], byBlob, cancellationToken));
        }

        if (args.Has("json"))
        {
            await stdout.WriteLineAsync(JsonSerializer.Serialize(rows, LogJsonContext.Default.ListFileVersionRow));
            return 0;
        }

        foreach (var group in rows.GroupBy(r => r.Path))
        {
            await stdout.WriteLineAsync(group.Key);
            foreach (var row in group)
            {
                var when = row.Date?.ToString("yyyy-MM-dd HH:mm zzz", CultureInfo.InvariantCulture) ?? "?";
                var head = row.InHistory
                    ? $"  {row.Commit![..12]}  {when}  {row.Author}  {row.Subject}{(row.Renamed ? "  (renamed)" : "")}{(row.Name != row.Path ? $"  [as {row.Name}]" : "")}"
                    : $"  not in history  {when}  written outside git";
                var where = row.Key is null ? "not found in the store" : $"{workspace.Store.Describe(row.Key)} version {row.VersionId}";
                await stdout.WriteLineAsync(head);
                await stdout.WriteLineAsync($"      {row.Size} bytes  oid {row.Oid?[..Math.Min(12, row.Oid.Length)] ?? "none"}  {where}  {(row.Stored ? "stored" : "MISSING")}");
            }
        }

        if (rows.Count == 0)
        {
            await stdout.WriteLineAsync("no LFS file versions at these paths");
        }

        return 0;
    }

    /// <summary>The paths asked for (a folder stands for the LFS files of HEAD under it), or every LFS file of HEAD.</summary>
    private async Task<List<string>> PathsAsync(Workspace workspace, CommandLine args, CancellationToken cancellationToken)
    {
        var files = await workspace.Repository.Git.RevParseAsync("HEAD", cancellationToken) is not null
            ? (await new PointerScanner(workspace.Repository.Git).ReadTreeAsync("HEAD", cancellationToken)).Select(p => p.Path).ToList()
            : [];
        if (args.Arguments.Count == 0)
        {
            return files;
        }

        var result = new List<string>();
        foreach (var typed in args.Arguments)
        {
            var path = RepositoryPath(workspace, typed);
            var under = files.Where(f => f.StartsWith(path + "/", StringComparison.Ordinal)).ToList();
            result.AddRange(under.Count > 0 ? under : [path]);
        }

        return result.Distinct(StringComparer.Ordinal).ToList();
    }

    private static async Task<List<FileVersionRow>> RowsAsync(Workspace workspace, ObjectLocator locator, string path, List<PathChange> changes,
        Dictionary<string, LfsPointer> pointers, CancellationToken cancellationToken)
    {
        var rows = new List<FileVersionRow>();
        var names = new HashSet<string>(StringComparer.Ordinal) { path };
        foreach (var change in changes)
        {
            names.Add(change.Name);
            if (!pointers.TryGetValue(change.Blob, out var pointer))
            {
                continue; // the file was in git itself then
            }

            var located = await locator.LocateAsync(pointer.Oid, pointer.Size, [change.Name], cancellationToken);
            rows.Add(new FileVersionRow(path, change.Name, change.Commit.Id, change.Commit.Date, change.Commit.Author, change.Commit.Subject,
                change.Renamed, pointer.Oid, pointer.Size, located.Entry?.Key, located.Entry?.VersionId, located.Entry is not null, InHistory: true));
        }

        // What else the file's keys hold: versions no commit wrote. Copies of a pushed version (made latest again by a
        // later push) hold the same bytes as a row above and are left out.
        var known = rows.Where(r => r.Key is not null).Select(r => (r.Key!, r.VersionId!)).ToHashSet();
        var oids = rows.Select(r => r.Oid).ToHashSet(StringComparer.Ordinal);
        var foreign = new List<FileVersionRow>();
        foreach (var key in names.Where(workspace.Layout.CanBeKey).Select(workspace.Layout.KeyFor).Distinct(StringComparer.Ordinal))
        {
            foreach (var version in await locator.VersionsAsync(key, cancellationToken))
            {
                if (known.Contains((key, version.VersionId)) || await locator.OidAsync(key, version.VersionId, cancellationToken) is var oid && oids.Contains(oid))
                {
                    continue;
                }

                var name = workspace.Layout.Prefix.Length == 0 ? key : key[(workspace.Layout.Prefix.Length + 1)..];
                foreign.Add(new FileVersionRow(path, name, null, version.Modified, null, null, false, oid, version.Size, key, version.VersionId,
                    Stored: true, InHistory: false));
            }
        }

        // Interleave by time: a version written outside git goes before the first commit that is not newer than it.
        foreach (var row in foreign.OrderBy(r => r.Date))
        {
            var at = rows.FindIndex(r => r.InHistory && r.Date <= row.Date);
            rows.Insert(at < 0 ? rows.Count : at, row);
        }

        return rows;
    }
}
