using System.Text;
using LfsS3Agent.Core.Git;
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
/// The mapping file as git sees it: the work tree's copy, the index's and HEAD's. It comes from other people's
/// commits, so what is read here is a hint for the locator to verify, never an answer.
/// </summary>
public sealed class CommittedMapping(GitRepository repository)
{
    /// <summary>The work tree's mapping file, or null in a bare repository.</summary>
    public string? FilePath => repository.WorkTree is { } wt ? Path.Combine(wt, SettingNames.MappingFile) : null;

    private string LockPath => Path.Combine(repository.StateDir, "mapping.lock");

    /// <summary>One copy's entries and malformed lines; empty when that copy does not exist.</summary>
    public async Task<(List<MappingEntry> Entries, List<MappingProblem> Problems)> ReadAsync(MappingSource source,
        CancellationToken cancellationToken)
    {
        string? text;
        if (source == MappingSource.WorkTree)
        {
            text = FilePath is { } file && File.Exists(file) ? await File.ReadAllTextAsync(file, Encoding.UTF8, cancellationToken) : null;
        }
        else
        {
            var spec = (source == MappingSource.Head ? "HEAD:" : ":") + SettingNames.MappingFile;
            var blob = await repository.Git.RunAsync(["cat-file", "blob", spec], allowFailure: true, cancellationToken: cancellationToken);
            text = blob.ExitCode == 0 ? blob.Stdout : null;
        }

        return text is null ? ([], []) : MappingFile.Parse(text);
    }

    /// <summary>
    /// Entries of the work tree's file and HEAD's, keyed by OID. Malformed lines are reported through
    /// <paramref name="problems"/> with their line numbers and skipped.
    /// </summary>
    public async Task<Dictionary<string, List<MappingEntry>>> ReadHintsAsync(Action<string>? problems, CancellationToken cancellationToken)
    {
        var hints = new Dictionary<string, List<MappingEntry>>(StringComparer.Ordinal);
        foreach (var source in new[] { MappingSource.WorkTree, MappingSource.Head })
        {
            var (entries, bad) = await ReadAsync(source, cancellationToken);
            var name = source == MappingSource.Head ? "HEAD:" + SettingNames.MappingFile : SettingNames.MappingFile;
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
    /// Adds the entries to the work tree's mapping file and stages it, so the developer's next commit carries
    /// them without an extra command. Returns how many lines were added.
    /// </summary>
    public async Task<int> SyncAsync(IReadOnlyCollection<MappingEntry> entries, CancellationToken cancellationToken)
    {
        if (FilePath is not { } path)
        {
            return 0;
        }

        var added = MappingFile.Merge(path, LockPath, entries);
        if (added > 0)
        {
            // Staged, not committed: git add only touches the index, under git's own index.lock.
            await repository.Git.RunAsync(["add", "--", SettingNames.MappingFile], allowFailure: true, cancellationToken: cancellationToken);
        }

        return added;
    }
}
