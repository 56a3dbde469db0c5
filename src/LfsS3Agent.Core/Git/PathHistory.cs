using System.Globalization;

namespace LfsS3Agent.Core.Git;

/// <summary>A commit as <c>git log</c> shows it.</summary>
public sealed record CommitInfo(string Id, DateTimeOffset Date, string Author, string Subject);

/// <summary>A commit that wrote a path: the path's name in that commit and the blob it wrote.</summary>
public sealed record PathChange(CommitInfo Commit, string Name, string Blob, bool Renamed);

/// <summary>
/// Which commits wrote each path, newest first, following renames backwards (as <c>git log --follow</c> does,
/// but for many paths from one walk of the history).
/// </summary>
public sealed class PathHistory(GitRunner git)
{
    private sealed record Entry(char Status, string? From, string To, string Blob);

    /// <summary>The changes to each of <paramref name="paths"/> in the history of HEAD, or of every ref with <paramref name="allRefs"/>.</summary>
    public async Task<Dictionary<string, List<PathChange>>> ChangesAsync(IReadOnlyList<string> paths, bool allRefs, CancellationToken cancellationToken)
    {
        var log = await git.RunAsync(["log", allRefs ? "--all" : "HEAD", "-M", "--raw", "-z", "--no-abbrev", "--no-color",
            "--format=%x01%H%x02%aI%x02%an <%ae>%x02%s", "--"], cancellationToken: cancellationToken);
        var commits = Parse(log.Stdout);
        var result = new Dictionary<string, List<PathChange>>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            var names = new HashSet<string>(StringComparer.Ordinal) { path };
            var changes = new List<PathChange>();
            foreach (var (commit, entries) in commits)
            {
                foreach (var entry in entries)
                {
                    if (entry.Status != 'D' && names.Contains(entry.To))
                    {
                        changes.Add(new PathChange(commit, entry.To, entry.Blob, entry.Status == 'R'));
                        if (entry.Status == 'R' && entry.From is not null)
                        {
                            names.Add(entry.From);
                        }
                    }
                }
            }

            result[path] = changes;
        }

        return result;
    }

    /// <summary>Records start with \x01; a header's fields are split by \x02 and end in NUL; then raw entries, NUL-separated.</summary>
    private static List<(CommitInfo, List<Entry>)> Parse(string output)
    {
        var commits = new List<(CommitInfo, List<Entry>)>();
        foreach (var record in output.Split('\x01', StringSplitOptions.RemoveEmptyEntries))
        {
            var end = record.IndexOf('\0');
            var header = (end < 0 ? record : record[..end]).Split('\x02');
            if (header.Length < 4)
            {
                continue;
            }

            var commit = new CommitInfo(header[0], DateTimeOffset.Parse(header[1], CultureInfo.InvariantCulture), header[2], header[3]);
            var entries = new List<Entry>();
            var tokens = end < 0 ? [] : record[(end + 1)..].Split('\0');
            for (var i = 0; i < tokens.Length; i++)
            {
                // ":<old mode> <new mode> <old blob> <new blob> <status>" then one path, or two for a rename
                var meta = tokens[i].TrimStart('\n');
                if (!meta.StartsWith(':'))
                {
                    continue;
                }

                var fields = meta.Split(' ');
                if (fields.Length < 5 || i + 1 >= tokens.Length)
                {
                    continue;
                }

                var status = fields[4][0];
                if (status is 'R' or 'C' && i + 2 < tokens.Length)
                {
                    entries.Add(new Entry(status, tokens[i + 1], tokens[i + 2], fields[3]));
                    i += 2;
                }
                else
                {
                    entries.Add(new Entry(status, null, tokens[i + 1], fields[3]));
                    i += 1;
                }
            }

            commits.Add((commit, entries));
        }

        return commits;
    }
}
