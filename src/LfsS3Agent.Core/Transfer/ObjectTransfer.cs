using LfsS3Agent.Core.Diagnostics;
using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Core.Storage;
using Microsoft.Extensions.Logging;

namespace LfsS3Agent.Core.Transfer;

/// <summary>
/// Uploads and downloads LFS objects as exact versions of readable keys. Set-up (git, settings, S3 client,
/// SQLite) happens on the first request, not at init, so the idle agent processes git-lfs starts cost nothing.
/// </summary>
public sealed class ObjectTransfer : ITransferHandler
{
    private const int MaxAttempts = 3;

    private readonly Func<CancellationToken, Task<RepositoryContext>> _open;
    private readonly ILogger _logger;
    private Task<RepositoryContext>? _context;
    private Dictionary<string, List<MappingEntry>>? _hints;
    private bool _recorded;
    private Task? _versioningChecked;
    private VersionFinder? _uploadFinder;

    public ObjectTransfer(Func<CancellationToken, Task<RepositoryContext>> open, ILogger logger)
    {
        _open = open;
        _logger = logger;
    }

    public async Task<string?> TransferAsync(TransferItem item, IProgressReporter progress, CancellationToken cancellationToken)
    {
        // A failed set-up is kept, so every later request fails at once with the same message.
        var context = await (_context ??= _open(cancellationToken));
        if (item.Operation == Protocol.ProtocolNames.Upload)
        {
            await UploadAsync(context, item, progress, cancellationToken);
            return null;
        }

        return await DownloadAsync(context, item, progress, cancellationToken);
    }

    private async Task UploadAsync(RepositoryContext context, TransferItem item, IProgressReporter progress, CancellationToken cancellationToken)
    {
        var file = new FileInfo(item.LocalPath!);
        if (!file.Exists)
        {
            throw new TransferException(TransferErrorCode.NotFound, $"local object {item.LocalPath} does not exist; run `git lfs fsck`");
        }

        if (file.Length != item.Size)
        {
            throw new TransferException(TransferErrorCode.IntegrityError,
                $"local object {item.LocalPath} has {file.Length} bytes, the pointer says {item.Size}; run `git lfs fsck`");
        }

        var store = context.Store;
        if (context.Cache.Find(store.Id, item.Oid) is { } cached && cached.Size == item.Size)
        {
            Log.Debug(_logger, $"{item.Oid} already stored as {store.Describe(cached.Key)} version {cached.VersionId} (cache)");
            Record(context, cached);
            return;
        }

        // One finder for the process: folder listings answer "already stored?" for many files at once.
        var finder = _uploadFinder ??= new VersionFinder(store, folderListings: true);
        foreach (var hint in await HintsAsync(context, item.Oid, cancellationToken))
        {
            if (hint.Size == item.Size && await finder.CheckAsync(hint, cancellationToken) is null)
            {
                Log.Debug(_logger, $"{item.Oid} already stored as {store.Describe(hint.Key)} version {hint.VersionId} (mapping file)");
                Record(context, hint);
                return;
            }
        }

        var path = await context.Paths.FindPathAsync(item.Oid, cancellationToken);
        var key = path is null ? context.OrphanKey(item.Oid) : context.KeyFor(path);
        if (path is null)
        {
            Log.Warn(_logger, $"no path in git history for {item.Oid}; storing it as {store.Describe(key)}");
        }

        if (await finder.FindAsync(key, item.Oid, item.Size, cancellationToken) is { } existing)
        {
            Log.Debug(_logger, $"{item.Oid} already stored as {store.Describe(key)} version {existing.VersionId}");
            Record(context, existing);
            return;
        }

        await (_versioningChecked ??= EnsureVersioningAsync(context, cancellationToken));
        var versionId = await WithRetriesAsync(() => store.UploadAsync(key, file.FullName, item.Size, item.Oid, progress, cancellationToken),
            cancellationToken);
        Log.Info(_logger, $"uploaded {item.Oid} to {store.Describe(key)} version {versionId}");
        Record(context, new MappingEntry(item.Oid, item.Size, versionId, key));
    }

    /// <summary>Refuses to write into a bucket without versioning, where an edit would destroy the old version.</summary>
    private static async Task EnsureVersioningAsync(RepositoryContext context, CancellationToken cancellationToken)
    {
        var state = await context.Store.GetVersioningAsync(cancellationToken);
        if (state != VersioningState.Enabled)
        {
            throw new TransferException(TransferErrorCode.NotConfigured,
                StoreMessages.VersioningOff(context.Settings.RequireBucket(), context.Settings.Endpoint, state));
        }
    }

    private async Task<string> DownloadAsync(RepositoryContext context, TransferItem item, IProgressReporter progress, CancellationToken cancellationToken)
    {
        var store = context.Store;
        var tried = new HashSet<(string, string)>();
        var failures = new List<string>();

        // Trusted first (our own verified cache), then the committed mapping, then the bucket itself.
        if (context.Cache.Find(store.Id, item.Oid) is { } cached)
        {
            if (await TryDownloadAsync(context, item, cached, tried, failures, progress, cancellationToken) is { } path)
            {
                return path;
            }

            context.Cache.Remove(store.Id, item.Oid);
        }

        foreach (var hint in await HintsAsync(context, item.Oid, cancellationToken))
        {
            if (await TryDownloadAsync(context, item, hint, tried, failures, progress, cancellationToken) is { } path)
            {
                return path;
            }
        }

        // Every path the file ever had (a renamed file was stored under its name at the time), then the orphan key.
        var repoPaths = await context.Paths.FindPathsAsync(item.Oid, cancellationToken);
        var keys = context.CandidateKeys(repoPaths, item.Oid).ToList();
        var finder = new VersionFinder(store);
        foreach (var key in keys)
        {
            if (await finder.FindAsync(key, item.Oid, item.Size, cancellationToken) is { } found
                && await TryDownloadAsync(context, item, found, tried, failures, progress, cancellationToken) is { } path)
            {
                return path;
            }
        }

        var where = repoPaths.Count == 0 ? "its path is not in this repository's history" : $"looked at {string.Join(", ", keys.SkipLast(1).Select(store.Describe))}";
        var detail = failures.Count > 0 ? "; " + string.Join("; ", failures) : "";
        throw new TransferException(TransferErrorCode.NotFound,
            $"object {item.Oid} ({item.Size} bytes) is not in the bucket ({where}){detail}. "
            + "Was it pushed? Run `git lfs push --all origin` in the clone that has it");
    }

    /// <summary>Downloads one candidate version; returns null (and notes why) when it is missing or has other bytes.</summary>
    private async Task<string?> TryDownloadAsync(RepositoryContext context, TransferItem item, MappingEntry entry,
        HashSet<(string, string)> tried, List<string> failures, IProgressReporter progress, CancellationToken cancellationToken)
    {
        if (!tried.Add((entry.Key, entry.VersionId)))
        {
            return null;
        }

        try
        {
            var path = await WithRetriesAsync(() => DownloadVersionAsync(context, item, entry, progress, cancellationToken), cancellationToken);
            context.Cache.Put(context.Store.Id, entry with { Oid = item.Oid, Size = item.Size });
            return path;
        }
        catch (TransferException ex) when (ex.Code is TransferErrorCode.NotFound or TransferErrorCode.IntegrityError)
        {
            Log.Warn(_logger, $"{context.Store.Describe(entry.Key)} version {entry.VersionId} is not {item.Oid}: {ex.Message}");
            failures.Add(ex.Message);
            return null;
        }
    }

    private async Task<string> DownloadVersionAsync(RepositoryContext context, TransferItem item, MappingEntry entry,
        IProgressReporter progress, CancellationToken cancellationToken)
    {
        var tempDir = context.LfsTempDir;
        Directory.CreateDirectory(tempDir);
        // <oid>-<random>: git-lfs's own cleanup removes such files once the object is in place.
        var path = Path.Combine(tempDir, $"{item.Oid}-{Path.GetRandomFileName()}");
        try
        {
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            using (var hashing = new HashingStream(file, progress))
            {
                await context.Store.DownloadAsync(entry.Key, entry.VersionId, hashing, progress, cancellationToken);
                await hashing.FlushAsync(cancellationToken);
                if (hashing.BytesWritten != item.Size)
                {
                    throw new TransferException(TransferErrorCode.IntegrityError,
                        $"{context.Store.Describe(entry.Key)} version {entry.VersionId} has {hashing.BytesWritten} bytes, expected {item.Size}");
                }

                var digest = hashing.HexDigest();
                if (digest != item.Oid)
                {
                    throw new TransferException(TransferErrorCode.IntegrityError,
                        $"{context.Store.Describe(entry.Key)} version {entry.VersionId} hashes to {digest}, expected {item.Oid}");
                }
            }

            return path;
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    private async Task<IReadOnlyList<MappingEntry>> HintsAsync(RepositoryContext context, string oid, CancellationToken cancellationToken)
    {
        _hints ??= await context.ReadMappingHintsAsync(problem => Log.Warn(_logger, problem), cancellationToken);
        return _hints.TryGetValue(oid, out var list) ? list : [];
    }

    /// <summary>Records an upload (or an object found already stored while uploading) for the mapping file.</summary>
    private void Record(RepositoryContext context, MappingEntry entry)
    {
        context.Cache.Put(context.Store.Id, entry, uploaded: true);
        _recorded = true;
    }

    /// <summary>git-lfs never retries an agent's error, so transient storage failures are retried here.</summary>
    private async Task<T> WithRetriesAsync<T>(Func<Task<T>> action, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await action();
            }
            catch (StoreException ex) when (ex.Transient && attempt < MaxAttempts)
            {
                Log.Warn(_logger, $"attempt {attempt} failed, retrying: {ex.Message}");
                await Task.Delay(TimeSpan.FromMilliseconds(500 * attempt * attempt), cancellationToken);
            }
        }
    }

    /// <summary>At the end of a session, adds what this process recorded to the work tree's mapping file.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_context is not { IsCompletedSuccessfully: true })
        {
            return;
        }

        var context = await _context;
        try
        {
            // Everything this clone uploaded, not just this process's share: a killed earlier push is completed too.
            if (_recorded)
            {
                var added = await context.SyncMappingFileAsync(CancellationToken.None);
                Log.Debug(_logger, $"mapping file: {added} new entries");
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or TransferException)
        {
            Log.Warn(_logger, $"could not update {context.MappingFilePath}: {ex.Message}", ex);
        }
        finally
        {
            context.Dispose();
        }
    }
}
