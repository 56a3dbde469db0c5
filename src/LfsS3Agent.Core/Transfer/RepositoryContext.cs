using System.Text;
using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Core.Transfer;

/// <summary>Everything about the repository a process runs in: settings, store, cache, path index. Built once.</summary>
public sealed class RepositoryContext : IDisposable
{
    /// <summary>
    /// Objects whose path is unknown go under <c>&lt;prefix&gt;/.git/lfs/objects/</c>: git never tracks a path
    /// with a <c>.git</c> component, so no user file can ever have that key.
    /// </summary>
    public const string OrphanFolder = ".git/lfs/objects";

    private RepositoryContext(GitRepository repository, AgentSettings settings, IObjectStore store, MappingCache cache)
    {
        Repository = repository;
        Settings = settings;
        Store = store;
        Cache = cache;
        Paths = new PathIndex(repository, cache, Path.Combine(repository.StateDir, "scan.lock"));
    }

    public GitRepository Repository { get; }

    public AgentSettings Settings { get; }

    public IObjectStore Store { get; }

    public MappingCache Cache { get; }

    public PathIndex Paths { get; }

    /// <summary>
    /// Where git-lfs wants downloads written (its <c>TempDir</c>): the same file system as its object store,
    /// since it renames them into place. A relative lfs.storage is relative to the git directory, as in git-lfs.
    /// </summary>
    public string LfsTempDir => Settings.LfsStorage is { } storage
        ? Path.Combine(Path.GetFullPath(storage, Repository.CommonDir), "tmp")
        : Repository.LfsTempDir;

    /// <summary>The work tree's mapping file, or null in a bare repository.</summary>
    public string? MappingFilePath => Repository.WorkTree is { } wt ? Path.Combine(wt, SettingNames.MappingFile) : null;

    public string MappingLockPath => Path.Combine(Repository.StateDir, "mapping.lock");

    public static async Task<RepositoryContext> OpenAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment,
        IObjectStoreFactory storeFactory, CancellationToken cancellationToken)
    {
        var repository = await GitRepository.DiscoverAsync(workingDirectory, cancellationToken);
        var settings = await SettingsResolver.LoadAsync(repository, environment, cancellationToken);
        settings.RequireStore();
        var store = storeFactory.Create(settings);
        var cache = new MappingCache(MappingCache.DefaultPath(repository.StateDir));
        return new RepositoryContext(repository, settings, store, cache);
    }

    /// <summary>The readable key of a file: <c>&lt;prefix&gt;/&lt;path in the repository&gt;</c>.</summary>
    public string KeyFor(string repositoryPath) =>
        Settings.Prefix.Length == 0 ? repositoryPath : Settings.Prefix + "/" + repositoryPath;

    public string OrphanKey(string oid) => KeyFor($"{OrphanFolder}/{oid[..2]}/{oid[2..4]}/{oid}");

    /// <summary>Every key an object may be stored under: each of its paths' keys, in order, then the orphan key.</summary>
    public IEnumerable<string> CandidateKeys(IEnumerable<string> paths, string oid) => paths.Select(KeyFor).Append(OrphanKey(oid));

    /// <summary>
    /// Entries of the committed mapping (work tree file and HEAD's), unverified hints keyed by OID.
    /// Malformed lines are reported through <paramref name="problems"/> with their line numbers and skipped.
    /// </summary>
    public async Task<Dictionary<string, List<MappingEntry>>> ReadMappingHintsAsync(Action<string>? problems,
        CancellationToken cancellationToken)
    {
        var texts = new List<(string Name, string Text)>();
        if (MappingFilePath is { } file && File.Exists(file))
        {
            texts.Add((SettingNames.MappingFile, await File.ReadAllTextAsync(file, Encoding.UTF8, cancellationToken)));
        }

        var head = await Repository.Git.RunAsync(["cat-file", "blob", "HEAD:" + SettingNames.MappingFile], allowFailure: true,
            cancellationToken: cancellationToken);
        if (head.ExitCode == 0)
        {
            texts.Add(("HEAD:" + SettingNames.MappingFile, head.Stdout));
        }

        var hints = new Dictionary<string, List<MappingEntry>>(StringComparer.Ordinal);
        foreach (var (name, text) in texts)
        {
            var (entries, bad) = MappingFile.Parse(text);
            foreach (var problem in bad)
            {
                problems?.Invoke($"{name} line {problem.Line} skipped: {problem.Reason}");
            }

            foreach (var entry in entries)
            {
                var list = hints.TryGetValue(entry.Oid, out var l) ? l : hints[entry.Oid] = [];
                if (!list.Contains(entry))
                {
                    list.Add(entry);
                }
            }
        }

        return hints;
    }

    /// <summary>
    /// Adds every entry this clone uploaded to the work tree's mapping file and stages it, so the developer's
    /// next commit carries it without an extra command. Returns how many lines were added.
    /// </summary>
    public async Task<int> SyncMappingFileAsync(CancellationToken cancellationToken)
    {
        if (MappingFilePath is not { } path)
        {
            return 0;
        }

        var added = MappingFile.Merge(path, MappingLockPath, Cache.Uploaded(Store.Id));
        if (added > 0)
        {
            // Staged, not committed: git add only touches the index, under git's own index.lock.
            await Repository.Git.RunAsync(["add", "--", SettingNames.MappingFile], allowFailure: true, cancellationToken: cancellationToken);
        }

        return added;
    }

    public void Dispose() => Cache.Dispose();
}
