using System.Text;

namespace LfsS3Agent.Core.Mapping;

/// <summary>A line of the mapping file that could not be read, with its 1-based line number.</summary>
public sealed record MappingProblem(int Line, string Reason);

/// <summary>
/// One file of the committed mapping (a shard <c>.lfs-s3/mapping/&lt;oid[0:2]&gt;.tsv</c>, or the single
/// <c>.lfs-s3/mapping.tsv</c> of older repositories): a header, then one tab-separated line per object
/// (<c>oid size version-id key</c>), sorted, so diffs are small and git's union merge keeps both sides.
/// Its content comes from other people's commits, so readers treat every entry as a hint to verify.
/// </summary>
public static class MappingFile
{
    public const string Header = "# git-lfs-s3 mapping: oid<TAB>size<TAB>s3-version-id<TAB>s3-key (one line per object, sorted; written by the agent on push)";

    public static (List<MappingEntry> Entries, List<MappingProblem> Problems) Parse(string text)
    {
        var entries = new List<MappingEntry>();
        var problems = new List<MappingProblem>();
        foreach (var (entry, problem) in Read(new StringReader(text)))
        {
            if (entry is not null)
            {
                entries.Add(entry);
            }
            else
            {
                problems.Add(problem!);
            }
        }

        return (entries, problems);
    }

    /// <summary>Each line's entry or problem, streamed: a large mapping is never held as one string.</summary>
    public static IEnumerable<(MappingEntry? Entry, MappingProblem? Problem)> Read(TextReader reader)
    {
        var lineNumber = 0;
        while (reader.ReadLine() is { } raw)
        {
            lineNumber++;
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var fields = line.Split('\t');
            string? reason = null;
            long size = 0;
            string? key = null;
            if (fields.Length != 4)
            {
                reason = $"expected 4 tab-separated fields, found {fields.Length}";
            }
            else if (!Oid.IsValid(fields[0]))
            {
                reason = "the first field is not a SHA-256 OID";
            }
            else if (!long.TryParse(fields[1], out size) || size < 0)
            {
                reason = "the size is not a number";
            }
            else if (fields[2].Length == 0 || fields[3].Length == 0)
            {
                reason = "empty version id or key";
            }
            else if ((key = Unescape(fields[3])) is null)
            {
                reason = "the key has a bad escape sequence";
            }

            yield return reason is null
                ? (new MappingEntry(fields[0], size, fields[2], key!), null)
                : (null, new MappingProblem(lineNumber, reason));
        }
    }

    /// <summary>Deterministic text: header, then entries sorted by OID, version and key, without duplicates.</summary>
    public static string Format(IEnumerable<MappingEntry> entries)
    {
        var sb = new StringBuilder(Header).Append('\n');
        foreach (var e in entries.Distinct().OrderBy(e => e.Oid, StringComparer.Ordinal)
                     .ThenBy(e => e.VersionId, StringComparer.Ordinal).ThenBy(e => e.Key, StringComparer.Ordinal))
        {
            sb.Append(e.Oid).Append('\t').Append(e.Size).Append('\t').Append(e.VersionId).Append('\t')
                .Append(Escape(e.Key)).Append('\n');
        }

        return sb.ToString();
    }

    /// <summary>
    /// Adds entries to the file under a lock shared by all agent processes, writing a temporary file and
    /// renaming it so a crash never leaves half a file. Returns how many lines were added.
    /// </summary>
    public static int Merge(string path, string lockPath, IReadOnlyCollection<MappingEntry> additions)
    {
        using var fileLock = FileLock.Acquire(lockPath, TimeSpan.FromSeconds(60));
        RemoveStaleTemporaries(path);
        var existing = File.Exists(path) ? Parse(File.ReadAllText(path, Encoding.UTF8)).Entries : [];
        var set = new HashSet<MappingEntry>(existing);
        var added = additions.Count(set.Add);
        if (added == 0)
        {
            return 0;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = $"{path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temp, Format(set), new UTF8Encoding(false));
        File.Move(temp, path, overwrite: true);
        return added;
    }

    /// <summary>Only the lock holder writes a temporary file, so any found under the lock is from a killed process.</summary>
    private static void RemoveStaleTemporaries(string path)
    {
        var dir = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(dir))
        {
            return;
        }

        foreach (var stale in Directory.EnumerateFiles(dir, Path.GetFileName(path) + ".*.tmp"))
        {
            File.Delete(stale);
        }
    }

    internal static string Escape(string key)
    {
        if (key.AsSpan().IndexOfAny("\\\t\n\r") < 0)
        {
            return key;
        }

        return key.Replace("\\", "\\\\").Replace("\t", "\\t").Replace("\n", "\\n").Replace("\r", "\\r");
    }

    internal static string? Unescape(string field)
    {
        if (!field.Contains('\\'))
        {
            return field;
        }

        var sb = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] != '\\')
            {
                sb.Append(field[i]);
                continue;
            }

            if (++i == field.Length)
            {
                return null;
            }

            sb.Append(field[i] switch { '\\' => '\\', 't' => '\t', 'n' => '\n', 'r' => '\r', _ => '\0' });
            if (sb[^1] == '\0')
            {
                return null;
            }
        }

        return sb.ToString();
    }
}
