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

    /// <summary>The entries for an OID in these imported blobs, each once, in the order of the files.</summary>
    public List<MappingEntry> Hints(string oid, IReadOnlyCollection<string> blobs)
    {
        var names = blobs.Select((_, i) => "$b" + i).ToList();
        return database.Run(sql => sql.Query(
            $"SELECT oid, size, version_id, key FROM hints WHERE oid = $oid AND blob IN ({string.Join(", ", names)}) GROUP BY oid, size, version_id, key ORDER BY min(rowid)",
            MappingEntry.FromRow, [("$oid", oid), .. blobs.Select((b, i) => (names[i], (object)b))]));
    }
}
