using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Core.Objects;

/// <summary>
/// What a repository's marker (<c>&lt;prefix&gt;/.git/lfs-s3/repositories/&lt;fingerprint&gt;.json</c>) says besides its
/// name: the fingerprint of the repository's id again (the id itself stays in git, so reading the bucket is not enough to
/// pass for that repository), when, and by which tool. The key's name is what counts; the content is for people.
/// </summary>
public sealed record RepositoryMarker(string Repository, DateTimeOffset Written, string Tool);

/// <summary>Source-generated JSON for the marker (native AOT).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(RepositoryMarker))]
public sealed partial class MarkerJsonContext : JsonSerializerContext;

/// <summary>Where another repository's marker lies, seen from a prefix.</summary>
public enum MarkerPlace
{
    /// <summary>At the same prefix: both repositories' files would be mixed.</summary>
    Same,
    /// <summary>At a prefix that holds this one: this repository lies inside the other.</summary>
    Ancestor,
    /// <summary>Below this prefix: the other repository lies inside this one.</summary>
    Nested,
}

/// <summary>Another repository's marker near a prefix.</summary>
public sealed record ForeignMarker(string Prefix, MarkerPlace Place)
{
    public string Describe(IObjectStore store) => store.Describe(Prefix.Length == 0 ? "" : Prefix + "/");
}

/// <summary>The repositories around a prefix: whether this one's marker is there, and everyone else's.</summary>
public sealed record MarkerSurvey(bool OwnMarked, IReadOnlyList<ForeignMarker> Foreign)
{
    /// <summary>Markers that make destructive work at this prefix unsafe: the same prefix or one that holds it.</summary>
    public IEnumerable<ForeignMarker> Enclosing => Foreign.Where(f => f.Place != MarkerPlace.Nested);
}

/// <summary>
/// Repository markers in a store: written by init and a clone's first push, read by prune, publish, init and doctor so
/// that nothing deletes or overwrites what another repository keeps in the same bucket.
/// </summary>
public sealed class RepositoryMarkers(IObjectStore store)
{
    /// <summary>What a marker records of a repository id (in its key's name).</summary>
    public static string Fingerprint(string id) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("git-lfs-s3 repository\n" + id.Trim())))[..32];

    /// <summary>The tool that writes markers, as they record it.</summary>
    public static string Tool => "git-lfs-s3 " + (typeof(RepositoryMarkers).Assembly.GetName().Version?.ToString(3) ?? "0");

    /// <summary>The prefixes of the markers among <paramref name="keys"/> that lie strictly below <paramref name="prefix"/>, whoever's.</summary>
    public static IReadOnlyList<string> NestedPrefixes(IEnumerable<string> keys, string prefix) =>
        keys.Select(KeyLayout.ParseMarker).OfType<(string Prefix, string Fingerprint)>().Select(m => m.Prefix)
            .Where(p => p != prefix && (prefix.Length == 0 || p.StartsWith(prefix + "/", StringComparison.Ordinal)))
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

    /// <summary>Whether a key lies at or under one of <paramref name="prefixes"/> (each another repository's).</summary>
    public static bool IsUnder(string key, IEnumerable<string> prefixes) =>
        prefixes.Any(p => p.Length == 0 || key.StartsWith(p + "/", StringComparison.Ordinal));

    /// <summary>Every prefix that holds <paramref name="prefix"/>, the bucket root first ("a/b" gives "" and "a").</summary>
    public static IEnumerable<string> Ancestors(string prefix)
    {
        if (prefix.Length == 0)
        {
            yield break;
        }

        yield return "";
        for (var slash = prefix.IndexOf('/'); slash >= 0; slash = prefix.IndexOf('/', slash + 1))
        {
            yield return prefix[..slash];
        }
    }

    /// <summary>
    /// Sorts the markers found at <paramref name="prefix"/> and at the prefixes that hold it (prefix, fingerprint): at the
    /// prefix, the one with <paramref name="fingerprint"/> is this repository's and every other is another's (all are,
    /// when this repository's id is unknown); every marker at a prefix that holds it is another repository's.
    /// </summary>
    public static MarkerSurvey Classify(string prefix, string? fingerprint, IEnumerable<(string Prefix, string Fingerprint)> found, IEnumerable<string> nested)
    {
        var foreign = new List<ForeignMarker>();
        var own = false;
        foreach (var (at, print) in found.Distinct().OrderBy(f => f.Prefix.Length))
        {
            if (at == prefix && fingerprint is not null && print == fingerprint)
            {
                own = true;
            }
            else if (!foreign.Any(f => f.Prefix == at))
            {
                foreign.Add(new ForeignMarker(at, at == prefix ? MarkerPlace.Same : MarkerPlace.Ancestor));
            }
        }

        foreign.AddRange(nested.Select(n => new ForeignMarker(n, MarkerPlace.Nested)));
        return new MarkerSurvey(own, foreign);
    }

    /// <summary>
    /// The fingerprints of the markers at <paramref name="prefix"/> (one listing request); one that cannot be listed in
    /// one page comes back as an unknown fingerprint, "", which is nobody's.
    /// </summary>
    public async Task<IReadOnlyList<string>> FingerprintsAtAsync(string prefix, CancellationToken cancellationToken) =>
        await store.ListFolderVersionsAsync(new KeyLayout(prefix).MarkerFolderKey, cancellationToken) is { } versions
            ? versions.Where(v => v.IsLatest).Select(v => KeyLayout.ParseMarker(v.Key)?.Fingerprint).OfType<string>().Distinct(StringComparer.Ordinal).ToList()
            : [""];

    /// <summary>
    /// The markers at <paramref name="prefix"/> and at every prefix that holds it (one small listing each), sorted by
    /// <see cref="Classify"/>, with the nested ones found among <paramref name="listedKeys"/> (a listing of the prefix, when the caller has one).
    /// </summary>
    public async Task<MarkerSurvey> SurveyAsync(string prefix, string? fingerprint, IEnumerable<string> listedKeys, CancellationToken cancellationToken)
    {
        var found = new List<(string, string)>();
        foreach (var at in Ancestors(prefix).Append(prefix))
        {
            found.AddRange((await FingerprintsAtAsync(at, cancellationToken)).Select(f => (at, f)));
        }

        return Classify(prefix, fingerprint, found, NestedPrefixes(listedKeys, prefix));
    }

    /// <summary>
    /// <see cref="SurveyAsync"/> with one listing of the whole prefix for the nested markers (init, doctor), and the latest
    /// version of every key listed; none where the store cannot list them.
    /// </summary>
    public async Task<(MarkerSurvey Survey, IReadOnlyList<StoredVersion> Latest)> SurveyListingAsync(string prefix, string? fingerprint,
        CancellationToken cancellationToken)
    {
        var latest = store.Capability<IStoreMaintenance>() is { } maintenance
            ? (await maintenance.ListAllVersionsAsync(prefix.Length == 0 ? "" : prefix + "/", cancellationToken)).Where(v => v.IsLatest).ToList()
            : [];
        return (await SurveyAsync(prefix, fingerprint, latest.Select(v => v.Key), cancellationToken), latest);
    }

    /// <summary>Writes this repository's marker at <paramref name="prefix"/>.</summary>
    public async Task WriteAsync(string prefix, string fingerprint, CancellationToken cancellationToken)
    {
        var json = JsonSerializer.Serialize(new RepositoryMarker(fingerprint, DateTimeOffset.UtcNow, Tool), MarkerJsonContext.Default.RepositoryMarker);
        await StoreProbe.WriteAsync(store, new KeyLayout(prefix).MarkerKey(fingerprint), json + "\n", cancellationToken);
    }

    /// <summary>
    /// Leaves this repository's marker at its prefix unless it is there already (the first push of a repository set up
    /// by an older release); remembered in <paramref name="stateDir"/>, so a clone asks the store once. Returns whether
    /// other repositories' markers are at the same prefix.
    /// </summary>
    public async Task<bool> EnsureAsync(KeyLayout layout, string fingerprint, string stateDir, CancellationToken cancellationToken)
    {
        var remembered = Path.Combine(stateDir, "repository-marker");
        var line = $"{store.Id}\t{layout.Prefix}\t{fingerprint}";
        if (File.Exists(remembered) && (await File.ReadAllTextAsync(remembered, cancellationToken)).Trim() == line)
        {
            return false;
        }

        var found = await FingerprintsAtAsync(layout.Prefix, cancellationToken);
        if (!found.Contains(fingerprint))
        {
            await WriteAsync(layout.Prefix, fingerprint, cancellationToken);
        }

        Directory.CreateDirectory(stateDir);
        await File.WriteAllTextAsync(remembered, line + "\n", cancellationToken);
        return found.Any(f => f != fingerprint);
    }

    /// <summary>The words of a refusal or warning about markers: each other repository and where it lies.</summary>
    public string Explain(IEnumerable<ForeignMarker> markers, string ownPrefix) => string.Join("; ", markers.Select(m => m.Place switch
    {
        MarkerPlace.Same => $"another repository's marker is at this repository's own prefix ({m.Describe(store)})",
        MarkerPlace.Ancestor => $"this repository's prefix {store.Describe(ownPrefix.Length == 0 ? "" : ownPrefix + "/")} lies inside another repository's ({m.Describe(store)})",
        _ => $"another repository lies inside this one's prefix ({m.Describe(store)})",
    }));
}
