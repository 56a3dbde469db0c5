using LfsS3Agent.Core.Mapping;

namespace LfsS3Agent.Tests;

public sealed class MappingFileTests
{
    private static readonly MappingEntry A = new(new string('a', 64), 10, "v1", "repo/docs/a b.pdf");
    private static readonly MappingEntry B = new(new string('b', 64), 20, "v2", "repo/ünï\tcode\\x.bin");

    [Fact]
    public void Format_ThenParse_RoundTripsEveryField()
    {
        var text = MappingFile.Format([B, A]);

        var (entries, problems) = MappingFile.Parse(text);

        Assert.Empty(problems);
        Assert.Equal([A, B], entries);
    }

    [Fact]
    public void Format_SameEntriesAnyOrder_GivesSameSortedText()
    {
        Assert.Equal(MappingFile.Format([A, B, A]), MappingFile.Format([B, A]));
        var lines = MappingFile.Format([B, A]).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("#", lines[0]);
        Assert.StartsWith(A.Oid, lines[1]);
    }

    [Fact]
    public void Parse_MalformedLines_ReportedWithLineNumbersAndSkipped()
    {
        var text = MappingFile.Format([A]) + "not\ta\tline\n" + "zz\t1\tv\tk\n" + $"{B.Oid}\tNaN\tv\tk\n" + MappingFile.Format([B]).Split('\n')[1] + "\n";

        var (entries, problems) = MappingFile.Parse(text);

        Assert.Equal([A, B], entries);
        Assert.Equal([3, 4, 5], problems.Select(p => p.Line));
    }

    [Fact]
    public void Merge_ManyWritersAtOnce_LosesNoEntry()
    {
        var dir = Directory.CreateTempSubdirectory("lfs-s3-map-").FullName;
        var path = Path.Combine(dir, "mapping.tsv");
        var lockPath = Path.Combine(dir, "mapping.lock");
        var all = Enumerable.Range(0, 200).Select(i => new MappingEntry(i.ToString("x64"), i, $"v{i}", $"k/{i}")).ToList();

        Parallel.ForEach(all.Chunk(10), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            chunk => MappingFile.Merge(path, lockPath, chunk));

        var (entries, problems) = MappingFile.Parse(File.ReadAllText(path));
        Assert.Empty(problems);
        Assert.Equal(all.OrderBy(e => e.Oid, StringComparer.Ordinal), entries);
        Directory.Delete(dir, true);
    }
}
