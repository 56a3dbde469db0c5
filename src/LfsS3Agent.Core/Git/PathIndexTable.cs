using LfsS3Agent.Core.LocalState;

namespace LfsS3Agent.Core.Git;

/// <summary>The path index's rows (tables <c>paths</c> and <c>scanned_tips</c>): OID -> paths in history, and the tips scanned.</summary>
public sealed class PathIndexTable(LocalDatabase database)
{
    /// <summary>Every path recorded for the OID, the first recorded (the upload path) first.</summary>
    public List<string> FindPaths(string oid) =>
        database.Run(sql => sql.Query("SELECT path FROM paths WHERE oid = $oid ORDER BY seq", r => r.GetString(0), ("$oid", oid)));

    /// <summary>Every pointer found in history: OID, size and its paths (upload path first).</summary>
    public List<(string Oid, long Size, List<string> Paths)> AllPointers()
    {
        var byOid = new Dictionary<string, (string, long, List<string>)>(StringComparer.Ordinal);
        var rows = database.Run(sql => sql.Query("SELECT oid, size, path FROM paths ORDER BY seq", r => (r.GetString(0), r.GetInt64(1), r.GetString(2))));
        foreach (var (oid, size, path) in rows)
        {
            if (!byOid.TryGetValue(oid, out var entry))
            {
                byOid[oid] = entry = (oid, size, []);
            }

            entry.Item3.Add(path);
        }

        return [.. byOid.Values];
    }

    public IReadOnlySet<string> ScannedTips() =>
        database.Run(sql => sql.Query("SELECT commit_id FROM scanned_tips", r => r.GetString(0))).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// Records the paths found and the tips they were found from, in one transaction; <paramref name="replace"/>
    /// drops every path recorded before (a full rescan after history was rewritten).
    /// </summary>
    public void AddScan(IEnumerable<(string Oid, long Size, string Path)> paths, IEnumerable<string> tips, bool replace = false) =>
        database.InTransaction(sql =>
        {
            if (replace)
            {
                sql.Execute("DELETE FROM paths");
            }

            sql.ExecuteEach("INSERT OR IGNORE INTO paths(oid, size, path) VALUES($oid, $size, $path)", paths,
                p => [("$oid", p.Oid), ("$size", p.Size), ("$path", p.Path)]);
            sql.Execute("DELETE FROM scanned_tips");
            sql.ExecuteEach("INSERT OR IGNORE INTO scanned_tips(commit_id) VALUES($c)", tips, c => [("$c", c)]);
            return true;
        });
}
