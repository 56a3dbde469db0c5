using System.Globalization;
using System.Text.RegularExpressions;
using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;
using LfsS3Agent.Core.Transfer;

namespace LfsS3Agent.Commands;

/// <summary><c>git lfs-s3 doctor</c>: checks everything a push or clone needs, one line per check with its fix.</summary>
public sealed partial class DoctorCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, TextWriter stdout)
{
    public const string Help = """
        usage: git lfs-s3 doctor

        Checks, one line each, with the fix for every failure: git and git-lfs versions, the agent wiring
        in git config, this repository's settings, the credentials (their source, never the secret), the
        bucket and its versioning, list/read/write permission under the prefix (with a probe object that
        it removes again), clock skew against S3, and SSH remotes. Exit code 0 only when all that is
        needed works (warnings do not count).
        """;

    private int _failures;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var git = new GitRunner(environment.WorkingDirectory);
        if (!await CheckToolsAsync(git, cancellationToken))
        {
            return Finish();
        }

        await CheckWiringAsync(git, cancellationToken);

        GitRepository repository;
        try
        {
            repository = await GitRepository.DiscoverAsync(environment.WorkingDirectory, cancellationToken);
        }
        catch (TransferException ex)
        {
            Fail("repository", ex.Message);
            return Finish();
        }

        var settings = await SettingsResolver.LoadAsync(repository, environment.Variables, cancellationToken);
        try
        {
            settings.RequireStore();
            Ok("settings", $"{settings.StoreDescription}, prefix \"{settings.Prefix}\" ({(settings.Find(SettingNames.Store) ?? settings.Find(SettingNames.Bucket))!.Source})");
        }
        catch (TransferException ex)
        {
            Fail("settings", ex.Message);
            return Finish();
        }

        await CheckRemotesAsync(repository, cancellationToken);
        var store = storeFactory.Create(settings);
        if (store is ICredentialSource credentials)
        {
            try
            {
                Ok("credentials", $"from {credentials.DescribeCredentials()}");
            }
            catch (TransferException ex)
            {
                Fail("credentials", ex.Message);
                return Finish();
            }
        }

        try
        {
            var state = await store.GetVersioningAsync(cancellationToken);
            if (state == VersioningState.Enabled)
            {
                Ok("bucket", $"{settings.StoreDescription} is reachable and has versioning enabled");
            }
            else
            {
                Fail("versioning", StoreMessages.VersioningOff(settings.RequireBucket(), settings.Endpoint, state));
            }
        }
        catch (TransferException ex)
        {
            Fail("bucket", ex.Message);
            return Finish();
        }

        await CheckPermissionsAsync(store, settings, cancellationToken);
        if (settings.FolderStore is null)
        {
            await CheckClockAsync(settings, cancellationToken);
        }

        return Finish();
    }

    private async Task<bool> CheckToolsAsync(GitRunner git, CancellationToken cancellationToken)
    {
        GitResult version;
        try
        {
            version = await git.RunAsync(["--version"], allowFailure: true, cancellationToken: cancellationToken);
        }
        catch (GitException ex)
        {
            Fail("git", ex.Message);
            return false;
        }

        Ok("git", version.Stdout.Trim());
        var lfs = await git.RunAsync(["lfs", "version"], allowFailure: true, cancellationToken: cancellationToken);
        var match = LfsVersion().Match(lfs.Stdout);
        if (lfs.ExitCode != 0 || !match.Success)
        {
            Fail("git-lfs", "git-lfs is not installed: install it (apt-get install git-lfs, brew install git-lfs, or https://git-lfs.com)");
            return false;
        }

        if (int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) < 3)
        {
            Fail("git-lfs", $"{lfs.Stdout.Trim()} is too old: install git-lfs 3.0 or later");
            return false;
        }

        Ok("git-lfs", lfs.Stdout.Trim());
        return true;
    }

    private async Task CheckWiringAsync(GitRunner git, CancellationToken cancellationToken)
    {
        async Task<string?> Get(string key)
        {
            var r = await git.RunAsync(["config", "--get", key], allowFailure: true, cancellationToken: cancellationToken);
            return r.ExitCode == 0 ? r.Stdout.Trim() : null;
        }

        var agent = await Get("lfs.standalonetransferagent");
        var path = await Get($"lfs.customtransfer.{InstallCommand.AgentName}.path");
        var args = await Get($"lfs.customtransfer.{InstallCommand.AgentName}.args");
        if (agent != InstallCommand.AgentName)
        {
            Fail("agent", $"lfs.standalonetransferagent is {(agent is null ? "not set" : $"\"{agent}\"")}, so git-lfs will not use git-lfs-s3: run `git lfs-s3 install`");
        }
        else if (path is null || !File.Exists(path))
        {
            Fail("agent", $"lfs.customtransfer.{InstallCommand.AgentName}.path points to {path ?? "nothing"}, which does not exist: run `git lfs-s3 install` again");
        }
        else if (args != "agent")
        {
            Fail("agent", $"lfs.customtransfer.{InstallCommand.AgentName}.args is \"{args}\", expected \"agent\": run `git lfs-s3 install` again");
        }
        else
        {
            Ok("agent", $"git-lfs runs {path} agent");
        }
    }

    private async Task CheckRemotesAsync(GitRepository repository, CancellationToken cancellationToken)
    {
        var remotes = await repository.Git.RunAsync(["remote", "-v"], allowFailure: true, cancellationToken: cancellationToken);
        var lfsUrl = await repository.Git.RunAsync(["config", "--get", "lfs.url"], allowFailure: true, cancellationToken: cancellationToken);
        var lfsConfigUrl = repository.WorkTree is { } wt
            ? await repository.Git.RunAsync(["config", "-f", Path.Combine(wt, ".lfsconfig"), "--get", "lfs.url"], allowFailure: true, cancellationToken: cancellationToken)
            : null;
        var ssh = remotes.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('\t', ' '))
            .Where(p => p.Length >= 2 && IsSsh(p[1]))
            .Select(p => p[0])
            .Distinct()
            .ToList();
        if (ssh.Count == 0)
        {
            Ok("remotes", "no SSH remotes");
        }
        else if (lfsUrl.ExitCode == 0 || lfsConfigUrl?.ExitCode == 0)
        {
            Ok("remotes", $"SSH remote {string.Join(", ", ssh)}: lfs.url is set, so git-lfs does not try `ssh ... git-lfs-transfer`");
        }
        else
        {
            Warn("remotes", $"SSH remote {string.Join(", ", ssh)}: git-lfs before 3.5 first runs `ssh ... git-lfs-transfer` there; run `git lfs-s3 init` again (it sets lfs.url in .lfsconfig) or `git config -f .lfsconfig lfs.url {InitCommand.PlaceholderLfsUrl}`");
        }
    }

    private async Task CheckPermissionsAsync(IObjectStore store, AgentSettings settings, CancellationToken cancellationToken)
    {
        // The probe lives under <prefix>/.git/, where no file of the repository can be.
        var key = (settings.Prefix.Length == 0 ? "" : settings.Prefix + "/") + ".git/lfs-s3-doctor/probe-" + Guid.NewGuid().ToString("N")[..12];
        var file = Path.GetTempFileName();
        var step = "write";
        try
        {
            await File.WriteAllTextAsync(file, "git-lfs-s3 doctor probe; safe to delete\n", cancellationToken);
            var oid = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(file, cancellationToken)));
            var version = await store.UploadAsync(key, file, new FileInfo(file).Length, oid, NoProgress.Instance, cancellationToken);
            step = "list";
            var listed = await store.ListVersionsAsync(key, cancellationToken);
            step = "read";
            await store.DownloadAsync(key, version, Stream.Null, NoProgress.Instance, cancellationToken);
            var readOid = await store.GetOidAsync(key, version, cancellationToken);
            step = "delete the probe";
            await store.DeleteVersionAsync(key, version, cancellationToken);
            if (listed.All(v => v.VersionId != version) || readOid != oid)
            {
                Fail("permissions", $"the probe {store.Describe(key)} did not list or read back as written");
            }
            else
            {
                Ok("permissions", $"list, read and write under {store.Describe(settings.Prefix)} (probe object written and removed)");
            }
        }
        catch (TransferException ex)
        {
            Fail("permissions", $"cannot {step} under {store.Describe(settings.Prefix)}: {ex.Message}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    private async Task CheckClockAsync(AgentSettings settings, CancellationToken cancellationToken)
    {
        var url = settings.Endpoint ?? $"https://s3.{settings.Region ?? "us-east-1"}.amazonaws.com/";
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            var before = DateTimeOffset.UtcNow;
            using var response = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, url), cancellationToken);
            var local = before + (DateTimeOffset.UtcNow - before) / 2;
            if (response.Headers.Date is not { } server)
            {
                Warn("clock", $"{url} sent no Date header; cannot compare clocks");
                return;
            }

            var skew = (local - server).TotalSeconds;
            var text = $"this machine's clock is {Math.Abs(skew):0} s {(skew >= 0 ? "ahead of" : "behind")} S3's";
            if (Math.Abs(skew) > 15 * 60)
            {
                Fail("clock", $"{text}: S3 refuses requests more than 15 minutes off; fix the clock (enable NTP)");
            }
            else if (Math.Abs(skew) > 5 * 60)
            {
                Warn("clock", $"{text}: fix the clock (enable NTP) before it reaches 15 minutes");
            }
            else
            {
                Ok("clock", text);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            Warn("clock", $"cannot reach {url} to compare clocks: {ex.Message}");
        }
    }

    internal static bool IsSsh(string url) =>
        url.StartsWith("ssh://", StringComparison.OrdinalIgnoreCase)
        || url.StartsWith("git+ssh://", StringComparison.OrdinalIgnoreCase)
        || ScpLike().IsMatch(url);

    private void Ok(string check, string detail) => Line("ok", check, detail);

    private void Warn(string check, string detail) => Line("warn", check, detail);

    private void Fail(string check, string detail)
    {
        _failures++;
        Line("FAIL", check, detail);
    }

    private void Line(string status, string check, string detail) => stdout.WriteLine($"{status,-5} {check,-12} {detail}");

    private int Finish()
    {
        stdout.WriteLine(_failures == 0 ? "all checks passed" : $"{_failures} check(s) failed");
        return _failures == 0 ? 0 : 1;
    }

    [GeneratedRegex(@"^git-lfs/(\d+)\.")]
    private static partial Regex LfsVersion();

    /// <summary>user@host:path, the scp-like form git treats as SSH (not a Windows drive letter).</summary>
    [GeneratedRegex(@"^[^/:@]+@[^/:]+:|^[A-Za-z0-9.-]{2,}:(?!//)")]
    private static partial Regex ScpLike();
}
