using LfsS3Agent.Core;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace LfsS3Agent.FolderStore;

/// <summary>
/// A versioned store in a plain folder (local disk or a shared drive), laid out like the bucket: the latest
/// version of each key at <c>&lt;root&gt;/&lt;key&gt;</c>, readable as is, and every version under
/// <c>&lt;root&gt;/.lfs-s3-versions/&lt;key&gt;/&lt;version-id&gt;</c> with its OID beside it. Version ids sort
/// by time, so the newest is the last name. Every write goes to a temporary name first and is renamed,
/// so readers and a crash never see half a file. Files are opened as they are (a file manager, a share), so it has
/// no compressed writes; it publishes, keeps lock records, lists for maintenance, links and serves as a copy source.
/// </summary>
public sealed class FolderObjectStore(string root, ILogger? logger = null)
    : IObjectStore, IPublishTarget, ILockRecords, IStoreMaintenance, IStoreLinks, ICopySource
{
    /// <summary>Holds the version history; the folder's only name that is not a key.</summary>
    public const string VersionsFolder = ".lfs-s3-versions";

    private const string OidSuffix = ".oid";
    internal const string TempSuffix = ".tmp";
    // In the versions folder, whose files (not folders) no listing reads.
    private const string ReleaseTurnFile = "lock-release.turn";

    private readonly ILogger _logger = logger ?? NullLogger.Instance;

    public string Root { get; } = Path.GetFullPath(root);

    public string Id => "file|" + Root;

    public string Describe(string key) => new Uri(Path.Combine(Root, key)).AbsoluteUri;

    /// <summary>A folder store always keeps versions; this is only said if that ever changes.</summary>
    public string VersioningOffMessage(VersioningState state) => $"the store folder {Root} does not keep versions";

    public Task<VersioningState> GetVersioningAsync(CancellationToken cancellationToken) =>
        Directory.Exists(Root)
            ? Task.FromResult(VersioningState.Enabled)
            : throw new StoreException(ErrorCodes.NotFound,
                $"the store folder {Root} does not exist: create it (mkdir -p \"{Root}\") or fix lfs-s3.store");

    public async Task<string> UploadAsync(string key, string filePath, long size, string oid, IProgressReporter progress,
        CancellationToken cancellationToken)
    {
        await GetVersioningAsync(cancellationToken);
        var versions = VersionDir(key);
        Directory.CreateDirectory(versions);
        var versionId = $"{DateTime.UtcNow:yyyyMMdd'T'HHmmss'.'fffffff'Z'}-{Guid.NewGuid():N}"[..40];
        var version = Path.Combine(versions, versionId);
        await File.WriteAllTextAsync(version + OidSuffix, oid, cancellationToken);
        await CopyAsync(filePath, version, progress, cancellationToken);

        // The readable copy: replaced by rename, so it always holds one whole version.
        var latest = KeyPath(key);
        Directory.CreateDirectory(Path.GetDirectoryName(latest)!);
        var temp = $"{latest}.{Guid.NewGuid():N}{TempSuffix}";
        File.Copy(version, temp);
        File.Move(temp, latest, overwrite: true);
        return versionId;
    }

    public async Task DownloadAsync(string key, string versionId, Stream destination, IProgressReporter progress, CancellationToken cancellationToken)
    {
        FileStream source;
        try
        {
            source = new FileStream(VersionPath(key, versionId), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw NotFound(key, versionId);
        }

        await using (source)
        {
            await source.CopyToAsync(destination, 1 << 20, cancellationToken);
        }
    }

    public Task<IReadOnlyList<StoredVersion>> ListVersionsAsync(string key, CancellationToken cancellationToken) =>
        Task.FromResult(Versions(key));

    /// <summary>The versions of one key, newest first (file names sort by time).</summary>
    private IReadOnlyList<StoredVersion> Versions(string key)
    {
        var dir = VersionDir(key);
        if (!Directory.Exists(dir))
        {
            return [];
        }

        var files = new DirectoryInfo(dir).GetFiles()
            .Where(f => !f.Name.EndsWith(OidSuffix, StringComparison.Ordinal) && !f.Name.EndsWith(TempSuffix, StringComparison.Ordinal))
            .OrderByDescending(f => f.Name, StringComparer.Ordinal)
            .ToList();
        return files.Select((f, i) => new StoredVersion(key, f.Name, f.Length, i == 0, new DateTimeOffset(f.LastWriteTimeUtc))).ToList();
    }

    public Task<IReadOnlyList<StoredVersion>> ListAllVersionsAsync(string prefix, CancellationToken cancellationToken)
    {
        var result = new List<StoredVersion>();
        var versions = Path.Combine(Root, VersionsFolder);
        var dir = prefix.Length == 0 ? versions : VersionDir(prefix.TrimEnd('/'));
        if (Directory.Exists(dir))
        {
            // A folder that holds version files directly is a key.
            foreach (var keyDir in Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories))
            {
                if (Directory.EnumerateFiles(keyDir).Any())
                {
                    result.AddRange(Versions(Path.GetRelativePath(versions, keyDir).Replace(Path.DirectorySeparatorChar, '/')));
                }
            }
        }

        return Task.FromResult<IReadOnlyList<StoredVersion>>(result);
    }

    /// <summary>
    /// The lock is the file itself. The whole record is written under a temporary name and moved into place
    /// without overwriting (<see cref="ExclusiveMove"/>): exactly one mover succeeds, and a reader never sees a
    /// half-written record (except, for the moment of one write, on a file system without hard links).
    /// </summary>
    public async Task<HeldLock> AcquireLockAsync(string key, byte[] record, CancellationToken cancellationToken)
    {
        var path = KeyPath(key);
        for (var attempt = 0; ; attempt++)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var temp = $"{path}.{Guid.NewGuid():N}{TempSuffix}";
            try
            {
                await File.WriteAllBytesAsync(temp, record, cancellationToken);
                ExclusiveMove.Place(temp, path, record);
                return new HeldLock(key, Token(record), record);
            }
            catch (IOException) when (attempt < 20)
            {
                // Held: report the holder. Released between our move and our read: try again.
                if (await ReadLockAsync(key, cancellationToken) is { } held)
                {
                    return held;
                }
            }
            finally
            {
                File.Delete(temp);
            }
        }
    }

    public async Task<HeldLock?> ReadLockAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var record = await File.ReadAllBytesAsync(KeyPath(key), cancellationToken);
            return new HeldLock(key, Token(record), record);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// Deletes the lock file only while it still holds the same record. Releases take turns (an flock on one file of
    /// the store): otherwise an owner's unlock and a force unlock could both read the record, one delete it, a new
    /// holder take the path, and the other delete the new holder's lock. Acquiring needs no turn: nothing can place
    /// a record while the one a release just read is still there.
    /// </summary>
    public async Task ReleaseLockAsync(HeldLock held, CancellationToken cancellationToken)
    {
        using (ReleaseTurn())
        {
            if (await ReadLockAsync(held.Key, cancellationToken) is { } current && current.VersionId == held.VersionId)
            {
                File.Delete(KeyPath(held.Key));
            }
        }
    }

    private FileStream ReleaseTurn()
    {
        var path = Path.Combine(Root, VersionsFolder, ReleaseTurnFile);
        if (!File.Exists(path))
        {
            // Made with the folder's usual permissions, not FileLock's owner-only ones: everyone who shares the store
            // takes the turn, on a read-only handle.
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            try
            {
                new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite).Dispose();
            }
            catch (IOException) when (File.Exists(path))
            {
                // another client made it first
            }
        }

        return FileLock.Open(path, FileMode.Open, FileAccess.Read, TimeSpan.FromSeconds(30));
    }

    public async Task<IReadOnlyList<HeldLock>> ListLocksAsync(string folder, CancellationToken cancellationToken)
    {
        var result = new List<HeldLock>();
        var dir = Path.Combine(Root, CheckKey(folder.TrimEnd('/')));
        if (Directory.Exists(dir))
        {
            foreach (var file in Directory.EnumerateFiles(dir).Where(f => !f.EndsWith(TempSuffix, StringComparison.Ordinal)))
            {
                if (await ReadLockAsync(folder + Path.GetFileName(file), cancellationToken) is { } held)
                {
                    result.Add(held);
                }
            }
        }

        return result;
    }

    public async Task PutBytesAsync(string key, byte[] content, CancellationToken cancellationToken)
    {
        var path = KeyPath(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Guid.NewGuid():N}{TempSuffix}";
        await File.WriteAllBytesAsync(temp, content, cancellationToken);
        File.Move(temp, path, overwrite: true);
    }

    private static string Token(byte[] record) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(record));

    /// <summary>Writes here go to a temporary name and are renamed: nothing is left half-done to abort.</summary>
    public Task<IReadOnlyList<UnfinishedUpload>> ListUnfinishedUploadsAsync(string prefix, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<UnfinishedUpload>>([]);

    public Task AbortUploadAsync(UnfinishedUpload upload, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<IReadOnlyList<StoredVersion>?> ListFolderVersionsAsync(string folder, CancellationToken cancellationToken)
    {
        var dir = folder.Length == 0 ? Path.Combine(Root, VersionsFolder) : VersionDir(folder.TrimEnd('/'));
        var result = new List<StoredVersion>();
        if (!Directory.Exists(dir))
        {
            return Task.FromResult<IReadOnlyList<StoredVersion>?>(result);
        }

        // Each key is a folder of versions; a folder that holds versions directly is a key, not a parent.
        foreach (var keyDir in Directory.EnumerateDirectories(dir))
        {
            var key = folder + Path.GetFileName(keyDir);
            if (Directory.EnumerateFiles(keyDir).Any())
            {
                result.AddRange(Versions(key));
            }

            if (result.Count > 1000)
            {
                return Task.FromResult<IReadOnlyList<StoredVersion>?>(null);
            }
        }

        return Task.FromResult<IReadOnlyList<StoredVersion>?>(result);
    }

    public async Task<string?> GetOidAsync(string key, string versionId, CancellationToken cancellationToken)
    {
        var version = VersionPath(key, versionId);
        if (!File.Exists(version))
        {
            throw NotFound(key, versionId);
        }

        return File.Exists(version + OidSuffix) ? (await File.ReadAllTextAsync(version + OidSuffix, cancellationToken)).Trim() : null;
    }

    public async Task<string> PromoteAsync(string key, string versionId, CancellationToken cancellationToken)
    {
        var version = VersionPath(key, versionId);
        var oid = await GetOidAsync(key, versionId, cancellationToken) ?? "";
        return await UploadAsync(key, version, new FileInfo(version).Length, oid, NoProgress.Instance, cancellationToken);
    }

    public Task DeleteVersionAsync(string key, string versionId, CancellationToken cancellationToken)
    {
        var version = VersionPath(key, versionId);
        File.Delete(version);
        File.Delete(version + OidSuffix);
        var remaining = Versions(key);
        var latest = KeyPath(key);
        if (remaining.Count == 0)
        {
            File.Delete(latest);
        }
        else
        {
            var temp = $"{latest}.{Guid.NewGuid():N}{TempSuffix}";
            File.Copy(VersionPath(key, remaining[0].VersionId), temp);
            File.Move(temp, latest, overwrite: true);
        }

        return Task.CompletedTask;
    }

    /// <summary>The file itself: a folder store has no server to sign links, and the file never changes.</summary>
    public Task<string> LinkAsync(string key, string versionId, string fileName, bool download, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var version = VersionPath(key, versionId);
        return File.Exists(version) ? Task.FromResult(new Uri(version).AbsoluteUri) : throw NotFound(key, versionId);
    }

    public Task<IReadOnlyList<StoredVersion>> ListLatestAsync(string prefix, CancellationToken cancellationToken)
    {
        var result = new List<StoredVersion>();
        var dir = prefix.Length == 0 ? Root : Path.Combine(Root, CheckKey(prefix.TrimEnd('/')));
        if (Directory.Exists(dir))
        {
            foreach (var file in new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories))
            {
                var key = Path.GetRelativePath(Root, file.FullName).Replace(Path.DirectorySeparatorChar, '/');
                if (!key.StartsWith(VersionsFolder + "/", StringComparison.Ordinal) && !file.Name.EndsWith(TempSuffix, StringComparison.Ordinal))
                {
                    result.Add(new StoredVersion(key, Versions(key).FirstOrDefault()?.VersionId ?? "", file.Length, true,
                        new DateTimeOffset(file.LastWriteTimeUtc)));
                }
            }
        }

        return Task.FromResult<IReadOnlyList<StoredVersion>>(result);
    }

    public async Task CopyFromAsync(IObjectStore source, string sourceKey, string sourceVersionId, long size, string key, string oid,
        CancellationToken cancellationToken)
    {
        var stored = source.Capability<ICopySource>() is { } from ? await from.StoredCopyAsync(sourceKey, sourceVersionId, cancellationToken) : null;
        if (stored?.Location is { Scheme: "file" } location)
        {
            await UploadAsync(key, location.Path, size, oid, NoProgress.Instance, cancellationToken);
            return;
        }

        StoreLog.CopyThroughMachine(_logger, source.Describe(sourceKey), sourceVersionId, Describe(key), $"{source.Describe(sourceKey)} is not in a folder");
        await StoreCapabilities.ThroughTempFileAsync(
            file => source.DownloadAsync(sourceKey, sourceVersionId, file, NoProgress.Instance, cancellationToken),
            (temp, length) => UploadAsync(key, temp, length, oid, NoProgress.Instance, cancellationToken));
    }

    /// <summary>A version's own file: another folder store copies it from there.</summary>
    public Task<StoredCopy> StoredCopyAsync(string key, string versionId, CancellationToken cancellationToken)
    {
        var version = VersionPath(key, versionId);
        return File.Exists(version)
            ? Task.FromResult(new StoredCopy(new CopyLocation("file", Root, version, versionId), new FileInfo(version).Length, null))
            : throw NotFound(key, versionId);
    }

    /// <summary>Versions are stored as they are: their stored bytes are the object's.</summary>
    public Task ReadStoredAsync(string key, string versionId, Stream destination, CancellationToken cancellationToken) =>
        DownloadAsync(key, versionId, destination, NoProgress.Instance, cancellationToken);

    public Task PutFileAsync(string key, string filePath, long size, string oid, CancellationToken cancellationToken) =>
        UploadAsync(key, filePath, size, oid, NoProgress.Instance, cancellationToken);

    /// <summary>Hides the readable file; its versions stay, like behind a delete marker.</summary>
    public Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        File.Delete(KeyPath(key));
        return Task.CompletedTask;
    }

    private static async Task CopyAsync(string from, string to, IProgressReporter progress, CancellationToken cancellationToken)
    {
        var temp = to + TempSuffix;
        await using (var source = new FileStream(from, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true))
        await using (var target = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            using var buffer = new CopyBuffer(source.Length);
            long done = 0;
            int read;
            while ((read = await source.ReadAsync(buffer.Bytes, cancellationToken)) > 0)
            {
                await target.WriteAsync(buffer.Bytes.AsMemory(0, read), cancellationToken);
                done += read;
                progress.Report(done);
            }
        }

        File.Move(temp, to, overwrite: true);
    }

    private string KeyPath(string key) => Path.Combine(Root, CheckKey(key));

    private string VersionDir(string key) => Path.Combine(Root, VersionsFolder, CheckKey(key));

    /// <summary>The file of one version; "" is the latest.</summary>
    private string VersionPath(string key, string versionId)
    {
        if (versionId.Length == 0)
        {
            versionId = Versions(key).FirstOrDefault()?.VersionId ?? throw NotFound(key, "(latest)");
        }

        return versionId.IndexOfAny(['/', '\\']) < 0 && versionId is not "." and not ".."
            ? Path.Combine(VersionDir(key), versionId)
            : throw NotFound(key, versionId);
    }

    /// <summary>Keys come from git paths, but the mapping file is other people's input: no escaping the root.</summary>
    private static string CheckKey(string key)
    {
        var parts = key.Split('/');
        if (key.Length == 0 || key[0] == '/' || parts.Any(p => p is "" or "." or "..") || parts[0] == VersionsFolder)
        {
            throw new StoreException(ErrorCodes.BadRequest, $"\"{key}\" is not a valid key for a folder store");
        }

        return Path.Combine(parts);
    }

    private StoreException NotFound(string key, string versionId) =>
        new(ErrorCodes.NotFound, $"{Describe(key)} has no version {versionId}");
}

/// <summary>Builds the folder store when <c>lfs-s3.store</c> is a <c>file://</c> URL, and doctor's check of its folder.</summary>
public sealed class FolderObjectStoreFactory(ILogger? logger = null) : IObjectStoreFactory
{
    public IObjectStore Create(AgentSettings settings) => new FolderObjectStore(Folder(settings), logger);

    public IStoreDiagnostics Diagnostics(AgentSettings settings) => new FolderStoreDiagnostics(Path.GetFullPath(Folder(settings)));

    private static string Folder(AgentSettings settings) => settings.FolderStore ?? throw new InvalidOperationException("not a folder store");
}

/// <summary>Doctor's check of a folder store: the folder exists and this user can create, rename and delete files in it.</summary>
internal sealed class FolderStoreDiagnostics(string root) : IStoreDiagnostics
{
    public IReadOnlyList<StoreCheck> Checks => [new("folder", CheckFolderAsync)];

    public IReadOnlyList<StoreCheck> BucketChecks => [];

    private Task<CheckResult> CheckFolderAsync(CancellationToken cancellationToken)
    {
        if (!Directory.Exists(root))
        {
            return Task.FromResult(CheckResult.Fail($"the store folder {root} does not exist: create it (mkdir -p \"{root}\") or fix lfs-s3.store", stop: true));
        }

        var probe = Path.Combine(root, $".lfs-s3-doctor-{Guid.NewGuid():N}{FolderObjectStore.TempSuffix}");
        try
        {
            File.WriteAllText(probe, "git-lfs-s3 doctor probe; safe to delete\n");
            File.Move(probe, probe + FolderObjectStore.TempSuffix);
            File.Delete(probe + FolderObjectStore.TempSuffix);
            return Task.FromResult(CheckResult.Ok($"{root} exists and is writable"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            File.Delete(probe);
            return Task.FromResult(CheckResult.Fail($"cannot write in the store folder {root}: {ex.Message}; fix its permissions", stop: true));
        }
    }
}
