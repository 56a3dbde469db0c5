using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace LfsS3Agent.IntegrationTests;

/// <summary>Output of one command.</summary>
internal sealed record RunResult(int ExitCode, string Stdout, string Stderr)
{
    public string All => Stdout + Stderr;
}

/// <summary>
/// A throw-away user: its own HOME and global git config, git-lfs-s3 installed the way a user installs it,
/// S3 credentials in the environment, and helpers to run real git, git-lfs and the native binary.
/// </summary>
internal sealed class Sandbox : IDisposable
{
    /// <param name="viaInstallScript">install with scripts/install.sh into a prefix on PATH, as a new teammate does</param>
    /// <param name="install">false: a user who has git-lfs but has not installed git-lfs-s3 yet</param>
    public Sandbox(bool viaInstallScript = false, bool install = true)
    {
        Root = Path.Combine(Path.GetTempPath(), "lfs-s3-it-" + Guid.NewGuid().ToString("N")[..10]);
        Home = Path.Combine(Root, "home");
        Directory.CreateDirectory(Home);
        Env["HOME"] = Home;
        Env["GIT_CONFIG_NOSYSTEM"] = "1";
        Env["AWS_ACCESS_KEY_ID"] = TestEnvironment.AccessKey;
        Env["AWS_SECRET_ACCESS_KEY"] = TestEnvironment.SecretKey;
        Env["AWS_REGION"] = "us-east-1";
        Env["AWS_EC2_METADATA_DISABLED"] = "true";
        Env["AWS_CONFIG_FILE"] = Path.Combine(Home, ".aws", "config");
        Env["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(Home, ".aws", "credentials");
        Git(Root, "config", "--global", "user.email", "dev@example.com");
        Git(Root, "config", "--global", "user.name", "Dev");
        Git(Root, "config", "--global", "init.defaultBranch", "main");
        Git(Root, "config", "--global", "advice.detachedHead", "false");
        if (viaInstallScript)
        {
            var prefix = Path.Combine(Root, "prefix");
            Run("bash", Root, [Path.Combine(TestEnvironment.RepoRoot, "scripts", "install.sh"), "--prefix", prefix, "--binary", TestEnvironment.Binary]).AssertOk();
            Env["PATH"] = Path.Combine(prefix, "bin") + ":" + System.Environment.GetEnvironmentVariable("PATH");
            _agent = ["git", "lfs-s3"];
        }
        else if (install)
        {
            Agent(Root, "install").AssertOk();
        }
        else
        {
            Git(Root, "lfs", "install", "--skip-repo").AssertOk();
        }
    }

    private readonly string[] _agent = [TestEnvironment.Binary];

    public string Root { get; }

    public string Home { get; }

    public Dictionary<string, string?> Env { get; } = new();

    public string Origin => Path.Combine(Root, "origin.git");

    /// <summary>A bare origin and a first clone set up with <c>git lfs-s3 init</c> against <paramref name="bucket"/>.</summary>
    public string CreateRepository(string bucket, string prefix = "my-repo", string track = "*.bin *.pdf", params string[] initExtra) =>
        CreateRepositoryWith(track, ["--bucket", bucket, "--prefix", prefix, "--endpoint", TestEnvironment.Endpoint, .. initExtra]);

    /// <summary>A bare origin and a first clone set up with <c>git lfs-s3 init</c> and these arguments.</summary>
    public string CreateRepositoryWith(string track, params string[] initArgs)
    {
        Git(Root, "init", "-q", "--bare", Origin).AssertOk();
        var work = Path.Combine(Root, "work");
        Git(Root, "clone", "-q", Origin, work).AssertOk();
        Agent(work, ["init", .. initArgs]).AssertOk();
        Git(work, ["lfs", "track", .. track.Split(' ')]).AssertOk();
        CommitAll(work, "Set up git-lfs-s3");
        return work;
    }

    /// <summary>Stages everything in <paramref name="repo"/> and commits it.</summary>
    public void CommitAll(string repo, string message)
    {
        Git(repo, "add", "-A").AssertOk();
        Git(repo, "commit", "-q", "-m", message).AssertOk();
    }

    /// <summary>Stages everything, commits and pushes main to origin.</summary>
    public void CommitAndPush(string repo, string message)
    {
        CommitAll(repo, message);
        Git(repo, "push", "-q", "origin", "main").AssertOk();
    }

    public static byte[] WriteRandom(string repo, string path, int size, int seed)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        var full = Path.Combine(repo, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, data);
        return data;
    }

    public static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>The shard of the old layout (committed in the user's branches) that holds this OID.</summary>
    public static string ShardPath(string repo, string oid) => Path.Combine(repo, ".lfs-s3", "mapping", oid[..2] + ".tsv");

    /// <summary>
    /// Every mapping file this clone has: the shards of its copy of the mapping branch (its own and origin's), and of the
    /// old layout in the work tree, concatenated.
    /// </summary>
    public static string MappingText(string repo)
    {
        var texts = new List<string>();
        foreach (var reference in new[] { "refs/lfs-s3/lfs-s3", "refs/remotes/origin/lfs-s3" })
        {
            var names = PlainGit(repo, "ls-tree", "--name-only", reference);
            foreach (var name in (names ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(n => n.EndsWith(".tsv", StringComparison.Ordinal)))
            {
                texts.Add(PlainGit(repo, "show", $"{reference}:{name}") ?? "");
            }
        }

        var folder = Path.Combine(repo, ".lfs-s3", "mapping");
        var files = (Directory.Exists(folder) ? Directory.GetFiles(folder, "*.tsv").Order(StringComparer.Ordinal) : Enumerable.Empty<string>())
            .Append(Path.Combine(repo, ".lfs-s3", "mapping.tsv")).Where(File.Exists);
        return string.Concat(texts.Concat(files.Select(File.ReadAllText)));
    }

    /// <summary>The entries of <see cref="MappingText"/>, each once.</summary>
    public static (List<Core.Mapping.MappingEntry> Entries, List<Core.Mapping.MappingProblem> Problems) ReadMapping(string repo)
    {
        var (entries, problems) = Core.Mapping.MappingFile.Parse(MappingText(repo));
        return (entries.Distinct().ToList(), problems);
    }

    /// <summary>git's output, or null when it failed; for reading a repository, not for anything a user would run.</summary>
    private static string? PlainGit(string repo, params string[] args)
    {
        var info = new ProcessStartInfo("git") { WorkingDirectory = repo, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0 ? stdout : null;
    }

    /// <summary>One shard of origin's mapping branch as a clone would fetch it (after fetching it into <paramref name="repo"/>), or null.</summary>
    public string? RemoteShard(string repo, string name)
    {
        Git(repo, "fetch", "-q", "origin", "+refs/heads/lfs-s3:refs/remotes/origin/lfs-s3");
        var show = Git(repo, "show", "refs/remotes/origin/lfs-s3:" + name);
        return show.ExitCode == 0 ? show.Stdout : null;
    }

    /// <summary>
    /// Pushes a commit to origin's mapping branch that sets one shard to <paramref name="text"/>, as anyone with push
    /// rights could (a teammate's mistake or a hostile edit); the user's branches are not touched.
    /// </summary>
    public void PushShard(string repo, string name, string text)
    {
        Git(repo, "fetch", "-q", "origin", "+refs/heads/lfs-s3:refs/remotes/origin/lfs-s3");
        var tip = Git(repo, "rev-parse", "--verify", "-q", "refs/remotes/origin/lfs-s3").Stdout.Trim();
        var entries = tip.Length == 0 ? [] : Git(repo, "ls-tree", tip).AssertOk().Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => !l.EndsWith("\t" + name, StringComparison.Ordinal)).ToList();
        var blob = Run("git", repo, ["hash-object", "-w", "--stdin"], stdin: text).AssertOk().Stdout.Trim();
        entries.Add($"100644 blob {blob}\t{name}");
        var tree = Run("git", repo, ["mktree"], stdin: string.Join("\n", entries) + "\n").AssertOk().Stdout.Trim();
        var commit = Git(repo, ["commit-tree", tree, "-m", "edited by hand", .. tip.Length == 0 ? Array.Empty<string>() : ["-p", tip]]).AssertOk().Stdout.Trim();
        Git(repo, "push", "-q", "--no-verify", "origin", commit + ":refs/heads/lfs-s3").AssertOk();
    }

    public RunResult Git(string cwd, params string[] args) => Run("git", cwd, args);

    /// <summary>Runs git-lfs-s3 the way this sandbox installed it.</summary>
    public RunResult Agent(string cwd, params string[] args) => Run(_agent[0], cwd, [.. _agent[1..], .. args]);

    public RunResult Run(string program, string cwd, string[] args, string? stdin = null, IDictionary<string, string?>? extraEnv = null)
    {
        using var process = Start(program, cwd, args, extraEnv);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in 10 minutes");
        }

        return new RunResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts a program with this sandbox's environment and every stream redirected.</summary>
    public Process Start(string program, string cwd, string[] args, IDictionary<string, string?>? extraEnv = null)
    {
        var info = new ProcessStartInfo(program)
        {
            WorkingDirectory = cwd,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("GIT_", StringComparison.Ordinal) || k.StartsWith("LFS_S3_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        foreach (var (key, value) in extraEnv is null ? Env : Env.Concat(extraEnv).GroupBy(p => p.Key).Select(g => g.Last()))
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        return Process.Start(info)!;
    }

    /// <summary>The installed agent binary of a sandbox made with the install script (unique to this sandbox).</summary>
    public string InstalledBinary => Path.Combine(Root, "prefix", "lib", "git-lfs-s3", "git-lfs-s3");

    /// <summary>SIGKILLs every running process of this sandbox's own agent binary; returns how many.</summary>
    public int KillAgents() => ForEachAgent(kill: true);

    /// <summary>How many processes of this sandbox's own agent binary are running.</summary>
    public int RunningAgents() => ForEachAgent(kill: false);

    private int ForEachAgent(bool kill)
    {
        var killed = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                if (cmdline.StartsWith(InstalledBinary + "\0agent", StringComparison.Ordinal))
                {
                    if (kill)
                    {
                        Process.GetProcessById(pid).Kill();
                    }

                    killed++;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
            {
                // the process ended meanwhile
            }
        }

        return killed;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // a leftover temp dir is harmless
        }
    }
}

internal static class RunResultAssertions
{
    public static RunResult AssertOk(this RunResult result)
    {
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}\nstdout: {result.Stdout}\nstderr: {result.Stderr}");
        return result;
    }
}
