using LfsS3Agent.Core.LocalState;

namespace LfsS3Agent.Core.Mapping;

/// <summary>
/// The lines of each committed mapping blob, imported once per git blob id (tables <c>hints</c> and <c>imported</c>), so
/// eight processes and later commands answer from an index instead of re-parsing text.
/// </summary>
public sealed class MappingImports(LocalDatabase database)
{
    /// <summary>Imported mapping blobs kept before the table is cleared (each push makes new shard blobs).</summary>
    private const int MaxImportedBlobs = 2048;

    /// <summary>Whether the lines of this mapping blob are in the hints table.</summary>
    public bool IsImported(string blob) =>
        database.Run(sql => sql.Scalar("SELECT 1 FROM imported WHERE blob = $blob", ("$blob", blob))) is not null;

    /// <summary>
    /// Imports one mapping blob's entries, streamed, unless another process did meanwhile (an immediate transaction
    /// makes check and insert one step). Returns false when it was already there.
    /// </summary>
    public bool Import(string blob, IEnumerable<MappingEntry> entries) => database.InTransaction(sql =>
    {
        if (sql.Scalar("SELECT 1 FROM imported WHERE blob = $blob", ("$blob", blob)) is not null)
        {
            return false;
        }

        if (Convert.ToInt32(sql.Scalar("SELECT count(*) FROM imported"), System.Globalization.CultureInfo.InvariantCulture) >= MaxImportedBlobs)
        {
            sql.Execute("DELETE FROM hints; DELETE FROM imported;");
        }

        sql.ExecuteEach("INSERT INTO hints(blob, oid, size, version_id, key) VALUES($blob, $oid, $size, $version, $key)", entries,
            e => [("$blob", blob), ("$oid", e.Oid), ("$size", e.Size), ("$version", e.VersionId), ("$key", e.Key)]);
        sql.Execute("INSERT INTO imported(blob) VALUES($blob)", ("$blob", blob));
        return true;
    });

    /// <summary>
    /// The entries for an OID in these imported blobs, each once, in the order of the files; <c>Complete</c> is false
    /// when one of the blobs is no longer imported (another import emptied the tables past their cap). One statement
    /// reads both, so the answer and the check see the same moment.
    /// </summary>
    public (List<MappingEntry> Entries, bool Complete) Hints(string oid, IReadOnlyCollection<string> blobs)
    {
        var parameters = blobs.Select((b, i) => ("$b" + i, (object)b)).ToList();
        var names = string.Join(", ", parameters.Select(p => p.Item1));
        var rows = database.Run(sql => sql.Query(
            $"""
            SELECT oid, size, version_id, key FROM (
                SELECT oid, size, version_id, key, min(rowid) AS first FROM hints WHERE oid = $oid AND blob IN ({names}) GROUP BY oid, size, version_id, key
                UNION ALL
                SELECT NULL, 0, NULL, blob, 0 FROM imported WHERE blob IN ({names}))
            ORDER BY first
            """,
            row => row.IsDBNull(0) ? null : MappingEntry.FromRow(row), [("$oid", oid), .. parameters]));
        var entries = rows.OfType<MappingEntry>().ToList();
        return (entries, rows.Count - entries.Count == blobs.Distinct(StringComparer.Ordinal).Count());
    }
}
