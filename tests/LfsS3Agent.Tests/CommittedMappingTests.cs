using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.LocalState;
using LfsS3Agent.Core.Mapping;

namespace LfsS3Agent.Tests;

/// <summary>The sharded mapping on real git and SQLite: lookups read one shard, imported once per blob; old single files move into shards.</summary>
public sealed class CommittedMappingTests
{
    private static readonly string OidA = "ab" + new string('1', 62);
    private static readonly string OidB = "cd" + new string('2', 62);

    private static async Task<(CommittedMapping Mapping, LocalDatabase Database)> OpenAsync(TempGitRepo repo)
    {
        var repository = await GitRepository.DiscoverAsync(repo.Cli);
        var database = new LocalDatabase(LocalDatabase.DefaultPath(repository.StateDir));
        return (new CommittedMapping(repository, database), database);
    }

    [Fact]
    public async Task Hints_ShardCommitted_FoundAndImportedOnceForEveryProcess()
    {
        using var repo = new TempGitRepo();
        var entry = new MappingEntry(OidA, 5, "v1", "p/a.bin");
        repo.WriteFile(".lfs-s3/mapping/ab.tsv", MappingFile.Format([entry]));
        repo.Commit("mapping");
        var blob = repo.Git("rev-parse", "HEAD:.lfs-s3/mapping/ab.tsv").Trim();
        var (first, cache1) = await OpenAsync(repo);
        var (second, cache2) = await OpenAsync(repo);

        Assert.Equal([entry], await first.HintsAsync(OidA, null, default));
        Assert.True(new MappingImports(cache2).IsImported(blob));
        Assert.Equal([entry], await second.HintsAsync(OidA, null, default));
        Assert.Empty(await second.HintsAsync(OidB, null, default));
        cache1.Dispose();
        cache2.Dispose();
    }

    [Fact]
    public async Task Hints_OldSingleFileAndMalformedLine_EntryFoundProblemReportedOnce()
    {
        using var repo = new TempGitRepo();
        repo.WriteFile(".lfs-s3/mapping.tsv", MappingFile.Format([new MappingEntry(OidB, 7, "v2", "p/b.bin")]) + "garbage\n");
        repo.Commit("old layout");
        var (mapping, cache) = await OpenAsync(repo);
        var problems = new List<string>();

        var hints = await mapping.HintsAsync(OidB, problems.Add, default);
        await mapping.HintsAsync(OidB, problems.Add, default);

        Assert.Equal("p/b.bin", Assert.Single(hints).Key);
        Assert.Equal(["HEAD:.lfs-s3/mapping.tsv line 3 skipped: expected 4 tab-separated fields, found 1"], problems);
        cache.Dispose();
    }

    [Fact]
    public async Task Sync_OldSingleFile_MovedIntoShardsAndStagedWithNewEntries()
    {
        using var repo = new TempGitRepo();
        var old = new MappingEntry(OidA, 5, "v1", "p/a.bin");
        repo.WriteFile(".lfs-s3/mapping.tsv", MappingFile.Format([old]));
        repo.WriteFile(".lfs-s3/.gitattributes", "mapping.tsv merge=union\n");
        repo.Commit("old layout");
        var (mapping, cache) = await OpenAsync(repo);
        var added = new MappingEntry(OidB, 7, "v2", "p/b.bin");

        var count = await mapping.SyncAsync([added], default);

        Assert.Equal(1, count);
        Assert.Empty(MappingFile.Parse(File.ReadAllText(Path.Combine(repo.Root, ".lfs-s3", "mapping.tsv"))).Entries);
        Assert.Equal([old], MappingFile.Parse(File.ReadAllText(Path.Combine(repo.Root, ".lfs-s3", "mapping", "ab.tsv"))).Entries);
        Assert.Equal([added], MappingFile.Parse(File.ReadAllText(Path.Combine(repo.Root, ".lfs-s3", "mapping", "cd.tsv"))).Entries);
        var staged = repo.Git("diff", "--cached", "--no-renames", "--name-status").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("M\t.lfs-s3/mapping.tsv", staged);
        Assert.Contains("A\t.lfs-s3/mapping/ab.tsv", staged);
        Assert.Contains("A\t.lfs-s3/mapping/cd.tsv", staged);
        Assert.Contains(CommittedMapping.ShardAttributes, File.ReadAllText(Path.Combine(repo.Root, ".lfs-s3", ".gitattributes")));
        cache.Dispose();
    }
}
