using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using LfsS3Agent.Core.Diagnostics;
using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;
using Microsoft.Extensions.Logging;

namespace LfsS3Agent.Core.Objects;

/// <summary>Where a candidate came from, most trusted first.</summary>
public enum CandidateSource
{
    /// <summary>This clone's own cache of versions it verified.</summary>
    Cache,
    /// <summary>The committed mapping: someone else's claim.</summary>
    Mapping,
    /// <summary>A version found in the store under one of the object's paths in history.</summary>
    Path,
    /// <summary>A version found under the reserved key of objects with no known path.</summary>
    Orphan,
}

/// <summary>A stored version that may hold the object; <paramref name="Confirmed"/> when the store's listing and metadata said so.</summary>
public sealed record Candidate(MappingEntry Entry, CandidateSource Source, bool Confirmed);

/// <summary>The stored version of an object, or null with why each candidate was rejected.</summary>
public sealed record Located(MappingEntry? Entry, CandidateSource Source, IReadOnlyList<string> Rejected);

/// <summary>
/// Where the objects of history are stored: each located version with its object's size (a smaller version is the
/// object stored compressed), and the objects found nowhere.
/// </summary>
public sealed record HistoryLocated(IReadOnlyDictionary<(string Key, string VersionId), long> Versions,
    IReadOnlyList<(string Oid, long Size, List<string> Paths)> Missing);

/// <summary>
/// The one answer to "where is this object stored": the cache, then the committed mapping, then the keys of
/// every path the object had in history, then the orphan key. Claims (cache, mapping) are only ever hints:
/// each is confirmed by the store (listing and metadata) or by the bytes themselves (a verified download)
/// before it is used, and a rejected one falls through to the next.
/// </summary>
public sealed class ObjectLocator
{
    private readonly IObjectStore _store;
    private readonly ObjectCache _cache;
    private readonly PathIndex _paths;
    private readonly KeyLayout _layout;
    private readonly CommittedMapping _mapping;
    private readonly VersionFinder _finder;
    private readonly ILogger _logger;
    private readonly bool _allowOtherPrefixes;
    private readonly int _parallelism;

    /// <param name="folderListings">One listing per folder answers for all its keys: right for a push of many files.</param>
    /// <param name="allowOtherPrefixes">Follow claims whose key lies outside the prefix (another team's files).</param>
    /// <param name="compressed">Also look at versions smaller than the object (stored compressed).</param>
    /// <param name="parallelism">Objects located at once by <see cref="LocateAllAsync"/> (lfs-s3.parallelism).</param>
    public ObjectLocator(IObjectStore store, ObjectCache cache, SharedListings listings, PathIndex paths, KeyLayout layout, CommittedMapping mapping,
        ILogger logger, bool folderListings = false, bool allowOtherPrefixes = false, bool compressed = true,
        int parallelism = AgentSettings.DefaultParallelism)
    {
        _parallelism = parallelism;
        _allowOtherPrefixes = allowOtherPrefixes;
        _store = store;
        _cache = cache;
        _paths = paths;
        _layout = layout;
        _logger = logger;
        _finder = new VersionFinder(store, folderListings, listings, compressed);
        _mapping = mapping;
    }

    /// <summary>
    /// Every candidate, lazily and in order, each (key, version) once; claims of another size are left out.
    /// <paramref name="morePaths"/> adds paths the index may not know (a tree verify was asked about).
    /// </summary>
    /// <param name="orphanAlways">Also look under the reserved key when the object has paths (downloads: an object
    /// pushed before its path was known); "already stored?" looks there only for an object without paths.</param>
    /// <param name="unconfirmed">Downloads: a key with exactly one version of the object's size yields that version
    /// unconfirmed (no HEAD; the download checks the bytes), before the confirmed search of the same key.</param>
    public async IAsyncEnumerable<Candidate> CandidatesAsync(string oid, long size, IEnumerable<string>? morePaths = null,
        bool orphanAlways = true, bool unconfirmed = false, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var seen = new HashSet<(string, string)>();
        var claims = await _mapping.HintsAsync(oid, problem => Log.MappingLineSkipped(_logger, problem), cancellationToken);
        if (claims.Count == 0 && FetchFrom is { } remote && _cache.Find(oid) is null && await _mapping.FetchOnceAsync(remote, cancellationToken))
        {
            claims = await _mapping.HintsAsync(oid, problem => Log.MappingLineSkipped(_logger, problem), cancellationToken);
        }

        foreach (var (entry, source) in claims.Select(e => (e, CandidateSource.Mapping)).Prepend((_cache.Find(oid)!, CandidateSource.Cache)))
        {
            if (entry is null || entry.Size != size)
            {
                continue;
            }

            if (!_allowOtherPrefixes && !_layout.Contains(entry.Key))
            {
                Log.OutsidePrefix(_logger, _store.Describe(entry.Key), oid);
                continue;
            }

            if (seen.Add((entry.Key, entry.VersionId)))
            {
                yield return new Candidate(entry with { Oid = oid }, source, Confirmed: false);
            }
        }

        var paths = (await _paths.FindPathsAsync(oid, cancellationToken)).Concat(morePaths ?? []).ToList();
        var orphan = _layout.OrphanKey(oid);
        foreach (var key in _layout.CandidateKeys(paths, oid).Where(k => k != orphan || orphanAlways || paths.Count == 0))
        {
            var source = key == orphan ? CandidateSource.Orphan : CandidateSource.Path;
            if (unconfirmed && await TryListAsync(key, cancellationToken) is { } listed
                && listed.Where(v => v.Size == size).Take(2).ToList() is [var only] && seen.Add((key, only.VersionId)))
            {
                yield return new Candidate(new MappingEntry(oid, size, only.VersionId, key), source, Confirmed: false);
            }

            if (await TryFindAsync(key, oid, size, cancellationToken) is { } found && seen.Add((found.Key, found.VersionId)))
            {
                yield return new Candidate(found, source, Confirmed: true);
            }
        }
    }

    /// <summary>
    /// The remote whose mapping branch is fetched once when a lookup finds no entry at all (downloads: a clone that
    /// never fetched the branch); null never fetches.
    /// </summary>
    public string? FetchFrom { get; set; }

    /// <summary>The versions of one key, listed once per locator (log shows what else a key holds).</summary>
    public Task<IReadOnlyList<StoredVersion>> VersionsAsync(string key, CancellationToken cancellationToken) => _finder.VersionsAsync(key, cancellationToken);

    /// <summary>The OID a version's metadata records, asked once per locator.</summary>
    public Task<string?> OidAsync(string key, string versionId, CancellationToken cancellationToken) => _finder.OidAsync(key, versionId, cancellationToken);

    /// <summary>Records a version just written, for the other processes' shared listings.</summary>
    public void Written(string key, string versionId, long size) => _finder.Written(key, versionId, size);

    /// <summary>The key's versions, or null when it cannot be listed (the confirmed search then says why).</summary>
    private async Task<IReadOnlyList<StoredVersion>?> TryListAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await _finder.VersionsAsync(key, cancellationToken);
        }
        catch (StoreException ex) when (IsAboutTheCandidate(ex))
        {
            return null;
        }
    }

    /// <summary>A key that cannot be listed (not allowed, not a valid key) holds nothing we can use: on to the next.</summary>
    private async Task<MappingEntry?> TryFindAsync(string key, string oid, long size, CancellationToken cancellationToken)
    {
        try
        {
            return await _finder.FindAsync(key, oid, size, cancellationToken);
        }
        catch (StoreException ex) when (IsAboutTheCandidate(ex))
        {
            Log.KeyUnusable(_logger, _store.Describe(key), ex.Message);
            return null;
        }
    }

    /// <summary>The stored version of the object, confirmed by the store without downloading it.</summary>
    public async Task<Located> LocateAsync(string oid, long size, IEnumerable<string>? morePaths, CancellationToken cancellationToken)
    {
        var rejected = new List<string>();
        await foreach (var candidate in CandidatesAsync(oid, size, morePaths, orphanAlways: false, cancellationToken: cancellationToken))
        {
            string? reason;
            try
            {
                reason = candidate.Confirmed ? null : await _finder.CheckAsync(candidate.Entry, cancellationToken);
                if (reason is not null && await _finder.IsUnmarkedAsync(candidate.Entry, cancellationToken))
                {
                    reason = await UnmarkedReasonAsync(candidate, cancellationToken);
                }
            }
            catch (StoreException ex) when (IsAboutTheCandidate(ex))
            {
                reason = ex.Message;
            }

            if (reason is null)
            {
                return new Located(candidate.Entry, candidate.Source, rejected);
            }

            Reject(candidate, oid, reason, rejected);
        }

        return new Located(null, default, rejected);
    }

    /// <summary>
    /// Why a version without OID metadata (adopted by import) does not hold the object, null when it does. This clone's
    /// cache records only versions whose bytes it hashed, and a version id names fixed bytes: that entry is taken. Anyone
    /// else's claim (the mapping) is checked by reading the version.
    /// </summary>
    private async Task<string?> UnmarkedReasonAsync(Candidate candidate, CancellationToken cancellationToken)
    {
        if (candidate.Source == CandidateSource.Cache)
        {
            return null;
        }

        try
        {
            await VerifiedDownload.CheckAsync(_store, candidate.Entry, candidate.Entry.Oid, candidate.Entry.Size, cancellationToken);
            return null;
        }
        catch (LfsS3Exception ex) when (IsAboutTheCandidate(ex))
        {
            return ex.Message;
        }
    }

    /// <summary>How many objects the verbs built on this locator work on at once (lfs-s3.parallelism).</summary>
    public int Parallelism => _parallelism;

    /// <summary>Every LFS pointer in the history of every ref (the path index brought up to date first): OID, size, paths.</summary>
    public async Task<List<(string Oid, long Size, List<string> Paths)>> HistoryPointersAsync(CancellationToken cancellationToken)
    {
        await _paths.UpdateAsync(cancellationToken);
        return _paths.AllPointers();
    }

    /// <summary>Locates every one of <paramref name="pointers"/>, <see cref="Parallelism"/> at a time; <paramref name="step"/> after each.</summary>
    public async Task<HistoryLocated> LocateAllAsync(IReadOnlyCollection<(string Oid, long Size, List<string> Paths)> pointers, Action? step,
        CancellationToken cancellationToken)
    {
        var versions = new ConcurrentDictionary<(string, string), long>();
        var missing = new ConcurrentBag<(string Oid, long Size, List<string> Paths)>();
        await Parallel.ForEachAsync(pointers, new ParallelOptions { MaxDegreeOfParallelism = _parallelism, CancellationToken = cancellationToken }, async (p, ct) =>
        {
            if ((await LocateAsync(p.Oid, p.Size, p.Paths, ct)).Entry is { } entry)
            {
                versions[(entry.Key, entry.VersionId)] = p.Size;
            }
            else
            {
                missing.Add(p);
            }

            step?.Invoke();
        });
        return new HistoryLocated(versions, missing.ToList());
    }

    /// <summary>
    /// Downloads the object into a new file in <paramref name="directory"/>: the first candidate whose bytes are the
    /// object wins and is cached. A claim is tried by downloading it (no extra request when it is right).
    /// </summary>
    public async Task<string> DownloadAsync(string oid, long size, string directory, IProgressReporter progress,
        CancellationToken cancellationToken)
    {
        var rejected = new List<string>();
        await foreach (var candidate in CandidatesAsync(oid, size, null, unconfirmed: true, cancellationToken: cancellationToken))
        {
            try
            {
                var path = await VerifiedDownload.ToFileAsync(_store, candidate.Entry, oid, size, directory, progress, cancellationToken);
                Log.Downloaded(_logger, oid, _store.Describe(candidate.Entry.Key), candidate.Entry.VersionId, candidate.Source.ToString());
                if (candidate.Source == CandidateSource.Mapping)
                {
                    _cache.Remember(candidate.Entry);
                }
                else if (candidate.Source != CandidateSource.Cache)
                {
                    // Found by looking in the store, not through the mapping: recorded for the mapping branch, which
                    // this clone's next push brings up to date (a fork's contribution, an older release's upload).
                    _cache.Put(candidate.Entry, uploaded: true);
                }

                return path;
            }
            catch (LfsS3Exception ex) when (IsAboutTheCandidate(ex))
            {
                Reject(candidate, oid, ex.Message, rejected);
            }
        }

        throw await NotStoredAsync(oid, size, rejected, cancellationToken);
    }

    /// <summary>
    /// Failures that belong to one key or version (gone, not allowed there, not a valid key) send the search on;
    /// the rest (credentials, the store unreachable after its retries) would fail every candidate alike and are
    /// the most useful thing to tell the user, so they end the search.
    /// </summary>
    private static bool IsAboutTheCandidate(LfsS3Exception ex) =>
        ex.Code is ErrorCodes.NotFound or ErrorCodes.Forbidden or ErrorCodes.BadRequest or ErrorCodes.IntegrityError;

    private void Reject(Candidate candidate, string oid, string reason, List<string> rejected)
    {
        Log.CandidateRejected(_logger, _store.Describe(candidate.Entry.Key), candidate.Entry.VersionId, candidate.Source.ToString(), oid, reason);
        rejected.Add(reason);
        if (candidate.Source == CandidateSource.Cache)
        {
            _cache.Remove(oid);
        }
    }

    /// <summary>The error for an object no candidate holds, with the advice that restores it.</summary>
    private async Task<LfsS3Exception> NotStoredAsync(string oid, long size, IReadOnlyList<string> rejected, CancellationToken cancellationToken)
    {
        var paths = await _paths.FindPathsAsync(oid, cancellationToken);
        var where = paths.Count == 0
            ? "its path is not in this repository's history"
            : "looked at " + string.Join(", ", paths.Select(p => _store.Describe(_layout.KeyFor(p))));
        var detail = rejected.Count > 0 ? "; " + string.Join("; ", rejected) : "";
        return new LfsS3Exception(ErrorCodes.NotFound,
            $"object {oid} ({size} bytes) is not in the store ({where}){detail}. "
            + "Was it pushed? Run `git lfs push --all origin` in the clone that has it");
    }
}
