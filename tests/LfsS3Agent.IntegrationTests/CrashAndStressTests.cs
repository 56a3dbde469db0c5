using System.Diagnostics;
using System.Text;
using LfsS3Agent.Core.LocalState;
using LfsS3Agent.Core.Objects;
using Microsoft.Data.Sqlite;

namespace LfsS3Agent.IntegrationTests;

/// <summary>Eight agents at once, and agents killed with SIGKILL at random points: nothing lost, nothing corrupt.</summary>
public sealed class CrashAndStressTests
{
    [Fact]
    public async Task EightAgentProcessesAtOnce_EveryUploadRecordedInMappingAndCache()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox();
        var work = box.CreateRepository(bucket);
        var expected = new List<string>();
        var inputs = new List<string>();
        for (var worker = 0; worker < 8; worker++)
        {
            var lines = new StringBuilder("""{"event":"init","operation":"upload","remote":"origin","concurrent":true,"concurrenttransfers":8}""" + "\n");
            for (var i = 0; i < 15; i++)
            {
                var data = new byte[1000 + (worker * 15) + i];
                new Random((worker * 100) + i).NextBytes(data);
                var oid = Sandbox.Sha256(data);
                var file = Path.Combine(box.Root, oid);
                File.WriteAllBytes(file, data);
                expected.Add(oid);
                lines.Append($$"""{"event":"upload","oid":"{{oid}}","size":{{data.Length}},"path":"{{file}}","action":null}""").Append('\n');
            }

            inputs.Add(lines.Append("""{"event":"terminate"}""").Append('\n').ToString());
        }

        var results = await Task.WhenAll(inputs.Select(input => Task.Run(() => box.Run(TestEnvironment.Binary, work, ["agent"], input))));

        Assert.All(results, r => Assert.DoesNotContain("\"error\"", r.AssertOk().Stdout));
        var (entries, problems) = Sandbox.ReadMapping(work);
        Assert.Empty(problems);
        Assert.Equal(expected.Order(StringComparer.Ordinal), entries.Select(e => e.Oid).Order(StringComparer.Ordinal));
        Assert.Equal(120, (await TestEnvironment.VersionsAsync(bucket)).Count);
        // What the next process of this clone finds: every upload, each already in the mapping file (none left for it to write).
        using var database = new LocalDatabase(LocalDatabase.DefaultPath(Path.Combine(work, ".git", "lfs-s3")));
        var cache = new ObjectCache(database, $"{TestEnvironment.Endpoint}|{bucket}");
        Assert.Equal(expected.Order(StringComparer.Ordinal), cache.Uploaded().Select(e => e.Oid).Order(StringComparer.Ordinal));
        Assert.Empty(cache.Uploaded(notYetWritten: true));
        Assert.All(expected, oid => Assert.NotNull(cache.Find(oid)));
    }

    [Fact]
    public async Task AgentsKilledAtRandomDuringPushes_NextPushCompletesAndVerifyPasses()
    {
        var bucket = await TestEnvironment.CreateBucketAsync();
        using var box = new Sandbox(viaInstallScript: true);
        var work = box.CreateRepository(bucket);
        var random = new Random(1234);
        var deadline = Stopwatch.StartNew();
        var trials = 0;
        var kills = 0;
        for (; trials < 8 && (deadline.Elapsed < TimeSpan.FromSeconds(90) || kills == 0); trials++)
        {
            for (var i = 0; i < 12; i++)
            {
                Sandbox.WriteRandom(work, $"t{trials}/f{i}.bin", 50_000 + random.Next(200_000), (trials * 100) + i);
            }

            box.CommitAll(work, $"trial {trials}");
            using var push = box.Start("git", work, ["push", "-q", "origin", "main"]);
            push.StandardInput.Close();
            var output = push.StandardError.ReadToEndAsync();
            // A loaded machine starts the agents late: the random moment is counted from their start, not the push's.
            var starting = Stopwatch.StartNew();
            while (!push.HasExited && box.RunningAgents() == 0 && starting.Elapsed < TimeSpan.FromSeconds(60))
            {
                Thread.Sleep(5);
            }

            Thread.Sleep(random.Next(10, 700));
            var killUntil = Stopwatch.StartNew();
            while (!push.HasExited && killUntil.ElapsedMilliseconds < 300)
            {
                kills += box.KillAgents();
                Thread.Sleep(5);
            }

            push.WaitForExit();
            await output;

            box.Git(work, "push", "-q", "origin", "main").AssertOk();
        }

        Assert.True(kills > 0, "no agent was killed: the test proved nothing");
        box.Agent(work, "sync").AssertOk();
        var verify = box.Agent(work, "verify", "--all", "--content");
        Assert.True(verify.ExitCode == 0, $"after {trials} trials and {kills} kills: {verify.All}");
        var (entries, problems) = Sandbox.ReadMapping(work);
        Assert.Empty(problems);
        Assert.Equal(trials * 12, entries.Count);
        Assert.Equal("ok", Scalar(work, "PRAGMA integrity_check"));
        // A later process finds every pushed object in the clone's cache, with nothing left to write to the mapping.
        using (var database = new LocalDatabase(LocalDatabase.DefaultPath(Path.Combine(work, ".git", "lfs-s3"))))
        {
            var cache = new ObjectCache(database, $"{TestEnvironment.Endpoint}|{bucket}");
            Assert.Equal(entries.Select(e => e.Oid).Order(StringComparer.Ordinal), cache.Uploaded().Select(e => e.Oid).Order(StringComparer.Ordinal));
            Assert.Empty(cache.Uploaded(notYetWritten: true));
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(work, ".lfs-s3"), "*.tmp"));
        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();
        Assert.Equal(File.ReadAllBytes(Path.Combine(work, "t0", "f0.bin")), File.ReadAllBytes(Path.Combine(clone, "t0", "f0.bin")));
    }

    private static object? Scalar(string work, string sql)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(work, ".git", "lfs-s3", "cache.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
