using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.LocalState;
using LfsS3Agent.Core.Locking;
using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Core.Objects;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;
using LfsS3Agent.Core.Transfer;
using Microsoft.Extensions.Logging;

namespace LfsS3Agent.Core;

/// <summary>
/// The parts of the repository a process works in, opened once: settings, store, cache, path index, key
/// layout and the committed mapping. It holds no logic of its own; each part is its own room.
/// </summary>
public sealed class Workspace : IDisposable
{
    private Workspace(GitRepository repository, AgentSettings settings, IObjectStore store)
    {
        Repository = repository;
        Settings = settings;
        Store = store;
        Database = new LocalDatabase(LocalDatabase.DefaultPath(repository.StateDir));
        Cache = new ObjectCache(Database, store.Id);
        Transfers = new TransferLog(Database);
        Paths = new PathIndex(repository, Database, Path.Combine(repository.StateDir, "scan.lock"));
        Layout = new KeyLayout(settings.Prefix);
        Mapping = new CommittedMapping(repository, Database, new MappingBranch(repository, settings.MappingBranch));
    }

    public GitRepository Repository { get; }

    public AgentSettings Settings { get; }

    public IObjectStore Store { get; }

    /// <summary>The clone's local database; each table is a class beside the code that uses it.</summary>
    public LocalDatabase Database { get; }

    public ObjectCache Cache { get; }

    public TransferLog Transfers { get; }

    public PathIndex Paths { get; }

    public KeyLayout Layout { get; }

    public CommittedMapping Mapping { get; }

    /// <summary>File locks, kept in the store.</summary>
    public LockBook Locks => _locks ??= new LockBook(Store, Layout, Repository.Git);

    /// <summary>Which paths are lockable (git-lfs's attribute).</summary>
    public LockablePaths Lockable => _lockable ??= new LockablePaths(Repository);

    /// <summary>Which uploads are stored compressed.</summary>
    public CompressionPolicy Compression => _compression ??= CompressionPolicy.From(Settings);

    private CompressionPolicy? _compression;
    private LockBook? _locks;
    private LockablePaths? _lockable;

    /// <summary>
    /// Where git-lfs wants downloads written (its <c>TempDir</c>): the same file system as its object store,
    /// since it renames them into place. A relative lfs.storage is relative to the git directory, as in git-lfs.
    /// </summary>
    public string LfsTempDir => Settings.LfsStorage is { } storage
        ? Path.Combine(Path.GetFullPath(storage, Repository.CommonDir), "tmp")
        : Repository.LfsTempDir;

    /// <summary>Opens the workspace of the repository the process runs in: the one opening sequence, step by step below.</summary>
    public static Task<Workspace> OpenAsync(ProcessEnvironment environment, IObjectStoreFactory storeFactory,
        CancellationToken cancellationToken) => OpenAsync(environment, storeFactory, forDownloads: false, cancellationToken);

    /// <param name="forDownloads">Only downloads: the storage this clone trusts is read, whatever the checked-out commit names.</param>
    public static async Task<Workspace> OpenAsync(ProcessEnvironment environment, IObjectStoreFactory storeFactory, bool forDownloads,
        CancellationToken cancellationToken)
    {
        var repository = await RepositoryAsync(environment, cancellationToken);
        var settings = forDownloads
            ? await DownloadSettingsAsync(repository, environment, cancellationToken)
            : await StoreSettingsAsync(repository, environment, cancellationToken: cancellationToken);
        return new Workspace(repository, settings, storeFactory.Create(settings));
    }

    /// <summary>Step one of opening: the repository the process runs in (doctor, init and trust start here too).</summary>
    public static Task<GitRepository> RepositoryAsync(ProcessEnvironment environment, CancellationToken cancellationToken) =>
        GitRepository.DiscoverAsync(environment.WorkingDirectory, environment.Variables, cancellationToken);

    /// <summary>
    /// Step two: the settings in force, which must name a store, and whose committed storage this clone trusts. With
    /// <paramref name="proposed"/> (init's values, about to be committed and trusted) those stand in for the committed
    /// file and are not checked against the trusted ones.
    /// </summary>
    public static async Task<AgentSettings> StoreSettingsAsync(GitRepository repository, ProcessEnvironment environment,
        IReadOnlyDictionary<string, string>? proposed = null, CancellationToken cancellationToken = default)
    {
        var settings = await SettingsResolver.LoadAsync(repository, environment, proposed, cancellationToken);
        settings.RequireStore();
        if (proposed is null)
        {
            await TrustedStorage.CheckAsync(repository, settings, cancellationToken);
        }

        return settings;
    }

    /// <summary>
    /// Step two for downloads only: trust guards where bytes go, not which commit is checked out, so downloads use the
    /// storage this clone trusts instead of failing on the one an older commit names.
    /// </summary>
    public static async Task<AgentSettings> DownloadSettingsAsync(GitRepository repository, ProcessEnvironment environment,
        CancellationToken cancellationToken)
    {
        var settings = await SettingsResolver.LoadAsync(repository, environment, cancellationToken: cancellationToken);
        settings = TrustedStorage.ForDownloads(repository, settings);
        settings.RequireStore();
        return settings;
    }

    /// <param name="folderListings">One listing per folder answers for all its keys: right for a push of many files.</param>
    /// <param name="compressed">Also consider smaller versions (stored compressed, confirmed by their OID metadata). A push's
    /// "already stored?" does so only where this repository compresses; everything else always does, so that nothing
    /// that holds an object is ever missed.</param>
    public ObjectLocator CreateLocator(ILogger logger, bool folderListings = false, bool compressed = true) =>
        new(Store, Cache, new SharedListings(Database, Store.Id), Paths, Layout, Mapping, logger, folderListings, Settings.AllowOtherPrefixes, compressed,
            Settings.Parallelism);

    /// <summary>
    /// Commits every entry this clone recorded that the mapping branch lacks (uploads, objects found already stored or
    /// found in the store by a download) and pushes the branch to <paramref name="remote"/>. Entries stay pending when
    /// the push fails (offline, no rights, a protected branch), and the reason is kept for status and doctor. Processes
    /// of one clone take turns; one that finds everything already pushed by another asks the remote nothing.
    /// </summary>
    /// <param name="fetchFirst">Bring the remote's branch in before (sync, rebuild); a push's agents let a refused push do it.</param>
    /// <returns>How many entries were pending, and how the push went.</returns>
    public async Task<(int Pending, BranchPush Push)> PublishMappingAsync(string remote, bool fetchFirst, CancellationToken cancellationToken)
    {
        using var held = FileLock.Acquire(Path.Combine(Repository.StateDir, "mapping.lock"), TimeSpan.FromMinutes(2));
        var branch = Mapping.Branch;
        if (fetchFirst)
        {
            await branch.FetchAsync(remote, cancellationToken);
        }

        var pending = Cache.Uploaded(notYetWritten: true);
        // Only this method moves the branch, always pushing after, under this lock: nothing pending and a push moments ago
        // means the branch is on the remote, without the two git processes of asking (ten agents end each push).
        if (pending.Count == 0 && ((!fetchFirst && branch.PushedRecently(remote, TimeSpan.FromSeconds(15))) || await branch.IsPushedAsync(remote, cancellationToken)))
        {
            return (0, new BranchPush(true, null));
        }

        // Another process of this push was just refused (a protected branch): asking again would only slow the push.
        if (!fetchFirst && branch.LastFailure(within: TimeSpan.FromSeconds(15)) is { } failure)
        {
            return (pending.Count, new BranchPush(false, failure.Reason));
        }

        await branch.CommitAsync(pending, remote, cancellationToken);
        var push = await branch.PushAsync(remote, cancellationToken);
        if (push.Pushed)
        {
            Cache.MarkWritten(pending);
        }

        return (pending.Count, push);
    }

    public void Dispose() => Database.Dispose();
}
