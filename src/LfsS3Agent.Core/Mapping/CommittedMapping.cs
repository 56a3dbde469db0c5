using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.LocalState;
using LfsS3Agent.Core.Settings;

namespace LfsS3Agent.Core.Mapping;

/// <summary>Which copy of the committed mapping to read.</summary>
public enum MappingSource
{
    WorkTree,
    Index,
    Head,
}

/// <summary>
/// The mapping as git has it: the mapping branch (every copy this clone has, see <see cref="MappingBranch"/>), and what
/// older releases committed in the user's branches (<c>.lfs-s3/mapping/ab.tsv</c> shards and the single
/// <c>mapping.tsv</c> in HEAD and the work tree), read as hints forever. A lookup reads one shard of each, imported
/// into SQLite once per git blob id. It was written by anyone with push rights, so what is read here is a hint for the
/// locator to verify, never an answer.
/// </summary>
public sealed class CommittedMapping(GitRepository repository, LocalDatabase database, MappingBranch branch)
{
    private readonly MappingImports _imports = new(database);
    // Read once for the lookups of a process, which may run in parallel (publish, prune): under a lock, so once.
    private Task<Dictionary<string, string>>? _headBlobs;
    private Task<IReadOnlyList<string>>? _tips;
    private readonly Lock _reads = new();
    private Task<bool>? _fetch;

    // Blobs seen imported by this process: a blob id names fixed content, so SQLite is asked once per blob, not per object.
    private readonly ConcurrentDictionary<string, byte> _imported = new(StringComparer.Ordinal);

    /// <summary>The branch this mapping is kept on.</summary>
    public MappingBranch Branch => branch;
    private readonly ConcurrentDictionary<string, (DateTime Written, long Length, string Blob)> _workBlobs = new(StringComparer.Ordinal);

    private string? WorkPath(string relative) => repository.WorkTree is { } wt ? Path.Combine(wt, relative) : null;

    /// <summary>
    /// The entries of the work tree's and HEAD's shard of this OID (and of an old single file), each once. Malformed
    /// lines are reported through <paramref name="problems"/> when their file is first imported, and skipped.
    /// </summary>
    public async Task<List<MappingEntry>> HintsAsync(string oid, Action<string>? problems, CancellationToken cancellationToken)
    {
        var (hints, complete) = await LookUpAsync(oid, problems, cancellationToken);
        if (!complete)
        {
            // The tables are emptied past their cap, by another process or another lookup of this one, since this
            // process saw a blob imported: import again and look once more.
            _imported.Clear();
            (hints, _) = await LookUpAsync(oid, problems, cancellationToken);
        }

        return hints;
    }

    private async Task<(List<MappingEntry> Entries, bool Complete)> LookUpAsync(string oid, Action<string>? problems, CancellationToken cancellationToken)
    {
        var blobs = new List<string>();
        var shard = MappingBranch.ShardName(oid);
        // Asked beside the branch's tips and tree: every agent of a clone asks both on its first request at once.
        Task<Dictionary<string, string>> headBlobs;
        Task<IReadOnlyList<string>> tips;
        lock (_reads)
        {
            headBlobs = _headBlobs = Kept(_headBlobs) ?? TreeBlobsAsync("HEAD", cancellationToken);
            tips = _tips = Kept(_tips) ?? branch.TipsAsync(cancellationToken);
        }

        foreach (var tip in await tips)
        {
            if ((await branch.ShardsAsync(tip, cancellationToken)).TryGetValue(shard, out var onBranch) && !blobs.Contains(onBranch))
            {
                // Shards are small and a clone wants most of them: one open cat-file serves them all.
                await ImportAsync(onBranch, $"{branch.Branch}:{shard}", problems, async () =>
                    new StringReader(Encoding.UTF8.GetString(await repository.Git.ReadObjectAsync(onBranch, cancellationToken) ?? [])));
                blobs.Add(onBranch);
            }
        }

        var head = await headBlobs;
        foreach (var relative in new[] { SettingNames.MappingShard(oid), SettingNames.LegacyMappingFile })
        {
            if (head.TryGetValue(relative, out var blob))
            {
                await ImportAsync(blob, "HEAD:" + relative, problems, () => BlobReaderAsync(blob));
                blobs.Add(blob);
            }

            if (WorkPath(relative) is { } file && File.Exists(file) && WorkBlobId(file) is var id && id != blob)
            {
                await ImportAsync(id, relative, problems, () => Task.FromResult<TextReader>(new StreamReader(file, Encoding.UTF8)));
                blobs.Add(id);
            }
        }

        return blobs.Count == 0 ? ([], true) : _imports.Hints(oid, blobs);
    }

    /// <summary>A read this process keeps, or null when it failed: the next lookup reads again.</summary>
    private static Task<T>? Kept<T>(Task<T>? read) => read is { IsFaulted: true } or { IsCanceled: true } ? null : read;

    private async Task ImportAsync(string blob, string name, Action<string>? problems, Func<Task<TextReader>> open)
    {
        if (_imported.ContainsKey(blob) || _imports.IsImported(blob))
        {
            _imported.TryAdd(blob, 0);
            return;
        }

        using var reader = await open();
        var bad = new List<MappingProblem>();
        if (_imports.Import(blob, MappingFile.Read(reader).Where(r => r.Problem is null || Skip(bad, r.Problem)).Select(r => r.Entry!)))
        {
            foreach (var problem in bad)
            {
                problems?.Invoke($"{name} line {problem.Line} skipped: {problem.Reason}");
            }
        }

        _imported.TryAdd(blob, 0);

        static bool Skip(List<MappingProblem> bad, MappingProblem problem)
        {
            bad.Add(problem);
            return false;
        }
    }

    /// <summary>A blob streamed from git, so even a large old mapping.tsv is never held in memory whole.</summary>
    private Task<TextReader> BlobReaderAsync(string blob) => Task.FromResult(repository.Git.OpenBlob(blob));

    /// <summary>A work-tree file's blob id, hashed again only when the file changed (a clone looks up thousands of OIDs).</summary>
    private string WorkBlobId(string file)
    {
        var info = new FileInfo(file);
        if (_workBlobs.TryGetValue(file, out var known) && known.Written == info.LastWriteTimeUtc && known.Length == info.Length)
        {
            return known.Blob;
        }

        var blob = BlobId(file);
        _workBlobs[file] = (info.LastWriteTimeUtc, info.Length, blob);
        return blob;
    }

    /// <summary>git's id of a file's content, so a work-tree shard equal to HEAD's is not imported twice.</summary>
    private static string BlobId(string file)
    {
        using var stream = File.OpenRead(file);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        hash.AppendData(Encoding.ASCII.GetBytes($"blob {stream.Length}\0"));
        var buffer = new byte[1 << 16];
        int read;
        while ((read = stream.Read(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The mapping files of a commit or the index (":"): path -> blob id.</summary>
    private async Task<Dictionary<string, string>> TreeBlobsAsync(string source, CancellationToken cancellationToken)
    {
        string[] paths = [SettingNames.MappingFolder, SettingNames.LegacyMappingFile];
        var files = source == ":"
            ? await repository.Git.LsFilesStagedAsync(paths, cancellationToken)
            : await repository.Git.LsTreeAsync(source, paths, new LsTreeOptions(EmptyOnFailure: true), cancellationToken);
        return files.ToDictionary(f => f.Path, f => f.Blob, StringComparer.Ordinal);
    }

    /// <summary>The whole mapping of one copy (all shards and an old single file): for status and verify.</summary>
    public async Task<(List<MappingEntry> Entries, List<(string File, MappingProblem Problem)> Problems)> ReadAsync(MappingSource source,
        CancellationToken cancellationToken)
    {
        var texts = new List<(string File, string Text)>();
        if (source == MappingSource.WorkTree)
        {
            foreach (var file in WorkFiles())
            {
                texts.Add((Path.GetRelativePath(repository.WorkTree!, file).Replace('\\', '/'), await File.ReadAllTextAsync(file, cancellationToken)));
            }
        }
        else
        {
            foreach (var (path, blob) in await TreeBlobsAsync(source == MappingSource.Head ? "HEAD" : ":", cancellationToken))
            {
                texts.Add((path, await repository.Git.ReadBlobAsync(blob, cancellationToken)));
            }
        }

        var entries = new List<MappingEntry>();
        var problems = new List<(string, MappingProblem)>();
        foreach (var (file, text) in texts)
        {
            var (e, p) = MappingFile.Parse(text);
            entries.AddRange(e);
            problems.AddRange(p.Select(x => (file, x)));
        }

        return (entries, problems);
    }

    /// <summary>The mapping entries a commit (or any tree-ish) holds; malformed lines are left out.</summary>
    public async Task<List<MappingEntry>> EntriesAtAsync(string treeish, CancellationToken cancellationToken)
    {
        var entries = new List<MappingEntry>();
        foreach (var (_, blob) in await TreeBlobsAsync(treeish, cancellationToken))
        {
            entries.AddRange(MappingFile.Parse(await repository.Git.ReadBlobAsync(blob, cancellationToken)).Entries);
        }

        return entries;
    }

    private IEnumerable<string> WorkFiles()
    {
        if (WorkPath(SettingNames.MappingFolder) is { } folder && Directory.Exists(folder))
        {
            foreach (var shard in Directory.EnumerateFiles(folder, "*.tsv").Order(StringComparer.Ordinal))
            {
                yield return shard;
            }
        }

        if (WorkPath(SettingNames.LegacyMappingFile) is { } legacy && File.Exists(legacy))
        {
            yield return legacy;
        }
    }

    /// <summary>
    /// Brings the remote's mapping branch in after a lookup found nothing (a single-branch or shallow clone never
    /// fetched it), once per process and once per minute for all the agent processes of one clone; true when the
    /// lookup is worth repeating.
    /// </summary>
    public async Task<bool> FetchOnceAsync(string remote, CancellationToken cancellationToken)
    {
        // Every caller gets the one fetch's answer: lookups running in parallel (publish, prune) may have missed
        // before it brought the branch in, whether they ask while it runs or after.
        var mine = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Interlocked.CompareExchange(ref _fetch, mine.Task, null) is { } fetch)
        {
            return await fetch;
        }

        try
        {
            var worth = await FetchAsync(remote, cancellationToken);
            mine.SetResult(worth);
            return worth;
        }
        catch
        {
            mine.SetResult(false);
            throw;
        }
    }

    private async Task<bool> FetchAsync(string remote, CancellationToken cancellationToken)
    {
        var stamp = Path.Combine(repository.StateDir, "mapping-fetched");
        using (FileLock.Acquire(Path.Combine(repository.StateDir, "mapping-fetch.lock"), TimeSpan.FromSeconds(120)))
        {
            // Another process of this clone fetched it a moment ago: its refs are already here.
            if (!File.Exists(stamp) || DateTime.UtcNow - File.GetLastWriteTimeUtc(stamp) > TimeSpan.FromMinutes(1))
            {
                await branch.FetchAsync(remote, cancellationToken);
                await File.WriteAllTextAsync(stamp, remote + "\n", cancellationToken);
            }
        }

        Task<IReadOnlyList<string>>? before;
        lock (_reads)
        {
            before = _tips;
        }

        var after = await branch.TipsAsync(cancellationToken);
        lock (_reads)
        {
            _tips = Task.FromResult(after);
        }

        return before is not { IsCompletedSuccessfully: true } || !before.Result.SequenceEqual(after);
    }

    /// <summary>
    /// The entries every copy of the mapping branch recorded after <paramref name="since"/>: those of its tip that its last
    /// commit from before then did not have (prune keeps them for the grace period counted from when they were recorded).
    /// </summary>
    public async Task<List<MappingEntry>> BranchEntriesSinceAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        var recent = new HashSet<MappingEntry>();
        foreach (var tip in await branch.TipsAsync(cancellationToken))
        {
            var before = await repository.Git.LastCommitBeforeAsync(tip, since, cancellationToken);
            var old = before is null ? new Dictionary<string, string>() : await branch.ShardsAsync(before, cancellationToken);
            foreach (var (name, blob) in await branch.ShardsAsync(tip, cancellationToken))
            {
                if (old.GetValueOrDefault(name) is var previous && previous == blob)
                {
                    continue;
                }

                var known = previous is null ? [] : MappingFile.Parse(await repository.Git.ReadBlobAsync(previous, cancellationToken)).Entries.ToHashSet();
                recent.UnionWith(MappingFile.Parse(await repository.Git.ReadBlobAsync(blob, cancellationToken)).Entries.Where(e => !known.Contains(e)));
            }
        }

        return [.. recent];
    }

    /// <summary>Every entry of every copy of the mapping branch this clone has (status, verify).</summary>
    public async Task<(List<MappingEntry> Entries, List<(string File, MappingProblem Problem)> Problems)> BranchEntriesAsync(CancellationToken cancellationToken)
    {
        var blobs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tip in await branch.TipsAsync(cancellationToken))
        {
            foreach (var (name, blob) in await branch.ShardsAsync(tip, cancellationToken))
            {
                blobs.TryAdd(blob, name);
            }
        }

        var entries = new HashSet<MappingEntry>();
        var problems = new List<(string, MappingProblem)>();
        foreach (var (blob, name) in blobs)
        {
            var (e, p) = MappingFile.Parse(await repository.Git.ReadBlobAsync(blob, cancellationToken));
            entries.UnionWith(e);
            problems.AddRange(p.Select(x => ($"{branch.Branch}:{name}", x)));
        }

        return (entries.ToList(), problems);
    }
}
