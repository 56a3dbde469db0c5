using System.Diagnostics;
using System.Text;

namespace LfsS3Agent.Core.Git;

/// <summary>Failure of a git command; the message carries git's own stderr.</summary>
public sealed class GitException(string message, int exitCode) : LfsS3Exception(ErrorCodes.Internal, message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// Starts git in one working directory with exactly the injected environment (plus a call's own extra variables), so
/// a test decides what git sees (HOME, GIT_CONFIG_GLOBAL, ...). Output is read as UTF-8, which is how git stores paths.
/// Only <see cref="GitCli"/> uses it: nothing else in the program starts git.
/// </summary>
internal sealed class GitRunner(string workingDirectory, IReadOnlyDictionary<string, string> environment)
{
    public string WorkingDirectory { get; } = workingDirectory;

    public IReadOnlyDictionary<string, string> Environment { get; } = environment;

    /// <summary>Runs git and returns stdout; throws <see cref="GitException"/> on a non-zero exit unless allowed.</summary>
    public async Task<GitResult> RunAsync(IEnumerable<string> args, string? stdin = null, bool allowFailure = false,
        IReadOnlyDictionary<string, string>? extraEnvironment = null, CancellationToken cancellationToken = default)
    {
        using var process = Start(args, stdin is not null, extraEnvironment);
        var stdoutTask = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderrTask = process.StandardError.ReadToEndAsync(cancellationToken);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin.AsMemory(), cancellationToken);
            process.StandardInput.Close();
        }

        var stdout = await stdoutTask;
        var stderr = await stderrTask;
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0 && !allowFailure)
        {
            throw new GitException($"git {string.Join(' ', args)} failed: {stderr.Trim()}", process.ExitCode);
        }

        return new GitResult(process.ExitCode, stdout, stderr);
    }

    /// <summary>Starts git with redirected streams for callers that stream large output themselves.</summary>
    public Process Start(IEnumerable<string> args, bool redirectStdin, IReadOnlyDictionary<string, string>? extraEnvironment = null)
    {
        var info = new ProcessStartInfo("git")
        {
            WorkingDirectory = WorkingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = redirectStdin,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        if (redirectStdin)
        {
            info.StandardInputEncoding = new UTF8Encoding(false);
        }

        // git sees the injected environment, not whatever this process inherited.
        info.Environment.Clear();
        foreach (var (name, value) in Environment.Concat(extraEnvironment ?? new Dictionary<string, string>()))
        {
            info.Environment[name] = value;
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        try
        {
            return Process.Start(info) ?? throw new GitException("could not start git", -1);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new GitException($"git is not installed or not on PATH ({ex.Message}); install git and retry", -1);
        }
    }
}

/// <summary>Exit code and output of one git command.</summary>
internal sealed record GitResult(int ExitCode, string Stdout, string Stderr);
