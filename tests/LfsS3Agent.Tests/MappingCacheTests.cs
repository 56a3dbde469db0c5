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
}
