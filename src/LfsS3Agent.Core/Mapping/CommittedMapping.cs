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
/// The mapping as git sees it (work tree, index, HEAD), sharded by the OID's first two hex digits
/// (<c>.lfs-s3/mapping/ab.tsv</c>), plus the single <c>mapping.tsv</c> of older repositories. A lookup reads
/// one shard, imported into SQLite once per git blob id; a push rewrites only the shards it touched. It comes
/// from other people's commits, so what is read here is a hint for the locator to verify, never an answer.
/// </summary>
public sealed class CommittedMapping(GitRepository repository, LocalDatabase database)
{
    private readonly MappingImports _imports = new(database);
    private Dictionary<string, string>? _headBlobs;
    private readonly Dictionary<string, (DateTime Written, long Length, string Blob)> _workBlobs = new(StringComparer.Ordinal);

    private string LockPath => Path.Combine(repository.StateDir, "mapping.lock");

    private string? WorkPath(string relative) => repository.WorkTree is { } wt ? Path.Combine(wt, relative) : null;

    /// <summary>
    /// The entries of the work tree's and HEAD's shard of this OID (and of an old single file), each once. Malformed
    /// lines are reported through <paramref name="problems"/> when their file is first imported, and skipped.
    /// </summary>
    public async Task<List<MappingEntry>> HintsAsync(string oid, Action<string>? problems, CancellationToken cancellationToken)
    {
        var blobs = new List<string>();
        var head = _headBlobs ??= await TreeBlobsAsync("HEAD", cancellationToken);
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

        return blobs.Count == 0 ? [] : _imports.Hints(oid, blobs);
    }

    private async Task ImportAsync(string blob, string name, Action<string>? problems, Func<Task<TextReader>> open)
    {
        if (_imports.IsImported(blob))
        {
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
    /// Adds the entries to their shards in the work tree and stages them, so the developer's next commit carries
    /// them without an extra command; moves the entries of an old single mapping.tsv into shards on the way (shards
    /// first, then the old file is emptied, so an interrupted move is finished by the next one). Returns how many lines were new.
    /// </summary>
    public async Task<int> SyncAsync(IReadOnlyCollection<MappingEntry> entries, CancellationToken cancellationToken)
    {
        if (repository.WorkTree is null)
        {
            return 0;
        }

        var legacy = WorkPath(SettingNames.LegacyMappingFile)!;
        var moved = File.Exists(legacy) ? MappingFile.Parse(await File.ReadAllTextAsync(legacy, cancellationToken)).Entries : [];
        var touched = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var shard in moved.GroupBy(e => SettingNames.MappingShard(e.Oid)))
        {
            MappingFile.Merge(WorkPath(shard.Key)!, LockPath, shard.ToList());
            touched.Add(shard.Key);
        }

        var added = 0;
        foreach (var shard in entries.GroupBy(e => SettingNames.MappingShard(e.Oid)))
        {
            added += MappingFile.Merge(WorkPath(shard.Key)!, LockPath, shard.ToList());
            touched.Add(shard.Key);
        }

        await EnsureShardsMergeAsUnionAsync(cancellationToken);
        if (moved.Count > 0)
        {
            // Emptied, not deleted: a branch that still adds lines to it then merges as a union, never as a
            // modify/delete conflict, and the next push moves those lines too.
            await File.WriteAllTextAsync(legacy, MappingFile.Header + "\n" + MovedNote + "\n", new UTF8Encoding(false), cancellationToken);
        }

        // Staged, not committed: git add only touches the index, under git's own index.lock. Only the shards this
        // clone's entries live in, so git never re-reads the other (perhaps hundreds of MB of) shards.
        string[] paths = [.. touched, ".lfs-s3/.gitattributes", .. File.Exists(legacy) ? [SettingNames.LegacyMappingFile] : Array.Empty<string>()];
        await repository.Git.AddAsync(paths, cancellationToken);
        return added;
    }

    /// <summary>Repositories set up before shards name only mapping.tsv for git's union merge.</summary>
    private async Task EnsureShardsMergeAsUnionAsync(CancellationToken cancellationToken)
    {
        var path = WorkPath(".lfs-s3/.gitattributes")!;
        var text = File.Exists(path) ? await File.ReadAllTextAsync(path, cancellationToken) : "";
        if (!text.Contains(ShardAttributes, StringComparison.Ordinal))
        {
            await File.WriteAllTextAsync(path, text + (text.Length == 0 || text.EndsWith('\n') ? "" : "\n") + ShardAttributes + "\n",
                new UTF8Encoding(false), cancellationToken);
        }
    }

    private const string MovedNote = "# entries moved to .lfs-s3/mapping/<first two hex digits of the OID>.tsv; lines added here are moved there by the next push";

    /// <summary>The line that makes git merge shards as the union of both sides' lines.</summary>
    public const string ShardAttributes = "mapping/*.tsv merge=union";
}
