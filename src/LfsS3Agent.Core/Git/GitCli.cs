using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace LfsS3Agent.Core.Git;

/// <summary>The git command line behind <see cref="IGit"/>, run with the injected environment.</summary>
public sealed partial class GitCli : IGit
{
    private readonly GitRunner _runner;
    private CatFileSession? _objects;

    /// <param name="workingDirectory">Where git runs.</param>
    /// <param name="environment">Everything git sees of the environment (the process's own, read once, or a test's).</param>
    public GitCli(string workingDirectory, IReadOnlyDictionary<string, string> environment)
    {
        _runner = new GitRunner(workingDirectory, environment);
    }

    public string WorkingDirectory => _runner.WorkingDirectory;

    public IReadOnlyDictionary<string, string> Environment => _runner.Environment;

    public IGit At(string directory) => new GitCli(directory, _runner.Environment);

    public async Task<string> VersionAsync(CancellationToken cancellationToken) =>
        (await RunAsync(["--version"], allowFailure: true, cancellationToken: cancellationToken)).Stdout.Trim();

    public async Task<GitLfsVersion?> LfsVersionAsync(CancellationToken cancellationToken)
    {
        var result = await RunAsync(["lfs", "version"], allowFailure: true, cancellationToken: cancellationToken);
        if (result.ExitCode != 0)
        {
            return null;
        }

        var match = LfsVersionPattern().Match(result.Stdout);
        return new GitLfsVersion(result.Stdout.Trim(), match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null);
    }

    public Task LfsInstallAsync(bool local, CancellationToken cancellationToken) =>
        RunAsync(["lfs", "install", local ? "--local" : "--skip-repo"], cancellationToken: cancellationToken);

    public Task LfsUninstallAsync(bool local, CancellationToken cancellationToken) =>
        RunAsync(["lfs", "uninstall", local ? "--local" : "--skip-repo"], cancellationToken: cancellationToken);

    public async Task<(bool Bare, string CommonDir, string? TopLevel)?> RepositoryAsync(CancellationToken cancellationToken)
    {
        var result = await RunAsync(["rev-parse", "--is-bare-repository", "--git-common-dir", "--show-toplevel"], allowFailure: true,
            cancellationToken: cancellationToken);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (result.ExitCode != 0 || lines.Length < 2)
        {
            return null;
        }

        var bare = lines[0] == "true";
        return (bare, lines[1], !bare && lines.Length >= 3 ? lines[2] : null);
    }

    public async Task<bool> IsInsideRepositoryAsync(CancellationToken cancellationToken) =>
        (await RunAsync(["rev-parse", "--git-dir"], allowFailure: true, cancellationToken: cancellationToken)).ExitCode == 0;

    public async Task<string?> RevParseAsync(string revision, CancellationToken cancellationToken)
    {
        var result = await RunAsync(["rev-parse", "--verify", "--quiet", "--end-of-options", revision], allowFailure: true,
            cancellationToken: cancellationToken);
        return result.ExitCode == 0 && result.Stdout.Trim() is { Length: > 0 } id ? id : null;
    }

    public async Task<DateTimeOffset?> ParseDateAsync(string text, CancellationToken cancellationToken)
    {
        var result = await RunAsync(["-c", "lfs-s3.date=" + text, "config", "--type=expiry-date", "lfs-s3.date"], allowFailure: true,
            cancellationToken: cancellationToken);
        return result.ExitCode == 0 && long.TryParse(result.Stdout.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;
    }

    public async Task<string?> ConfigGetAsync(GitConfigSource source, string key, CancellationToken cancellationToken)
    {
        var result = await RunAsync(["config", .. source.Arguments, "--get", key], allowFailure: true, cancellationToken: cancellationToken);
        return result.ExitCode == 0 ? result.Stdout.Trim() : null;
    }

    public async Task<Dictionary<string, string>> ConfigGetRegexpAsync(GitConfigSource source, string pattern, CancellationToken cancellationToken) =>
        GitOutput.ConfigList((await RunAsync(["config", "-z", .. source.Arguments, "--get-regexp", pattern], allowFailure: true,
            cancellationToken: cancellationToken)).Stdout);

    public async Task<Dictionary<string, (string Value, string Origin)>> ConfigGetRegexpWithOriginsAsync(string pattern, CancellationToken cancellationToken) =>
        GitOutput.ConfigListWithOrigins((await RunAsync(["config", "-z", "--show-scope", "--show-origin", "--get-regexp", pattern], allowFailure: true,
            cancellationToken: cancellationToken)).Stdout);

    public async Task<string?> ConfigGetUrlmatchAsync(string key, string url, CancellationToken cancellationToken)
    {
        var result = await RunAsync(["config", "--get-urlmatch", key, url], allowFailure: true, cancellationToken: cancellationToken);
        return result.ExitCode == 0 ? result.Stdout.Trim() : null;
    }

    public Task ConfigSetAsync(GitConfigSource source, string key, string value, CancellationToken cancellationToken) =>
        RunAsync(["config", .. source.Arguments, key, value], cancellationToken: cancellationToken);

    public async Task<bool> ConfigUnsetAllAsync(GitConfigSource source, string key, string? valuePattern, CancellationToken cancellationToken) =>
        (await RunAsync(["config", .. source.Arguments, "--unset-all", key, .. valuePattern is null ? Array.Empty<string>() : [valuePattern]],
            allowFailure: true, cancellationToken: cancellationToken)).ExitCode == 0;

    public async Task<bool> ConfigRemoveSectionAsync(GitConfigSource source, string section, CancellationToken cancellationToken) =>
        (await RunAsync(["config", .. source.Arguments, "--remove-section", section], allowFailure: true, cancellationToken: cancellationToken)).ExitCode == 0;

    public async Task<List<TreeFile>> LsTreeAsync(string treeish, IReadOnlyList<string>? paths, LsTreeOptions options, CancellationToken cancellationToken)
    {
        string[] args = ["ls-tree", .. options.Recursive ? ["-r"] : Array.Empty<string>(), "-z", .. options.Sizes ? ["-l"] : Array.Empty<string>(),
            "--full-tree", treeish, .. paths is null ? Array.Empty<string>() : ["--", .. paths]];
        var result = await RunAsync(args, allowFailure: options.EmptyOnFailure, cancellationToken: cancellationToken);
        return result.ExitCode == 0 ? GitOutput.LsTree(result.Stdout) : [];
    }

    public async Task<List<TreeFile>> LsFilesStagedAsync(IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        var result = await RunAsync(["ls-files", "-s", "-z", "--", .. paths], allowFailure: true, cancellationToken: cancellationToken);
        return result.ExitCode == 0 ? GitOutput.LsFilesStaged(result.Stdout) : [];
    }

    public async Task<string> ReadBlobAsync(string blob, CancellationToken cancellationToken) =>
        (await RunAsync(["cat-file", "blob", blob], cancellationToken: cancellationToken)).Stdout;

    public Task<byte[]?> ReadObjectAsync(string id, CancellationToken cancellationToken) =>
        // (one session for parallel lookups: a second would leave its cat-file running)
        LazyInitializer.EnsureInitialized(ref _objects, () => new CatFileSession(_runner)).ReadAsync(id, cancellationToken);

    public TextReader OpenBlob(string blob) => new ProcessOutputReader(_runner.Start(["cat-file", "blob", blob], redirectStdin: false));

    public async Task WriteBlobAsync(string blob, string file, CancellationToken cancellationToken)
    {
        using var process = _runner.Start(["cat-file", "blob", blob], redirectStdin: false);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await using (var target = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            await process.StandardOutput.BaseStream.CopyToAsync(target, cancellationToken);
        }

        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new GitException($"git cat-file blob {blob} failed: {(await stderr).Trim()}", process.ExitCode);
        }
    }

    public async Task<List<GitObjectInfo>> BatchCheckAsync(IReadOnlyCollection<string> objects, CancellationToken cancellationToken) =>
        objects.Count == 0 ? [] : GitOutput.BatchCheck((await RunAsync(["cat-file", "--batch-check=%(objectname) %(objecttype) %(objectsize)"],
            string.Join('\n', objects) + "\n", cancellationToken: cancellationToken)).Stdout);

    public async Task<Dictionary<string, byte[]>> BatchAsync(IReadOnlyCollection<string> objects, CancellationToken cancellationToken)
    {
        if (objects.Count == 0)
        {
            return new Dictionary<string, byte[]>(StringComparer.Ordinal);
        }

        using var process = _runner.Start(["cat-file", "--batch"], redirectStdin: true);
        var writer = Task.Run(async () =>
        {
            await process.StandardInput.WriteAsync(string.Join('\n', objects) + "\n");
            process.StandardInput.Close();
        }, cancellationToken);
        var buffer = new MemoryStream();
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.StandardOutput.BaseStream.CopyToAsync(buffer, cancellationToken);
        await writer;
        await stderr;
        await process.WaitForExitAsync(cancellationToken);
        return GitOutput.Batch(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    public async Task<List<LogEntry>> LogAsync(GitLogQuery query, CancellationToken cancellationToken)
    {
        string[] args =
        [
            // -c: a merge shows the files that differ from every parent (what the merge itself wrote: a file added only
            // there, a conflict resolved by hand); what one side brought is its own commit's change.
            "log", "--raw", "-z", "--no-abbrev", "--no-color", "-c", query.Renames ? "-M" : "--no-renames",
            .. query.DiffFilter is { } filter ? ["--diff-filter=" + filter] : Array.Empty<string>(),
            .. query.FindObject is { } found ? ["--find-object=" + found] : Array.Empty<string>(),
            "--format=" + (query.Commits ? GitOutput.LogHeaderFormat : ""),
            .. query.Revisions,
            .. query.StdinRevisions is null ? Array.Empty<string>() : ["--stdin"],
            "--",
        ];
        var stdin = query.StdinRevisions is { } revisions ? string.Concat(revisions.Select(r => r + "\n")) : null;
        return GitOutput.Log((await RunAsync(args, stdin, cancellationToken: cancellationToken)).Stdout);
    }

    public async Task<string?> LastCommitAsync(string format, string path, CancellationToken cancellationToken)
    {
        var result = await RunAsync(["log", "-1", "--format=" + format, "--", path], allowFailure: true, cancellationToken: cancellationToken);
        return result.ExitCode == 0 && result.Stdout.Trim() is { Length: > 0 } line ? line : null;
    }

    public async Task<string?> FirstReachableAsync(IEnumerable<string> revisions, CancellationToken cancellationToken)
    {
        var result = await RunAsync(["rev-list", "-1", "--stdin"], string.Concat(revisions.Select(r => r + "\n")), cancellationToken: cancellationToken);
        return result.Stdout.Trim() is { Length: > 0 } id ? id : null;
    }

    public async Task<List<string>> ForEachRefAsync(string format, IReadOnlyList<string> patterns, CancellationToken cancellationToken) =>
        GitOutput.Lines((await RunAsync(["for-each-ref", "--format=" + format, .. patterns], cancellationToken: cancellationToken)).Stdout);

    public async Task<bool> AddAsync(IReadOnlyList<string> paths, CancellationToken cancellationToken) =>
        (await RunAsync(["add", "--", .. paths], allowFailure: true, cancellationToken: cancellationToken)).ExitCode == 0;

    public async Task<List<(string Path, string Value)>> CheckAttrAsync(string attribute, IReadOnlyCollection<string> paths, CancellationToken cancellationToken)
    {
        var result = await RunAsync(["check-attr", "-z", "--stdin", attribute], string.Concat(paths.Select(p => p + "\0")), allowFailure: true,
            cancellationToken: cancellationToken);
        return GitOutput.CheckAttr(result.Stdout);
    }

    public async Task<bool> GrepAsync(string text, IReadOnlyList<string> pathspecs, CancellationToken cancellationToken) =>
        (await RunAsync(["grep", "-q", "-F", text, "--", .. pathspecs], allowFailure: true, cancellationToken: cancellationToken)).ExitCode == 0;

    public async Task<List<string>> RemotesAsync(CancellationToken cancellationToken) =>
        GitOutput.Lines((await RunAsync(["remote"], cancellationToken: cancellationToken)).Stdout);

    public async Task<List<(string Name, string Url)>> RemoteUrlsAsync(CancellationToken cancellationToken) =>
        [.. GitOutput.Lines((await RunAsync(["remote", "-v"], allowFailure: true, cancellationToken: cancellationToken)).Stdout)
            .Select(l => l.Split('\t', ' ')).Where(p => p.Length >= 2).Select(p => (p[0], p[1]))];

    public Task<GitOutcome> FetchAsync(string remote, IReadOnlyList<string> refspecs, IReadOnlyDictionary<string, string>? environment,
        CancellationToken cancellationToken) => OutcomeAsync(["fetch", "--quiet", remote, .. refspecs], environment, cancellationToken);

    public Task<GitOutcome> FetchOwnAsync(string remote, IReadOnlyList<string> refspecs, bool tipOnly, IReadOnlyDictionary<string, string>? environment,
        CancellationToken cancellationToken) =>
        OutcomeAsync(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--no-recurse-submodules", .. tipOnly ? ["--depth", "1"] : Array.Empty<string>(),
            remote, .. refspecs], environment, cancellationToken);

    public async Task<(GitOutcome Outcome, List<RemoteRef> Refs)> LsRemoteAsync(string remote, CancellationToken cancellationToken)
    {
        var result = await RunAsync(["ls-remote", "--end-of-options", remote], allowFailure: true, cancellationToken: cancellationToken);
        return (new GitOutcome(result.ExitCode == 0, result.Stderr.Trim()), result.ExitCode == 0 ? GitOutput.LsRemote(result.Stdout) : []);
    }

    public async Task<List<string>> StashesAsync(CancellationToken cancellationToken) =>
        GitOutput.Lines((await RunAsync(["stash", "list", "--format=%H"], allowFailure: true, cancellationToken: cancellationToken)).Stdout);

    public async Task DeleteRefsAsync(IReadOnlyCollection<string> names, CancellationToken cancellationToken)
    {
        if (names.Count > 0)
        {
            await RunAsync(["update-ref", "--stdin"], string.Concat(names.Select(n => $"delete {n}\n")), cancellationToken: cancellationToken);
        }
    }

    public async Task<string?> SymbolicRefAsync(string name, CancellationToken cancellationToken) =>
        (await RunAsync(["symbolic-ref", "-q", name], allowFailure: true, cancellationToken: cancellationToken)) is { ExitCode: 0 } result
            && result.Stdout.Trim() is { Length: > 0 } target ? target : null;

    public async Task<string?> LastCommitBeforeAsync(string revision, DateTimeOffset before, CancellationToken cancellationToken) =>
        (await RunAsync(["rev-list", "-1", "--before=" + before.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), revision, "--"], allowFailure: true, cancellationToken: cancellationToken))
            is { ExitCode: 0 } result && result.Stdout.Trim() is { Length: > 0 } id ? id : null;

    public async Task<bool> IsShallowAsync(CancellationToken cancellationToken) =>
        (await RunAsync(["rev-parse", "--is-shallow-repository"], allowFailure: true, cancellationToken: cancellationToken)).Stdout.Trim() == "true";

    public async Task<bool> IsAncestorAsync(string ancestor, string descendant, CancellationToken cancellationToken) =>
        (await RunAsync(["merge-base", "--is-ancestor", ancestor, descendant], allowFailure: true, cancellationToken: cancellationToken)).ExitCode == 0;

    public Task<GitOutcome> PushAsync(string remote, IReadOnlyList<string> refspecs, IReadOnlyDictionary<string, string>? environment,
        CancellationToken cancellationToken) => OutcomeAsync(["push", "--quiet", "--no-verify", remote, .. refspecs], environment, cancellationToken);

    public async Task<string> WriteBlobObjectAsync(string content, CancellationToken cancellationToken) =>
        (await RunAsync(["hash-object", "-w", "--stdin"], content, cancellationToken: cancellationToken)).Stdout.Trim();

    /// <summary>From this many blobs on, one pack: git's own <c>transfer.unpackLimit</c> (a fetch of fewer objects makes them loose).</summary>
    internal const int PackedBlobsFrom = 100;

    public async Task<IReadOnlyList<string>> WriteBlobObjectsAsync(IReadOnlyList<string> contents, CancellationToken cancellationToken)
    {
        if (contents.Count >= PackedBlobsFrom)
        {
            // A first push of many files rewrites all 256 mapping shards: a loose object and a temporary file each cost
            // a file creation, slow on some file systems (NTFS with a virus scanner, ext4 after mass deletes).
            var input = new StringBuilder();
            for (var i = 0; i < contents.Count; i++)
            {
                input.Append(CultureInfo.InvariantCulture, $"blob\nmark :{i + 1}\ndata {Encoding.UTF8.GetByteCount(contents[i])}\n")
                    .Append(contents[i]).Append('\n');
            }

            for (var i = 0; i < contents.Count; i++)
            {
                input.Append(CultureInfo.InvariantCulture, $"get-mark :{i + 1}\n");
            }

            input.Append("done\n");
            var result = await RunAsync(["fast-import", "--quiet", "--done"], input.ToString(), cancellationToken: cancellationToken);
            var ids = GitOutput.Lines(result.Stdout);
            return ids.Count == contents.Count ? ids : throw new GitException($"git fast-import wrote {ids.Count} of {contents.Count} blobs", 1);
        }

        var folder = Directory.CreateTempSubdirectory("git-lfs-s3-blobs-").FullName;
        try
        {
            var paths = new List<string>();
            for (var i = 0; i < contents.Count; i++)
            {
                paths.Add(Path.Combine(folder, i.ToString(CultureInfo.InvariantCulture)));
                await File.WriteAllTextAsync(paths[^1], contents[i], new System.Text.UTF8Encoding(false), cancellationToken);
            }

            return await WriteFileBlobsAsync(paths, cancellationToken);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    public async Task<IReadOnlyList<string>> WriteFileBlobsAsync(IReadOnlyList<string> files, CancellationToken cancellationToken)
    {
        if (files.Count == 0)
        {
            return [];
        }

        var result = await RunAsync(["hash-object", "-w", "--no-filters", "--stdin-paths"], string.Join('\n', files) + "\n", cancellationToken: cancellationToken);
        var ids = GitOutput.Lines(result.Stdout);
        return ids.Count == files.Count ? ids : throw new GitException($"git hash-object wrote {ids.Count} of {files.Count} blobs", 1);
    }

    public Task ReadTreeIntoAsync(string indexFile, string? treeish, CancellationToken cancellationToken) =>
        RunAsync(["read-tree", treeish ?? "--empty"], extraEnvironment: IndexFile(indexFile), cancellationToken: cancellationToken);

    public Task UpdateIndexAsync(string indexFile, IReadOnlyCollection<TreeFile> entries, IReadOnlyCollection<string> removals,
        CancellationToken cancellationToken) =>
        RunAsync(["update-index", "-z", "--index-info"],
            string.Concat(removals.Select(p => $"0 {new string('0', 40)}\t{p}\0").Concat(entries.Select(e => $"{e.Mode} {e.Blob}\t{e.Path}\0"))),
            extraEnvironment: IndexFile(indexFile), cancellationToken: cancellationToken);

    public async Task<string> WriteTreeAsync(string indexFile, CancellationToken cancellationToken) =>
        (await RunAsync(["write-tree"], extraEnvironment: IndexFile(indexFile), cancellationToken: cancellationToken)).Stdout.Trim();

    private static Dictionary<string, string> IndexFile(string path) => new() { ["GIT_INDEX_FILE"] = path };

    public Task<GitOutcome> MoveWorkTreeAsync(string? from, string target, CancellationToken cancellationToken) =>
        OutcomeAsync(["read-tree", "-m", "-u", .. from is null ? Array.Empty<string>() : [from], target], null, cancellationToken);

    public async Task<List<string>> ChangedTrackedPathsAsync(CancellationToken cancellationToken) =>
        GitOutput.StatusPaths((await RunAsync(["status", "--porcelain=v1", "-z", "--untracked-files=no", "--no-renames"],
            cancellationToken: cancellationToken)).Stdout);

    public async Task<bool> IsValidBranchNameAsync(string name, CancellationToken cancellationToken) =>
        (await RunAsync(["check-ref-format", "--branch", name], allowFailure: true, cancellationToken: cancellationToken)).ExitCode == 0;

    public async Task<string> MakeTreeAsync(IReadOnlyCollection<TreeFile> entries, CancellationToken cancellationToken) =>
        (await RunAsync(["mktree", "-z"], string.Concat(entries.Select(e => $"{e.Mode} {e.Type} {e.Blob}\t{e.Path}\0")),
            cancellationToken: cancellationToken)).Stdout.Trim();

    public async Task<string> CommitTreeAsync(string tree, IReadOnlyList<string> parents, string message, CancellationToken cancellationToken)
    {
        string[] args = ["commit-tree", tree, .. parents.SelectMany(p => new[] { "-p", p })];
        var result = await RunAsync(args, message, allowFailure: true, cancellationToken: cancellationToken);
        if (result.ExitCode != 0)
        {
            result = await RunAsync(["-c", "user.name=git-lfs-s3", "-c", "user.email=git-lfs-s3@localhost", .. args], message, cancellationToken: cancellationToken);
        }

        return result.Stdout.Trim();
    }

    public async Task<bool> UpdateRefAsync(string name, string id, string? expected, CancellationToken cancellationToken) =>
        (await RunAsync(["update-ref", name, id, .. expected is null ? Array.Empty<string>() : [expected]], allowFailure: true,
            cancellationToken: cancellationToken)).ExitCode == 0;

    private async Task<GitOutcome> OutcomeAsync(string[] args, IReadOnlyDictionary<string, string>? environment, CancellationToken cancellationToken)
    {
        var result = await RunAsync(args, allowFailure: true, extraEnvironment: environment, cancellationToken: cancellationToken);
        return new GitOutcome(result.ExitCode == 0, result.Stderr.Trim());
    }

    private Task<GitResult> RunAsync(string[] args, string? stdin = null, bool allowFailure = false,
        IReadOnlyDictionary<string, string>? extraEnvironment = null, CancellationToken cancellationToken = default) =>
        _runner.RunAsync(args, stdin, allowFailure, extraEnvironment, cancellationToken);

    [GeneratedRegex(@"^git-lfs/(\d+)\.")]
    private static partial Regex LfsVersionPattern();

    /// <summary>A process's stdout read line by line; disposing waits for the process to end.</summary>
    private sealed class ProcessOutputReader(System.Diagnostics.Process process) : TextReader
    {
        public override string? ReadLine() => process.StandardOutput.ReadLine();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                process.StandardOutput.Dispose();
                process.WaitForExit();
                process.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
