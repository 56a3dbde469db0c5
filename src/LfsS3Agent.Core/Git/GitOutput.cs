using System.Globalization;
using System.Text;

namespace LfsS3Agent.Core.Git;

/// <summary>One parser per git output format; every command of <see cref="GitCli"/> that returns data reads it here.</summary>
public static class GitOutput
{
    /// <summary>The commit header format of a <see cref="GitLogQuery"/> with commits: \x01 then fields split by \x02.</summary>
    public const string LogHeaderFormat = "%x01%H%x02%aI%x02%an <%ae>%x02%s";

    /// <summary><c>ls-tree -z</c>, with or without <c>-l</c>: "&lt;mode&gt; &lt;type&gt; &lt;object&gt;[ &lt;padded size&gt;]\t&lt;path&gt;".</summary>
    public static List<TreeFile> LsTree(string output)
    {
        var files = new List<TreeFile>();
        foreach (var record in output.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var tab = record.IndexOf('\t');
            var meta = tab > 0 ? record[..tab].Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
            if (meta.Length is 3 or 4)
            {
                var size = meta.Length == 4 && long.TryParse(meta[3], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : -1;
                files.Add(new TreeFile(meta[0], meta[2], record[(tab + 1)..], size, meta[1]));
            }
        }

        return files;
    }

    /// <summary><c>ls-files -s -z</c>: "&lt;mode&gt; &lt;object&gt; &lt;stage&gt;\t&lt;path&gt;".</summary>
    public static List<TreeFile> LsFilesStaged(string output)
    {
        var files = new List<TreeFile>();
        foreach (var record in output.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var tab = record.IndexOf('\t');
            var meta = tab > 0 ? record[..tab].Split(' ') : [];
            if (meta.Length == 3)
            {
                files.Add(new TreeFile(meta[0], meta[1], record[(tab + 1)..], -1));
            }
        }

        return files;
    }

    /// <summary>
    /// <c>log --raw -z</c>: NUL-separated tokens; a commit header starts with \x01 (<see cref="LogHeaderFormat"/>), a change
    /// with ":" (after a newline) and is followed by its path, or by two for a rename or copy. Without headers every change
    /// lands in one entry with no commit.
    /// </summary>
    public static List<LogEntry> Log(string output)
    {
        var entries = new List<LogEntry>();
        CommitInfo? commit = null;
        var changes = new List<RawChange>();
        var tokens = output.Split('\0');
        for (var i = 0; i < tokens.Length; i++)
        {
            var token = tokens[i].TrimStart('\n');
            if (token.StartsWith('\x01'))
            {
                if (commit is not null || changes.Count > 0)
                {
                    entries.Add(new LogEntry(commit, changes));
                }

                var header = token[1..].Split('\x02');
                commit = header.Length < 4 ? null : new CommitInfo(header[0], DateTimeOffset.Parse(header[1], CultureInfo.InvariantCulture), header[2], header[3]);
                changes = [];
                continue;
            }

            // ":<old mode> <new mode> <old blob> <new blob> <status>", or a merge's combined change (-c) against its n parents:
            // n colons, n+1 modes, n+1 blobs (each parent's, then the merge's) and n status letters.
            var parents = token.Length - token.TrimStart(':').Length;
            var fields = parents > 0 ? token[parents..].Split(' ') : [];
            if (parents > 1 && fields.Length == 2 * parents + 3 && i + 1 < tokens.Length)
            {
                changes.Add(CombinedChange(fields, parents, tokens[i + 1]));
                i += 1;
                continue;
            }

            if (fields.Length < 5 || fields[4].Length == 0 || i + 1 >= tokens.Length)
            {
                continue;
            }

            var status = fields[4][0];
            if (status is 'R' or 'C' && i + 2 < tokens.Length)
            {
                changes.Add(new RawChange(fields[0], fields[1], fields[2], fields[3], status, tokens[i + 1], tokens[i + 2]));
                i += 2;
            }
            else
            {
                changes.Add(new RawChange(fields[0], fields[1], fields[2], fields[3], status, null, tokens[i + 1]));
                i += 1;
            }
        }

        if (commit is not null || changes.Count > 0)
        {
            entries.Add(new LogEntry(commit, changes));
        }

        return entries;
    }

    /// <summary>A merge's combined change as one change against its first parent: added when no parent had the path.</summary>
    private static RawChange CombinedChange(string[] fields, int parents, string path)
    {
        var newMode = fields[parents];
        var status = newMode.Trim('0').Length == 0 ? 'D' : fields[^1].All(s => s == 'A') ? 'A' : 'M';
        return new RawChange(fields[0], newMode, fields[parents + 1], fields[2 * parents + 1], status, null, path);
    }

    /// <summary><c>cat-file --batch-check</c> with "%(objectname) %(objecttype) %(objectsize)"; missing objects are left out.</summary>
    public static List<GitObjectInfo> BatchCheck(string output)
    {
        var objects = new List<GitObjectInfo>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ');
            if (parts.Length == 3 && long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
            {
                objects.Add(new GitObjectInfo(parts[0], parts[1], size));
            }
        }

        return objects;
    }

    /// <summary><c>cat-file --batch</c>: "&lt;id&gt; &lt;type&gt; &lt;size&gt;\n&lt;content&gt;\n" per object, "&lt;id&gt; missing\n" for none.</summary>
    public static Dictionary<string, byte[]> Batch(ReadOnlySpan<byte> data)
    {
        var result = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var position = 0;
        while (position < data.Length)
        {
            var headerEnd = data[position..].IndexOf((byte)'\n');
            if (headerEnd < 0)
            {
                break;
            }

            var header = Encoding.ASCII.GetString(data.Slice(position, headerEnd)).Split(' ');
            position += headerEnd + 1;
            if (header.Length < 3 || !int.TryParse(header[2], NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            {
                continue;
            }

            result[header[0]] = data.Slice(position, Math.Min(length, data.Length - position)).ToArray();
            position += length + 1;
        }

        return result;
    }

    /// <summary><c>check-attr -z</c>: "&lt;path&gt;\0&lt;attribute&gt;\0&lt;value&gt;\0" per path.</summary>
    public static List<(string Path, string Value)> CheckAttr(string output)
    {
        var fields = output.Split('\0');
        var result = new List<(string, string)>();
        for (var i = 0; i + 2 < fields.Length; i += 3)
        {
            result.Add((fields[i], fields[i + 2]));
        }

        return result;
    }

    /// <summary><c>config -z --get-regexp</c> (or <c>--list</c>): "key\nvalue\0" records; the last value of a key wins, as in git.</summary>
    public static Dictionary<string, string> ConfigList(string output)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var record in output.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var newline = record.IndexOf('\n');
            var key = (newline < 0 ? record : record[..newline]).ToLowerInvariant();
            result[key] = newline < 0 ? "true" : record[(newline + 1)..];
        }

        return result;
    }

    /// <summary><c>ls-remote</c>: "&lt;id&gt;\t&lt;ref&gt;" per line; a peeled tag's "&lt;tag&gt;^{}" line is left out (its tag is listed).</summary>
    public static List<RemoteRef> LsRemote(string output) =>
        [.. Lines(output).Select(l => l.Split('\t')).Where(p => p.Length == 2 && p[0].Length >= 40 && !p[1].EndsWith("^{}", StringComparison.Ordinal))
            .Select(p => new RemoteRef(p[0], p[1]))];

    /// <summary>
    /// <c>config -z --show-scope --show-origin --get-regexp</c>: key -> (value, "scope origin") of the last occurrence,
    /// the one git uses.
    /// </summary>
    public static Dictionary<string, (string Value, string Origin)> ConfigListWithOrigins(string output)
    {
        var result = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        var fields = output.Split('\0');
        for (var i = 0; i + 2 < fields.Length; i += 3)
        {
            var record = fields[i + 2];
            var newline = record.IndexOf('\n');
            var key = (newline < 0 ? record : record[..newline]).ToLowerInvariant();
            result[key] = (newline < 0 ? "true" : record[(newline + 1)..], $"{fields[i]} {fields[i + 1]}");
        }

        return result;
    }

    /// <summary><c>status --porcelain=v1 -z --no-renames</c>: "XY path\0" per changed path; the paths.</summary>
    public static List<string> StatusPaths(string output) =>
        [.. output.Split('\0', StringSplitOptions.RemoveEmptyEntries).Where(r => r.Length > 3).Select(r => r[3..])];

    /// <summary>Output of one item per line (ids, names), without empty lines.</summary>
    public static List<string> Lines(string output) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
}
