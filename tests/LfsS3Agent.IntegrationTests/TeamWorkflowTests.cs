using Amazon.S3.Model;

namespace LfsS3Agent.IntegrationTests;

/// <summary>The mapping in a team: reaches the next commit, merges cleanly, heals itself, can be rebuilt and verified.</summary>
public sealed class TeamWorkflowTests
{
    [Fact]
    public async Task Push_ThenPlainCommit_MappingEntriesGoIntoTheCommit()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var data = Sandbox.WriteRandom(work, "a.bin", 5_000, 1);
        box.Git(work, "add", "a.bin").AssertOk();
        box.Git(work, "commit", "-q", "-m", "a").AssertOk();
        box.Git(work, "push", "-q", "origin", "main").AssertOk();
        Assert.Contains("pushed, not yet committed: 1 entries (staged", box.Agent(work, "status").AssertOk().Stdout);
        Sandbox.WriteRandom(work, "b.txt", 10, 2);
        box.Git(work, "add", "b.txt").AssertOk();

        box.Git(work, "commit", "-q", "-m", "b").AssertOk();

        var committed = box.Git(work, "show", $"HEAD:.lfs-s3/mapping/{Sandbox.Sha256(data)[..2]}.tsv").AssertOk().Stdout;
        Assert.Contains(Sandbox.Sha256(data), committed);
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

        // Both upload at the same time; one of the two ref updates loses the race.
        var pushes = new[] { alice, bob }.Select(c => Task.Run(() => box.Git(c, "push", "-q", "origin", "main"))).ToArray();
        await Task.WhenAll(pushes);
        foreach (var clone in new[] { alice, bob })
        {
            box.Git(clone, "commit", "-q", "-m", "mapping").AssertOk();
        }

        box.Git(alice, "push", "-q", "-f", "origin", "main").AssertOk();
        var pull = how == "merge"
            ? box.Git(bob, "-c", "pull.rebase=false", "pull", "--no-edit", "-q", "origin", "main")
            : box.Git(bob, "-c", "pull.rebase=true", "pull", "-q", "origin", "main");
        var conflicts = box.Git(bob, "diff", "--name-only", "--diff-filter=U").Stdout;

        Assert.True(pull.ExitCode == 0, pull.All);
        Assert.Equal("", conflicts);
        var (entries, problems) = Sandbox.ReadMapping(bob);
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

        foreach (var mapping in Directory.GetFiles(Path.Combine(work, ".lfs-s3", "mapping")))
        {
            File.WriteAllText(mapping, damage == "missing" ? "" : string.Join("\n", File.ReadAllLines(mapping).Take(2)) + "\n0123");
            if (damage == "missing")
            {
                File.Delete(mapping);
            }
        }

        box.Git(work, "commit", "-q", "-am", "damage the mapping").AssertOk();
        box.Git(work, "push", "-q", "origin", "main").AssertOk();

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
        box.Run("git", box.Root, ["clone", "-q", box.Origin, clone], extraEnv: new Dictionary<string, string?> { ["GIT_LFS_SKIP_SMUDGE"] = "1" }).AssertOk();
        Directory.Delete(Path.Combine(clone, ".lfs-s3", "mapping"), recursive: true);
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
