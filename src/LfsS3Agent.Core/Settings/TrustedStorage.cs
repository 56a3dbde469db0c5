using System.Text;
using LfsS3Agent.Core.Git;

namespace LfsS3Agent.Core.Settings;

/// <summary>
/// Trust on first use for where a commit may send bytes, and under whose key: the store, bucket, endpoint, prefix and
/// server-side encryption (a KMS key in someone else's account could be revoked, taking the files with it) that the committed
/// <c>.lfs-s3/config</c> sets are remembered by each clone the first time it uses them, and a later commit that
/// changes them stops transfers until the user accepts the change with <c>git lfs-s3 trust</c>. A value the user
/// set (environment, git config) is theirs and needs no trust.
/// </summary>
public static class TrustedStorage
{
    private static readonly SettingName[] Names =
        [SettingNames.Store, SettingNames.Bucket, SettingNames.Endpoint, SettingNames.Prefix, SettingNames.Sse, SettingNames.SseKmsKeyId];

    /// <summary>Remembers the values on first use; fails, naming the commit, old and new values, when they changed since.</summary>
    public static async Task CheckAsync(GitRepository repository, AgentSettings settings, CancellationToken cancellationToken)
    {
        var current = Committed(settings);
        var path = FilePath(repository);
        if (!File.Exists(path))
        {
            Record(repository, current);
            return;
        }

        var trusted = Read(path);
        // A value the user set themselves (environment, git config) overrides the commit's and is not compared.
        var changed = Names.Where(n => FromCommit(settings, n) && trusted.GetValueOrDefault(n.GitKey, "") != current[n.GitKey]).ToList();
        if (changed.Count == 0)
        {
            return;
        }

        var commit = await repository.Git.LastCommitAsync("%h by %an (\"%s\")", SettingNames.RepoConfigFile, cancellationToken);
        var what = string.Join(", ", changed.Select(n => $"{n.GitKey} was \"{trusted.GetValueOrDefault(n.GitKey, "")}\", is now \"{current[n.GitKey]}\""));
        throw new LfsS3Exception(ErrorCodes.NotConfigured,
            $"the committed storage settings changed since this clone first used them: {what}"
            + $" (last changed in commit {(commit ?? "not yet committed")}). Transfers stop so that no commit"
            + " can send your files somewhere else; if the change is intended, run `git lfs-s3 trust`");
    }

    /// <summary>
    /// For downloads: the settings with the values this clone trusts in place of those the checked-out commit names (an
    /// older commit names the storage as it was before a trusted change, such as a KMS key rotation). Downloads are checked
    /// against their OID, so reading from the trusted storage is safe whatever the commit; first use remembers as above.
    /// </summary>
    public static AgentSettings ForDownloads(GitRepository repository, AgentSettings settings)
    {
        var path = FilePath(repository);
        if (!File.Exists(path))
        {
            Record(repository, Committed(settings));
            return settings;
        }

        var trusted = Read(path);
        var result = settings;
        foreach (var name in Names.Where(n => FromCommit(settings, n)))
        {
            var value = trusted.GetValueOrDefault(name.GitKey, "");
            if (value != (settings.Find(name)?.Value ?? ""))
            {
                result = result.With(name, value, $"trusted by this clone ({name.GitKey}; git lfs-s3 trust)");
            }
        }

        return result;
    }

    private static Dictionary<string, string> Read(string path) =>
        File.ReadAllLines(path).Select(l => l.Split('\t', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);

    private static bool FromCommit(AgentSettings settings, SettingName name) =>
        settings.Find(name) is not { } value || value.Source.StartsWith(SettingNames.RepoConfigFile, StringComparison.Ordinal);

    /// <summary>Accepts the values now in force; returns them for the user to see.</summary>
    public static IReadOnlyDictionary<string, string> Trust(GitRepository repository, AgentSettings settings)
    {
        var current = Committed(settings);
        Record(repository, current);
        return current;
    }

    private static Dictionary<string, string> Committed(AgentSettings settings) => Names.ToDictionary(n => n.GitKey,
        n => settings.Find(n) is { } v && v.Source.StartsWith(SettingNames.RepoConfigFile, StringComparison.Ordinal) ? v.Value : "",
        StringComparer.Ordinal);

    private static string FilePath(GitRepository repository) => Path.Combine(repository.StateDir, "trusted-storage");

    private static void Record(GitRepository repository, Dictionary<string, string> values)
    {
        Directory.CreateDirectory(repository.StateDir);
        var path = FilePath(repository);
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, string.Concat(values.Select(p => $"{p.Key}\t{p.Value}\n")), new UTF8Encoding(false));
        File.Move(temp, path, overwrite: true);
    }
}
