using LfsS3Agent.Core.Mapping;

namespace LfsS3Agent.Tests;

public sealed class MappingCacheTests
{
    [Fact]
    public void Put_ThenFind_ReturnsEntryForThatStoreOnly()
    {
        var dir = Directory.CreateTempSubdirectory("lfs-s3-db-").FullName;
        using var cache = new MappingCache(Path.Combine(dir, "cache.db"), "store-1");
        using var other = new MappingCache(Path.Combine(dir, "cache.db"), "store-2");
        var entry = new MappingEntry(new string('c', 64), 42, "ver", "p/k");

        cache.Put(entry);

        Assert.Equal(entry, cache.Find(entry.Oid));
        Assert.Null(other.Find(entry.Oid));
    }

    [Fact]
    public void Put_FromEightConnectionsAtOnce_KeepsEveryEntry()
    {
        var dir = Directory.CreateTempSubdirectory("lfs-s3-db-").FullName;
        var db = Path.Combine(dir, "cache.db");
        using (new MappingCache(db, "s"))
        {
        }

        Parallel.For(0, 8, worker =>
        {
            using var cache = new MappingCache(db, "s");
            for (var i = 0; i < 50; i++)
            {
                cache.Put(new MappingEntry((worker * 1000 + i).ToString("x64"), i, $"v{worker}-{i}", $"k/{worker}/{i}"));
            }
        });

        using var check = new MappingCache(db, "s");
        Assert.Equal(400, check.All().Count);
    }

    [Fact]
    public void FindPath_OidAtSeveralPaths_ReturnsFirstRecorded()
    {
        var dir = Directory.CreateTempSubdirectory("lfs-s3-db-").FullName;
        using var cache = new MappingCache(Path.Combine(dir, "cache.db"), "s");
        var oid = new string('d', 64);

        cache.AddScan([(oid, 5L, "first/path.bin"), (oid, 5L, "second/path.bin")], ["c1"]);

        Assert.Equal(["first/path.bin", "second/path.bin"], cache.FindPaths(oid));
        Assert.Equal(["c1"], cache.ScannedTips());
    }

    [Fact]
    public void MarkWritten_LeavesOnlyUnwrittenUploads_UntilTheVersionChanges()
    {
        var dir = Directory.CreateTempSubdirectory("lfs-s3-db-").FullName;
        using var cache = new MappingCache(Path.Combine(dir, "cache.db"), "s");
        var written = new MappingEntry(new string('a', 64), 1, "v1", "p/a");
        var pending = new MappingEntry(new string('b', 64), 2, "v2", "p/b");
        cache.Put(written, uploaded: true);
        cache.Put(pending, uploaded: true);

        cache.MarkWritten([written]);

        Assert.Equal([pending], cache.Uploaded(notYetWritten: true));
        Assert.Equal(2, cache.Uploaded().Count);

        // Same entry recorded again: still written. A new version (a re-push after the old one was deleted): not yet.
        cache.Put(written, uploaded: true);
        Assert.Equal([pending], cache.Uploaded(notYetWritten: true));
        cache.Put(written with { VersionId = "v3" }, uploaded: true);
        Assert.Equal(2, cache.Uploaded(notYetWritten: true).Count);
    }
}
