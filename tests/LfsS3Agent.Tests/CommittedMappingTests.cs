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
        return (new CommittedMapping(repository, database, new MappingBranch(repository, "lfs-s3")), database);
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
    public async Task Hints_TableEmptiedByAnotherProcessSinceTheLastLookup_ImportedAgain()
    {
        using var repo = new TempGitRepo();
        var entry = new MappingEntry(OidA, 5, "v1", "p/a.bin");
        var other = new MappingEntry("ab" + new string('3', 62), 6, "v2", "p/c.bin");
        repo.WriteFile(".lfs-s3/mapping/ab.tsv", MappingFile.Format([entry, other]));
        repo.Commit("mapping");
        var (mapping, database) = await OpenAsync(repo);
        Assert.Equal([entry], await mapping.HintsAsync(OidA, null, default));

        // What another process's import does past the table's cap.
        database.Write(sql => sql.Execute("DELETE FROM hints; DELETE FROM imported;"));

        Assert.Equal([other], await mapping.HintsAsync(other.Oid, null, default));
        database.Dispose();
    }

    [Fact]
    public async Task Hints_ManyLookupsAtOnceOverManyCopiesOfTheBranch_EachFindsItsEntries()
    {
        // Publish, prune and verify look up pointers in parallel through one mapping (CI once saw its caches corrupted).
        using var repo = WithUserCommit();
        var (writer, database) = await OpenAsync(repo);
        var entries = Entries(24, '5');
        foreach (var (entry, i) in entries.Select((e, i) => (e, i)))
        {
            // Each entry on a copy of its own: a remote's tracking branch per entry, so a lookup reads every tip.
            repo.Git("update-ref", $"refs/remotes/r{i}/lfs-s3", (await writer.Branch.CommitAsync([entry], null, default))!);
        }

        for (var round = 0; round < 4; round++)
        {
            var repository = await GitRepository.DiscoverAsync(repo.Cli);
            var mapping = new CommittedMapping(repository, database, new MappingBranch(repository, "lfs-s3"));
            database.Write(sql => sql.Execute("DELETE FROM hints; DELETE FROM imported;"));

            var found = await Task.WhenAll(entries.Select(e => Task.Run(() => mapping.HintsAsync(e.Oid, null, default))));

            Assert.Equal(entries, found.Select(Assert.Single));
        }

        database.Dispose();
    }

    [Fact]
    public async Task Branch_ShardsOfManyCommitsAskedAtOnce_EachCommitsOwnFromOneReadOfItsTree()
    {
        using var repo = WithUserCommit();
        var (writer, database) = await OpenAsync(repo);
        var commits = new List<(string Commit, string Blob)>();
        for (var i = 0; i < 20; i++)
        {
            var commit = (await writer.Branch.CommitAsync([new MappingEntry("ab" + $"{i:x2}" + new string('6', 60), i + 1, "v", "p.bin")], null, default))!;
            commits.Add((commit, repo.Git("rev-parse", commit + ":ab.tsv").Trim()));
        }

        var trace = Path.Combine(repo.Root, ".git", "trace.txt");
        var repository = await GitRepository.DiscoverAsync(new GitCli(repo.Root, new Dictionary<string, string>(repo.Environment) { ["GIT_TRACE"] = trace }));
        var branch = new MappingBranch(repository, "lfs-s3");
        var asked = commits.SelectMany(c => Enumerable.Repeat(c, 4)).ToList();

        var shards = await Task.WhenAll(asked.Select(c => Task.Run(() => branch.ShardsAsync(c.Commit, default))));

        Assert.Equal(asked.Select(c => c.Blob), shards.Select(s => s["ab.tsv"]));
        Assert.Equal(commits.Count, File.ReadLines(trace).Count(l => l.Contains("git ls-tree", StringComparison.Ordinal)));
        database.Dispose();
    }

    [Fact]
    public async Task FetchOnce_ParallelLookupsMissedBeforeTheBranchCameIn_EachFindsItsEntryAfterOneFetch()
    {
        using var origin = WithUserCommit();
        var (writer, originDatabase) = await OpenAsync(origin);
        var entries = Entries(16, '7');
        origin.Git("update-ref", "refs/heads/lfs-s3", (await writer.Branch.CommitAsync(entries, null, default))!);
        using var clone = WithUserCommit();
        clone.Git("remote", "add", "origin", origin.Root);
        var (mapping, database) = await OpenAsync(clone);

        // What publish does for each pointer: a lookup, the branch fetched when it found nothing, the lookup again.
        var found = await Task.WhenAll(entries.Select(e => Task.Run(async () =>
        {
            var hints = await mapping.HintsAsync(e.Oid, null, default);
            return hints.Count == 0 && await mapping.FetchOnceAsync("origin", default) ? await mapping.HintsAsync(e.Oid, null, default) : hints;
        })));

        Assert.Equal(entries, found.Select(Assert.Single));
        Assert.NotEmpty(clone.Git("rev-parse", "--verify", "refs/remotes/origin/lfs-s3").Trim());
        originDatabase.Dispose();
        database.Dispose();
    }

    [Fact]
    public void Imports_BlobEmptiedAwayBetweenImportAndLookup_AnswerSaysIncomplete()
    {
        using var repo = WithUserCommit();
        var database = new LocalDatabase(Path.Combine(repo.Root, ".git", "cache.db"));
        var imports = new MappingImports(database);
        var entry = new MappingEntry(OidA, 5, "v1", "p/a.bin");
        imports.Import("blob1", [entry]);
        imports.Import("blob2", []);

        var (found, complete) = imports.Hints(OidA, ["blob1", "blob2", "blob1"]);
        database.Write(sql => sql.Execute("DELETE FROM hints; DELETE FROM imported;"));
        var (gone, incomplete) = imports.Hints(OidA, ["blob1", "blob2"]);

        Assert.Equal([entry], found);
        Assert.True(complete);
        Assert.Empty(gone);
        Assert.False(incomplete);
        database.Dispose();
    }

    [Fact]
    public async Task Hints_ParallelLookupsWhileAnImportEmptiesTheTablesPastTheirCap_EachFindsItsEntry()
    {
        using var repo = WithUserCommit();
        var (writer, database) = await OpenAsync(repo);
        // One entry per shard: sixteen blobs, imported by sixteen lookups at once.
        var entries = Entries(16, '8', shardStep: 16);
        await writer.Branch.CommitAsync(entries, null, default);

        for (var round = 0; round < 10; round++)
        {
            // One short of the cap: the second import of the round empties the tables under the others' feet.
            database.Write(sql => sql.Execute("""
                DELETE FROM hints; DELETE FROM imported;
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2047) INSERT INTO imported(blob) SELECT 'old' || i FROM n;
                """));
            var repository = await GitRepository.DiscoverAsync(repo.Cli);
            var mapping = new CommittedMapping(repository, database, new MappingBranch(repository, "lfs-s3"));

            var found = await Task.WhenAll(entries.Select(e => Task.Run(() => mapping.HintsAsync(e.Oid, null, default))));

            Assert.Equal(entries, found.Select(Assert.Single));
        }

        database.Dispose();
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

    /// <summary>Entries whose OIDs start with 00, 01, ... (or every <paramref name="shardStep"/>th shard), each its own size and path.</summary>
    private static List<MappingEntry> Entries(int count, char fill, int shardStep = 1) =>
        Enumerable.Range(0, count).Select(i => new MappingEntry($"{i * shardStep:x2}" + new string(fill, 62), i + 1, "v" + i, $"p/{i}.bin")).ToList();

    /// <summary>A repository with one commit of the user's own.</summary>
    private static TempGitRepo WithUserCommit()
    {
        var repo = new TempGitRepo();
        repo.WriteFile("a.txt", "a");
        repo.Commit("user's work");
        return repo;
    }

    [Fact]
    public async Task Branch_Commit_EntriesOnTheBranchUserBranchIndexAndWorkTreeUntouched()
    {
        using var repo = WithUserCommit();
        var head = repo.Git("rev-parse", "HEAD");
        var (mapping, database) = await OpenAsync(repo);
        var entry = new MappingEntry(OidA, 5, "v1", "p/a.bin");

        await mapping.Branch.CommitAsync([entry], null, default);

        Assert.Equal(head, repo.Git("rev-parse", "HEAD"));
        Assert.Equal("", repo.Git("status", "--porcelain"));
        Assert.DoesNotContain("lfs-s3", repo.Git("branch", "--list"));
        Assert.Equal([entry], MappingFile.Parse(repo.Git("show", "refs/lfs-s3/lfs-s3:ab.tsv")).Entries);
        Assert.Contains("[skip ci]", repo.Git("log", "-1", "--format=%B", "refs/lfs-s3/lfs-s3"));
        Assert.Equal([entry], await mapping.HintsAsync(OidA, null, default));
        database.Dispose();
    }

    [Fact]
    public async Task Branch_TheirSideMovedOn_JoinedAsTheUnionOfEachShardWithBothParents()
    {
        using var repo = WithUserCommit();
        var (mapping, database) = await OpenAsync(repo);
        var common = new MappingEntry(OidA, 5, "v1", "p/a.bin");
        var theirs = new MappingEntry("ab" + new string('3', 62), 6, "v2", "p/c.bin");
        var ours = new MappingEntry("ab" + new string('4', 62), 7, "v3", "p/d.bin");
        var start = await mapping.Branch.CommitAsync([common], null, default);
        var theirTip = await mapping.Branch.CommitAsync([theirs], null, default);
        repo.Git("update-ref", "refs/remotes/origin/lfs-s3", theirTip!);
        repo.Git("update-ref", "refs/lfs-s3/lfs-s3", start!);
        await mapping.Branch.CommitAsync([ours], null, default);

        var joined = await mapping.Branch.CommitAsync([], "origin", default);

        Assert.Equal([common, theirs, ours], MappingFile.Parse(repo.Git("show", $"{joined}:ab.tsv")).Entries.OrderBy(e => e.Size));
        Assert.Equal(2, repo.Git("log", "-1", "--format=%P", joined!).Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(3, (await mapping.BranchEntriesAsync(default)).Entries.Count);
        database.Dispose();
    }

    [Fact]
    public async Task Branch_NothingNew_NoCommit()
    {
        using var repo = WithUserCommit();
        var (mapping, database) = await OpenAsync(repo);
        var entry = new MappingEntry(OidA, 5, "v1", "p/a.bin");
        var first = await mapping.Branch.CommitAsync([entry], null, default);

        var second = await mapping.Branch.CommitAsync([entry], null, default);

        Assert.Equal(first, second);
        database.Dispose();
    }

    [Fact]
    public async Task BranchEntriesSince_RecordedInTheWindowOrBefore_OnlyTheRecentOnes()
    {
        using var repo = WithUserCommit();
        var (mapping, database) = await OpenAsync(repo);
        var entry = new MappingEntry(OidA, 5, "v1", "p/a.bin");
        await mapping.Branch.CommitAsync([entry], null, default);

        var lastHour = await mapping.BranchEntriesSinceAsync(DateTimeOffset.UtcNow.AddHours(-1), default);
        var fromNowOn = await mapping.BranchEntriesSinceAsync(DateTimeOffset.UtcNow.AddSeconds(2), default);

        Assert.Equal([entry], lastHour);
        Assert.Empty(fromNowOn);
        database.Dispose();
    }
}
