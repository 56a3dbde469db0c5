using System.Diagnostics;
using LfsS3Agent.Core.Git;

namespace LfsS3Agent.Tests;

/// <summary>A real git repository in a temporary directory, with helpers to commit LFS pointer files.</summary>
internal sealed class TempGitRepo : IDisposable
{
    public TempGitRepo()
    {
        Root = Path.Combine(Path.GetTempPath(), "lfs-s3-unit-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Root);
        Git("init", "-q", "-b", "main");
        Git("config", "user.email", "t@example.com");
        Git("config", "user.name", "Test");
    }

    public string Root { get; }

    /// <summary>What the code under test lets git see: this repository as HOME, no system config, the process's PATH.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["HOME"] = Root,
        ["GIT_CONFIG_NOSYSTEM"] = "1",
        ["PATH"] = System.Environment.GetEnvironmentVariable("PATH") ?? "",
    };

    /// <summary>The code's door to git, at the repository's root, with <see cref="Environment"/>.</summary>
    public IGit Cli => new GitCli(Root, Environment);

    public static string Pointer(string oid, long size) =>
        $"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {size}\n";

    public void WriteFile(string path, string content)
    {
        var full = Path.Combine(Root, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    public void Commit(string message)
    {
        Git("add", "-A");
        Git("commit", "-q", "-m", message);
    }

    public string Git(params string[] args)
    {
        var info = new ProcessStartInfo("git") { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true };
        info.Environment["GIT_CONFIG_NOSYSTEM"] = "1";
        info.Environment["HOME"] = Root;
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)}: {stderr}");
        }

        return stdout;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
