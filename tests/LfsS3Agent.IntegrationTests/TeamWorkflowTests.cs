using Amazon.S3.Model;

namespace LfsS3Agent.IntegrationTests;

/// <summary>The mapping in a team: reaches the next commit, merges cleanly, heals itself, can be rebuilt and verified.</summary>
public sealed class TeamWorkflowTests
{
    [Fact]
    public async Task Push_ThenPlainCommit_CommitCarriesNoMappingAndStatusIsInSync()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var data = Sandbox.WriteRandom(work, "a.bin", 5_000, 1);
        box.Git(work, "add", "a.bin").AssertOk();
        box.Git(work, "commit", "-q", "-m", "a").AssertOk();
        box.Git(work, "push", "-q", "origin", "main").AssertOk();
        Assert.Contains("everything is in sync", box.Agent(work, "status").AssertOk().Stdout);
        Sandbox.WriteRandom(work, "b.txt", 10, 2);
        box.Git(work, "add", "b.txt").AssertOk();

        box.Git(work, "commit", "-q", "-m", "b").AssertOk();

        Assert.Equal(["b.txt"], box.Git(work, "show", "--name-only", "--format=", "HEAD").AssertOk().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(Sandbox.Sha256(data), Sandbox.MappingText(work));
        Assert.Contains("everything is in sync", box.Agent(work, "status").AssertOk().Stdout);
    }

    [Theory]
    [InlineData("merge")]
    [InlineData("rebase")]
    public async Task TwoClonesPushAtOnce_ThenIntegrate_NoConflictAndBothSetsKept(string how)
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        box.Git(work, "push", "-q", "origin", "main").AssertOk();
        var alice = Path.Combine(box.Root, "alice");
        var bob = Path.Combine(box.Root, "bob");
        box.Git(box.Root, "clone", "-q", box.Origin, alice).AssertOk();
        box.Git(box.Root, "clone", "-q", box.Origin, bob).AssertOk();
        var aliceOids = Enumerable.Range(0, 5).Select(i => Sandbox.Sha256(Sandbox.WriteRandom(alice, $"alice/{i}.bin", 3000 + i, 10 + i))).ToList();
        var bobOids = Enumerable.Range(0, 5).Select(i => Sandbox.Sha256(Sandbox.WriteRandom(bob, $"bob/{i}.bin", 4000 + i, 20 + i))).ToList();
        foreach (var clone in new[] { alice, bob })
        {
            box.CommitAll(clone, "work of " + Path.GetFileName(clone));
        }

        // Both upload at the same time; one of the two ref updates loses the race, and integrates as git says.
        var pushes = new[] { alice, bob }.Select(c => Task.Run(() => box.Git(c, "push", "-q", "origin", "main"))).ToArray();
        var results = await Task.WhenAll(pushes);
        var loser = results[0].ExitCode != 0 ? alice : bob;
        Assert.Equal("", box.Git(loser, "status", "--porcelain").AssertOk().Stdout);
        var pull = how == "merge"
            ? box.Git(loser, "-c", "pull.rebase=false", "pull", "--no-edit", "-q", "origin", "main")
            : box.Git(loser, "-c", "pull.rebase=true", "pull", "-q", "origin", "main");
        var conflicts = box.Git(loser, "diff", "--name-only", "--diff-filter=U").Stdout;
        box.Git(loser, "push", "-q", "origin", "main").AssertOk();

        Assert.True(pull.ExitCode == 0, pull.All);
        Assert.Equal("", conflicts);
        var (entries, problems) = Sandbox.ReadMapping(loser);
        Assert.Empty(problems);
        Assert.Superset(entries.Select(e => e.Oid).ToHashSet(), aliceOids.Concat(bobOids).ToHashSet());
    }

    [Fact]
    public async Task TwoClonesPushSamePathAtOnce_EachVersionRecordedForItsOwnOid()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        box.Git(work, "push", "-q", "origin", "main").AssertOk();
        var clones = new[] { "alice", "bob" }.Select(n => Path.Combine(box.Root, n)).ToArray();
        var oids = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            box.Git(box.Root, "clone", "-q", box.Origin, clones[i]).AssertOk();
            oids.Add(Sandbox.Sha256(Sandbox.WriteRandom(clones[i], "shared.bin", 6000, 30 + i)));
            box.CommitAll(clones[i], "shared " + i);
        }

        await Task.WhenAll(clones.Select(c => Task.Run(() => box.Git(c, "push", "-q", "origin", "main"))));

        var versions = (await TestEnvironment.VersionsAsync(bucket)).Where(v => v.Key == "my-repo/shared.bin").ToList();
        Assert.Equal(2, versions.Count);
        for (var i = 0; i < 2; i++)
        {
            var entry = Sandbox.ReadMapping(clones[i]).Entries.Single(e => e.Oid == oids[i]);
            using var get = await TestEnvironment.Admin.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = entry.Key, VersionId = entry.VersionId });
            var bytes = new MemoryStream();
            await get.ResponseStream.CopyToAsync(bytes);
            Assert.Equal(oids[i], Sandbox.Sha256(bytes.ToArray()));
        }
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("truncated")]
    public async Task Clone_MappingFileMissingOrTruncated_RestoresEveryHistoricalVersion(string damage)
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var history = new List<(string Commit, byte[] A, byte[] B)>();
        for (var i = 0; i < 4; i++)
        {
            var a = Sandbox.WriteRandom(work, "docs/a.pdf", 20_000 + i, 40 + i);
            var b = Sandbox.WriteRandom(work, i < 2 ? "old name.bin" : "new/name.bin", 9_000, 50 + (i / 2));
            if (i == 2)
            {
                File.Delete(Path.Combine(work, "old name.bin"));
            }

            box.CommitAndPush(work, $"v{i}");
            history.Add((box.Git(work, "rev-parse", "HEAD").Stdout.Trim(), a, b));
        }

        // The mapping branch loses every entry, or keeps only the header and a broken line.
        foreach (var shard in box.Git(box.Origin, "ls-tree", "--name-only", "refs/heads/lfs-s3").AssertOk().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                     .Where(n => n.EndsWith(".tsv", StringComparison.Ordinal)))
        {
            var text = box.RemoteShard(work, shard)!;
            box.PushShard(work, shard, damage == "missing" ? "" : string.Join("\n", text.Split('\n').Take(2)) + "\n0123");
        }

        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();
        foreach (var (commit, a, b) in history)
        {
            box.Git(clone, "checkout", "-q", commit).AssertOk();
            Assert.Equal(a, File.ReadAllBytes(Path.Combine(clone, "docs", "a.pdf")));
            var bPath = File.Exists(Path.Combine(clone, "old name.bin")) ? "old name.bin" : "new/name.bin";
            Assert.Equal(b, File.ReadAllBytes(Path.Combine(clone, bPath)));
        }
    }

    [Fact]
    public async Task Rebuild_EmptyCacheAndNoMapping_RecreatesWhatThePushesWrote()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        for (var i = 0; i < 3; i++)
        {
            Sandbox.WriteRandom(work, "x.bin", 1000 + i, 60 + i);
            Sandbox.WriteRandom(work, $"dir/{i}.pdf", 2000 + i, 70 + i);
            box.CommitAndPush(work, $"v{i}");
        }

        var written = Sandbox.ReadMapping(work).Entries;
        var clone = Path.Combine(box.Root, "clone");
        // A repository whose mapping branch is gone: deleted on the remote, and not in this clone.
        box.Git(work, "push", "-q", "origin", ":lfs-s3").AssertOk();
        box.Run("git", box.Root, ["clone", "-q", box.Origin, clone], extraEnv: new Dictionary<string, string?> { ["GIT_LFS_SKIP_SMUDGE"] = "1" }).AssertOk();
        Assert.Equal("", Sandbox.MappingText(clone));
        Assert.False(File.Exists(Path.Combine(clone, ".git", "lfs-s3", "cache.db")));

        var result = box.Agent(clone, "rebuild", "--write");

        result.AssertOk();
        Assert.Contains("found 6 of 6", result.Stdout);
        var rebuilt = Sandbox.ReadMapping(clone).Entries;
        Assert.Equal(written.OrderBy(e => e.Oid, StringComparer.Ordinal), rebuilt.OrderBy(e => e.Oid, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Verify_VersionDeletedBehindItsBack_ExitsNonZeroNamingIt()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        Sandbox.WriteRandom(work, "keep.bin", 3000, 80);
        var lost = Sandbox.WriteRandom(work, "lost.bin", 3001, 81);
        box.CommitAndPush(work, "two");
        Assert.Contains("verified 2 LFS objects (content hashed): all stored", box.Agent(work, "verify", "--all", "--content").AssertOk().Stdout);
        var version = (await TestEnvironment.VersionsAsync(bucket)).Single(v => v.Key == "my-repo/lost.bin").VersionId;

        await TestEnvironment.Admin.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = "my-repo/lost.bin", VersionId = version });
        var result = box.Agent(work, "verify", "--all");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"FAIL {Sandbox.Sha256(lost)[..12]} lost.bin", result.Stdout);
        Assert.Contains("1 of 2 LFS objects missing", result.Stdout);
    }
}
