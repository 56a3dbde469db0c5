using System.Diagnostics;
using System.Text;
using LfsS3Agent.Core.Transfer;

namespace LfsS3Agent.Core.Git;

/// <summary>Failure of a git command; the message carries git's own stderr.</summary>
public sealed class GitException(string message, int exitCode) : LfsS3Exception(ErrorCodes.Internal, message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>Runs git in one working directory. Output is read as UTF-8, which is how git stores paths.</summary>
public sealed class GitRunner(string workingDirectory)
{
    public string WorkingDirectory { get; } = workingDirectory;

    /// <summary>Runs git and returns stdout; throws <see cref="GitException"/> on a non-zero exit unless allowed.</summary>
    public async Task<GitResult> RunAsync(IEnumerable<string> args, string? stdin = null, bool allowFailure = false,
        CancellationToken cancellationToken = default)
    {
        using var process = Start(args, stdin is not null);
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

    public Task<GitResult> RunAsync(params string[] args) => RunAsync((IEnumerable<string>)args);

    /// <summary>Starts git with redirected streams for callers that stream large output themselves.</summary>
    public Process Start(IEnumerable<string> args, bool redirectStdin)
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
public sealed record GitResult(int ExitCode, string Stdout, string Stderr);
