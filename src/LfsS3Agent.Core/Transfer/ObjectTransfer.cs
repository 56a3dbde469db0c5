using LfsS3Agent.Core.Diagnostics;
using LfsS3Agent.Core.Locking;
using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Core.Objects;
using LfsS3Agent.Core.Storage;
using Microsoft.Extensions.Logging;

namespace LfsS3Agent.Core.Transfer;

/// <summary>
/// Uploads and downloads LFS objects as exact versions of readable keys: orchestration only. Where an object
/// is stored is the locator's answer, bytes and their retries are the store's, the mapping branch the workspace's.
/// Set-up happens on the first request, not at init, so the idle agent processes git-lfs starts cost nothing.
/// </summary>
/// <param name="remote">The remote git-lfs named at init (a name or a URL): the mapping branch is pushed there, and fetched from it.</param>
public sealed class ObjectTransfer(Func<CancellationToken, Task<Workspace>> open, string? remote, ILogger logger) : ITransferHandler
{
    private Task<Workspace>? _workspace;
    private ObjectLocator? _locator;
    private Task? _versioningChecked;
    private PushedChanges? _pushed;
    private Task? _deletionsChecked;
    private bool _recorded;
    private readonly List<(string Path, string Oid, long Size, bool Found)> _uploads = [];

    public async Task<string?> TransferAsync(TransferItem item, IProgressReporter progress, CancellationToken cancellationToken)
    {
        // A failed set-up is kept, so every later request fails at once with the same message.
        var workspace = await (_workspace ??= open(cancellationToken));
        var upload = item.Direction == TransferDirection.Upload;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var counted = new CountingProgress(progress);
        var code = ErrorCodes.Internal;
        try
        {
            var path = await TransferAsync(workspace, upload, item, counted, cancellationToken);
            code = 0;
            return path;
        }
        catch (LfsS3Exception ex)
        {
            code = ex.Code;
            throw;
        }
        finally
        {
            RecordTransfer(workspace, new TransferRecord(DateTimeOffset.UtcNow, upload ? "upload" : "download", counted.Bytes, watch.Elapsed, code));
        }
    }

    /// <summary>For <c>usage --transfers</c>; a busy or broken local database never fails the transfer itself.</summary>
    private void RecordTransfer(Workspace workspace, TransferRecord record)
    {
        try
        {
            workspace.Transfers.Add(record);
        }
        catch (LocalState.LocalDatabaseException ex)
        {
            Log.TransferNotRecorded(logger, ex.Message);
        }
    }

    private async Task<string?> TransferAsync(Workspace workspace, bool upload, TransferItem item, IProgressReporter progress,
        CancellationToken cancellationToken)
    {
        // One locator for the process: folder listings shared by the processes answer "already stored?" for a push and
        // "which version?" for a download the mapping does not know, for many files at once.
        if (_locator is null)
        {
            _locator = workspace.CreateLocator(logger, folderListings: true, compressed: !upload || workspace.Compression.Enabled);
            _locator.FetchFrom = upload ? null : remote;
        }

        if (!upload)
        {
            return await _locator.DownloadAsync(item.Oid, item.Size, workspace.LfsTempDir, progress, cancellationToken);
        }

        await UploadAsync(workspace, _locator, item, progress, cancellationToken);
        return null;
    }

    private async Task UploadAsync(Workspace workspace, ObjectLocator locator, TransferItem item, IProgressReporter progress,
        CancellationToken cancellationToken)
    {
        var file = new FileInfo(item.LocalPath!);
        if (!file.Exists || file.Length != item.Size)
        {
            throw new LfsS3Exception(file.Exists ? ErrorCodes.IntegrityError : ErrorCodes.NotFound, file.Exists
                ? $"local object {item.LocalPath} has {file.Length} bytes, the pointer says {item.Size}; run `git lfs fsck`"
                : $"local object {item.LocalPath} does not exist; run `git lfs fsck`");
        }

        // The object's paths, HEAD's first: asked once, and only by the lock check or an actual upload.
        IReadOnlyList<string>? known = null;
        async Task<IReadOnlyList<string>> PathsAsync() => known ??= await workspace.Paths.UploadPathsAsync(item.Oid, item.Size, cancellationToken);

        var store = workspace.Store;
        // Asked once per process, beside the first object's lock check and lookup rather than after them.
        var versioningChecked = _versioningChecked ??= EnsureVersioningAsync(store, cancellationToken);
        await RefuseIfLockedAsync(workspace, item, PathsAsync, cancellationToken);
        var located = await locator.LocateAsync(item.Oid, item.Size, null, cancellationToken);
        if (located.Entry is { } stored)
        {
            Log.AlreadyStored(logger, item.Oid, store.Describe(stored.Key), stored.VersionId, located.Source.ToString());
            Record(workspace, stored);
            // Its key may hold other content as the latest version now (a rejected push, merged the other way).
            if (workspace.Layout.PathOf(stored.Key) is { } storedPath)
            {
                _uploads.Add((storedPath, item.Oid, item.Size, Found: true));
            }

            return;
        }

        var (key, path) = ChooseKey(workspace, item, await PathsAsync());

        await versioningChecked;
        var compressed = store.Capability<ICompressedWrites>();
        var gzip = compressed is not null
            ? await workspace.Compression.CompressAsync(path, file.FullName, item.Size, workspace.LfsTempDir, cancellationToken)
            : null;
        string versionId;
        var storedSize = item.Size;
        try
        {
            if (gzip is null || compressed is null)
            {
                versionId = await store.UploadAsync(key, file.FullName, item.Size, item.Oid, progress, cancellationToken);
            }
            else
            {
                storedSize = new FileInfo(gzip).Length;
                versionId = await compressed.UploadCompressedAsync(key, gzip, storedSize, item.Oid, item.Size, progress, cancellationToken);
                Log.StoredCompressed(logger, item.Oid, item.Size, storedSize);
            }
        }
        finally
        {
            if (gzip is not null)
            {
                File.Delete(gzip);
            }
        }

        // Every stored byte went, whether or not the SDK's last progress event (raised in the background) came yet:
        // usage --transfers counts what was reported.
        progress.Report(storedSize);
        Log.Uploaded(logger, item.Oid, store.Describe(key), versionId);
        locator.Written(key, versionId, storedSize);
        Record(workspace, new MappingEntry(item.Oid, item.Size, versionId, key));
        if (path is not null)
        {
            _uploads.Add((path, item.Oid, item.Size, Found: false));
        }
    }

    /// <summary>
    /// A push that changes a lockable path someone else has locked uploads nothing: the object's paths in the commits
    /// being pushed, and the paths those commits delete (checked once per process), or every path of the object when
    /// the pushed commits cannot be told (a push to a URL). Nothing is asked of the store for other files.
    /// </summary>
    private async Task RefuseIfLockedAsync(Workspace workspace, TransferItem item, Func<Task<IReadOnlyList<string>>> paths,
        CancellationToken cancellationToken)
    {
        if (!await workspace.Lockable.AnyAsync(cancellationToken))
        {
            return;
        }

        var pushed = await (_pushed ??= new PushedChanges(workspace.Repository.Git, remote)).ReadAsync(cancellationToken);
        await RefuseLockedAsync(workspace, pushed is null ? await paths() : pushed.PathsOf(item.Oid, item.Size), cancellationToken);
        if (pushed is not null)
        {
            await (_deletionsChecked ??= RefuseLockedAsync(workspace, pushed.Deleted, cancellationToken));
        }
    }

    private static async Task RefuseLockedAsync(Workspace workspace, IReadOnlyList<string> paths, CancellationToken cancellationToken)
    {
        foreach (var path in await workspace.Lockable.FilterAsync(paths, cancellationToken))
        {
            if (await workspace.Locks.HolderAsync(path, cancellationToken) is { } holder
                && !LockBook.SameOwner(holder.Record, await workspace.Locks.MeAsync(path, cancellationToken)))
            {
                throw new LfsS3Exception(ErrorCodes.Locked,
                    $"{path} is locked by {LockBook.Describe(holder.Record)}; ask them, or git lfs-s3 unlock --force");
            }
        }
    }

    /// <summary>
    /// The key of an upload: the object's path in the history being pushed (HEAD's first, then other refs'), or the
    /// reserved orphan key when it has no path or none that can be a key (too long, not UTF-8).
    /// </summary>
    private (string Key, string? Path) ChooseKey(Workspace workspace, TransferItem item, IReadOnlyList<string> paths)
    {
        var layout = workspace.Layout;
        if (paths.FirstOrDefault(layout.CanBeKey) is { } path)
        {
            return (layout.KeyFor(path), path);
        }

        var key = layout.OrphanKey(item.Oid);
        if (paths.Count == 0)
        {
            Log.NoPathInHistory(logger, item.Oid, workspace.Store.Describe(key));
        }
        else
        {
            Log.PathCannotBeKey(logger, paths[0], item.Oid, workspace.Store.Describe(key));
        }

        return (key, null);
    }

    /// <summary>Refuses to write into a bucket without versioning, where an edit would destroy the old version.</summary>
    private static async Task EnsureVersioningAsync(IObjectStore store, CancellationToken cancellationToken)
    {
        var state = await store.GetVersioningAsync(cancellationToken);
        if (state != VersioningState.Enabled)
        {
            throw new LfsS3Exception(ErrorCodes.NotConfigured, store.VersioningOffMessage(state));
        }
    }

    /// <summary>Records an upload (or an object found already stored while uploading) for the mapping branch.</summary>
    private void Record(Workspace workspace, MappingEntry entry)
    {
        workspace.Cache.Put(entry, uploaded: true);
        _recorded = true;
    }

    /// <summary>
    /// The end of a session (git-lfs's adapter <c>End</c>): commits what this clone recorded to the mapping branch and
    /// pushes it to the remote of this push, then makes the remote's default branch's content the latest version of
    /// each path this process wrote or found. Failures are logged, never thrown: the user's push goes on.
    /// </summary>
    public async Task EndAsync(CancellationToken cancellationToken)
    {
        if (_workspace is not { IsCompletedSuccessfully: true })
        {
            return;
        }

        var workspace = await _workspace;
        try
        {
            // Everything this clone recorded, not just this process's share: a killed earlier push is completed too.
            if (_recorded && remote is not null)
            {
                _recorded = false;
                var (pending, push) = await workspace.PublishMappingAsync(remote, fetchFirst: false, cancellationToken);
                if (push.Pushed)
                {
                    Log.MappingPushed(logger, pending, workspace.Mapping.Branch.Branch, remote);
                }
                else
                {
                    Log.MappingPushFailed(logger, workspace.Mapping.Branch.Branch, remote, pending, push.Reason ?? "");
                }

                await MarkAsync(workspace, push.Pushed, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or LfsS3Exception)
        {
            Log.MappingSyncFailed(logger, workspace.Mapping.Branch.Branch, ex.Message, ex);
        }

        if (_uploads.Count == 0)
        {
            // Nothing this process wrote or found: no git processes to find the default branch on the way out.
            return;
        }

        try
        {
            // git-lfs ends every agent only after all uploads finished, so no later upload can undo this.
            var target = await LatestVersions.TargetAsync(workspace.Repository.Git, remote, cancellationToken);
            await LatestVersions.SettleAsync(workspace.Repository.Git, workspace.Layout, workspace.Store, target, _uploads,
                workspace.Database.LockPath("promote.lock"), logger, cancellationToken);
            _uploads.Clear();
        }
        catch (Exception ex) when (ex is LfsS3Exception or IOException)
        {
            Log.PromoteFailed(logger, ex.Message, ex);
        }
    }

    /// <summary>
    /// Leaves the repository's marker at its prefix, once per clone (repositories set up before markers get theirs at a
    /// push). An id that only the mapping branch holds counts once the branch is pushed (the remote's id wins). Never fails the push.
    /// </summary>
    private async Task MarkAsync(Workspace workspace, bool branchPushed, CancellationToken cancellationToken)
    {
        try
        {
            var id = await RepositoryIdentity.CommittedAsync(workspace.Repository, cancellationToken)
                ?? (branchPushed ? await RepositoryIdentity.ResolveAsync(workspace.Repository, workspace.Mapping.Branch, cancellationToken) : null);
            if (id is not null && await new RepositoryMarkers(workspace.Store).EnsureAsync(workspace.Layout, RepositoryMarkers.Fingerprint(id),
                    workspace.Repository.StateDir, cancellationToken))
            {
                Log.MarkerForeign(logger, workspace.Store.Describe(workspace.Layout.MarkerFolderKey));
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or LfsS3Exception)
        {
            Log.MarkerFailed(logger, ex.Message, ex);
        }
    }

    /// <summary>Releases the workspace; end-of-session work is <see cref="EndAsync"/>'s.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_workspace is { IsCompletedSuccessfully: true })
        {
            (await _workspace).Dispose();
        }
    }
}
