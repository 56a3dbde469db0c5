using System.Text.RegularExpressions;
using LfsS3Agent.Commands.Shared;
using LfsS3Agent.Core;
using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.LocalState;
using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Core.Objects;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Commands;

/// <summary>
/// <c>git lfs-s3 doctor</c>: a list of checks, one line each with its fix. The repository checks come first;
/// once the settings name a store, that store adds its own (credentials and clock for S3, the folder for
/// the folder store), then the bucket's versioning and a probe of list, read and write.
/// </summary>
public sealed partial class DoctorCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, TextWriter stdout) : Verb
{
    public override string Name => "doctor";

    public override string Summary => "check git, git-lfs, the wiring, credentials, bucket, permissions, clock; say how to fix";

    public override string Help => """
        usage: git lfs-s3 doctor [--json]

        Checks, one line each, with the fix for every failure: git and git-lfs versions, the agent wiring
        in git config, this repository's settings, the mapping branch (pending entries, a push of it the
        remote refused), the credentials (their source, never the secret), the
        bucket and its versioning, list/read/write permission under the prefix (with a probe object that
        it removes again), clock skew against S3, and SSH remotes. Exit code 0 only when all that is
        needed works (warnings do not count). The settings line names the endpoint and region in use
        (`git lfs-s3 env` says where each setting came from). --json prints the checks as
        {"checks": [{"name", "status": "ok"|"warn"|"fail", "detail"}], "failures", "ok"}.
        """;

    public override IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json" };

    private readonly GitCli _git = new(environment.WorkingDirectory, environment.Variables);
    private GitRepository? _repository;
    private AgentSettings? _settings;
    private IObjectStore? _store;
    private IStoreDiagnostics? _diagnostics;
    private VersioningState _versioning;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        var checks = new Queue<StoreCheck>(
        [
            new("git", CheckGitAsync), new("git-lfs", CheckGitLfsAsync), new("repository", CheckRepositoryAsync),
            new("agent", CheckWiringAsync), new("lfs.url", CheckLfsUrlAsync), new("path", CheckPathAsync), new("settings", CheckSettingsAsync), new("remotes", CheckRemotesAsync),
            new("mapping", CheckMappingBranchAsync),
        ]);
        var failures = 0;
        var json = args.Has("json");
        var report = new List<DoctorCheckJson>();
        while (checks.TryDequeue(out var check))
        {
            var result = await check.RunAsync(cancellationToken);
            failures += result.Status == CheckStatus.Fail ? 1 : 0;
            var status = result.Status switch { CheckStatus.Ok => "ok", CheckStatus.Warn => "warn", _ => "FAIL" };
            report.Add(new DoctorCheckJson(check.Name, status.ToLowerInvariant(), result.Detail));
            if (!json)
            {
                await stdout.WriteLineAsync($"{status,-5} {check.Name,-12} {result.Detail}");
            }

            if (result.Stop)
            {
                break;
            }

            if (check.Name == "settings" && _diagnostics is { } diagnostics)
            {
                foreach (var more in diagnostics.Checks.Concat([new("bucket", CheckBucketAsync), new("versioning", CheckVersioningAsync)]).Concat(diagnostics.BucketChecks)
                             .Append(new("permissions", CheckPermissionsAsync)).Append(new("neighbours", CheckNeighboursAsync)))
                {
                    checks.Enqueue(more);
                }
            }
        }

        if (json)
        {
            await ReportJson.WriteAsync(stdout, new DoctorReport(report, failures, failures == 0), ReportJsonContext.Default.DoctorReport);
        }
        else
        {
            await stdout.WriteLineAsync(failures == 0 ? "all checks passed" : $"{failures} check(s) failed");
        }

        return failures == 0 ? 0 : 1;
    }

    private async Task<CheckResult> CheckGitAsync(CancellationToken cancellationToken)
    {
        try
        {
            return CheckResult.Ok(await _git.VersionAsync(cancellationToken));
        }
        catch (GitException ex)
        {
            return CheckResult.Fail(ex.Message, stop: true);
        }
    }

    private async Task<CheckResult> CheckGitLfsAsync(CancellationToken cancellationToken)
    {
        var lfs = await _git.LfsVersionAsync(cancellationToken);
        if (lfs?.Major is null)
        {
            return CheckResult.Fail(GitLfsVersion.NotInstalled, stop: true);
        }

        return !lfs.IsSupported
            ? CheckResult.Fail($"{lfs.Text} is too old: install git-lfs 3.0 or later", stop: true)
            : CheckResult.Ok(lfs.Text);
    }

    /// <summary>The wiring as git-lfs resolves it for this repository's LFS URL (the user's lfs.url, else the committed one).</summary>
    private async Task<CheckResult> CheckWiringAsync(CancellationToken cancellationToken)
    {
        var git = _repository!.Git;
        var name = AgentWiring.AgentName;
        var path = await git.ConfigGetAsync(GitConfigSource.Effective, $"lfs.customtransfer.{name}.path", cancellationToken);
        var args = await git.ConfigGetAsync(GitConfigSource.Effective, $"lfs.customtransfer.{name}.args", cancellationToken);
        var own = await LfsUrlPin.OwnUrlAsync(git, cancellationToken);
        var committed = await LfsUrlPin.CommittedAsync(_repository, "lfs.url", cancellationToken);
        // Without any lfs.url git-lfs asks the remote's LFS server; only an unscoped key (install --local) still matches.
        // This clone's pin is in force while the commit names a URL (a changed one is the lfs.url check's to report).
        var url = own ?? (committed is not null ? await LfsUrlPin.PinnedAsync(git, cancellationToken) ?? committed : null);
        var agent = await AgentWiring.AgentForAsync(git, url ?? "https://no-lfs-url.invalid/", cancellationToken);
        if (agent != name)
        {
            var why = url is null
                ? $"it has no lfs.url, so git-lfs asks its remote's LFS server: run `git lfs-s3 init` again (it sets lfs.url in .lfsconfig) or `git config -f .lfsconfig lfs.url {AgentWiring.PlaceholderLfsUrl}`"
                : own is not null && committed is not null && own != committed
                ? $"your git config sets lfs.url = {own}, which overrides .lfsconfig's {committed}: `git config --unset lfs.url` (or `git lfs-s3 install --local`)"
                : url != AgentWiring.PlaceholderLfsUrl
                    ? $"this repository's lfs.url is {url}, which the installed agent is not tied to: run `git lfs-s3 init` again (it sets lfs.url = {AgentWiring.PlaceholderLfsUrl} in .lfsconfig) or `git lfs-s3 install --local`"
                    : "git-lfs-s3 is not installed for it: run `git lfs-s3 install`";
            return CheckResult.Fail($"git-lfs would not use git-lfs-s3 here ({AgentWiring.AgentKey} for {url ?? "the remote"} is {(agent is null ? "not set" : $"\"{agent}\"")}): {why}");
        }

        return path is null || !File.Exists(path)
            ? CheckResult.Fail($"lfs.customtransfer.{name}.path points to {path ?? "nothing"}, which does not exist: run `git lfs-s3 install` again")
            : args != "agent"
                ? CheckResult.Fail($"lfs.customtransfer.{name}.args is \"{args}\", expected \"agent\": run `git lfs-s3 install` again")
                : CheckResult.Ok($"git-lfs runs {path} agent for {url ?? "every LFS URL of this repository"}");
    }

    /// <summary>The LFS URL pinned in this clone, and a commit that changed the committed one (never followed silently).</summary>
    private async Task<CheckResult> CheckLfsUrlAsync(CancellationToken cancellationToken)
    {
        if (await LfsUrlPin.ProblemAsync(_repository!, cancellationToken) is { } problem)
        {
            return CheckResult.Fail(problem);
        }

        return await LfsUrlPin.PinnedAsync(_repository!.Git, cancellationToken) is { } pin
            ? CheckResult.Ok($"{pin}, pinned in .git/config: a commit that changes .lfsconfig cannot redirect this clone's pushes")
            : CheckResult.Ok("nothing pinned in .git/config (the first transfer or `git lfs-s3 install` pins the URL of a repository set up with init)");
    }

    /// <summary>`git lfs-s3` runs the first git-lfs-s3 on PATH; AWS Labs' git-remote-s3 installs another program of that name.</summary>
    private async Task<CheckResult> CheckPathAsync(CancellationToken cancellationToken)
    {
        var agent = await _repository!.Git.ConfigGetAsync(GitConfigSource.Effective, $"lfs.customtransfer.{AgentWiring.AgentName}.path", cancellationToken);
        var first = (environment.Get("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "git-lfs-s3")).FirstOrDefault(File.Exists);
        if (first is null)
        {
            return CheckResult.Warn("no git-lfs-s3 on PATH, so `git lfs-s3 <verb>` is not found (transfers still work): add the install's bin folder to PATH");
        }

        static string Real(string p) => new FileInfo(p).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(p);
        return agent is null || Real(first) == Real(agent)
            ? CheckResult.Ok($"`git lfs-s3` runs {first}")
            : CheckResult.Warn($"`git lfs-s3` runs {first}, not the installed agent {agent} (AWS Labs' git-remote-s3 installs a program of this name): "
                + $"put {Path.GetDirectoryName(agent)} earlier on PATH, or remove the other one");
    }

    private async Task<CheckResult> CheckRepositoryAsync(CancellationToken cancellationToken)
    {
        try
        {
            _repository = await GitRepository.DiscoverAsync(_git, cancellationToken);
            return CheckResult.Ok(_repository.WorkTree ?? _repository.CommonDir);
        }
        catch (LfsS3Exception ex)
        {
            return CheckResult.Fail(ex.Message, stop: true);
        }
    }

    private async Task<CheckResult> CheckSettingsAsync(CancellationToken cancellationToken)
    {
        try
        {
            var settings = _settings = await Workspace.StoreSettingsAsync(_repository!, environment, cancellationToken: cancellationToken);
            _store = storeFactory.Create(settings);
            _diagnostics = storeFactory.Diagnostics(settings);
            var source = (settings.Find(SettingNames.Store) ?? settings.Find(SettingNames.Bucket))!.Source;
            var where = string.Concat(storeFactory.Describe(settings).Where(f => f.Name is "endpoint" or "region").Select(f => $", {f.Name} {f.Value} ({f.Source})"));
            return CheckResult.Ok($"{settings.StoreDescription}, prefix \"{settings.Prefix}\" ({source}){where}");
        }
        catch (LfsS3Exception ex)
        {
            return CheckResult.Fail(ex.Message, stop: true);
        }
    }

    private async Task<CheckResult> CheckRemotesAsync(CancellationToken cancellationToken)
    {
        var git = _repository!.Git;
        var remotes = await git.RemoteUrlsAsync(cancellationToken);
        var lfsUrl = await LfsUrlPin.OwnUrlAsync(git, cancellationToken);
        var lfsConfigUrl = _repository.WorkTree is { } wt
            ? await git.ConfigGetAsync(GitConfigSource.File(Path.Combine(wt, ".lfsconfig")), "lfs.url", cancellationToken)
            : null;
        var ssh = remotes.Where(r => IsSsh(r.Url)).Select(r => r.Name).Distinct().ToList();
        return ssh.Count == 0 ? CheckResult.Ok("no SSH remotes")
            : lfsUrl is not null || lfsConfigUrl is not null
                ? CheckResult.Ok($"SSH remote {string.Join(", ", ssh)}: lfs.url is set, so git-lfs does not try `ssh ... git-lfs-transfer`")
                : CheckResult.Warn($"SSH remote {string.Join(", ", ssh)}: git-lfs before 3.5 first runs `ssh ... git-lfs-transfer` there; run `git lfs-s3 init` again (it sets lfs.url in .lfsconfig) or `git config -f .lfsconfig lfs.url {AgentWiring.PlaceholderLfsUrl}`");
    }

    /// <summary>The mapping branch as this clone knows it: its copy of the remote's, entries not pushed yet, and why the last push failed.</summary>
    private async Task<CheckResult> CheckMappingBranchAsync(CancellationToken cancellationToken)
    {
        var branch = new MappingBranch(_repository!, _settings!.MappingBranch);
        using var database = new LocalDatabase(LocalDatabase.DefaultPath(_repository!.StateDir));
        var pending = new ObjectCache(database, _store!.Id).Uploaded(notYetWritten: true).Count;
        if (branch.LastFailure() is { } failure)
        {
            return CheckResult.Fail($"the last push of branch {branch.Branch} to {failure.Remote} was refused ({failure.Reason}); {pending} entries are pending. "
                + $"If the branch is protected, allow pushes to {branch.Branch} (or set lfs-s3.mappingbranch to a branch you may push), then run `git lfs-s3 sync`");
        }

        if (await branch.DefaultRemoteAsync(cancellationToken) is not { } remote)
        {
            return CheckResult.Warn($"no git remote: the mapping branch {branch.Branch} has nowhere to go (clones still find every object in the bucket)");
        }

        if (await _repository.Git.RevParseAsync(branch.TrackingRef(remote), cancellationToken) is null)
        {
            return CheckResult.Warn($"{remote} has no {branch.Branch} branch that this clone fetched; the first push that uploads creates it"
                + (pending > 0 ? $" ({pending} entries pending: `git lfs-s3 sync` sends them now)" : ""));
        }

        return pending > 0
            ? CheckResult.Warn($"{pending} entries not on {remote}'s {branch.Branch} branch yet: the next push sends them, `git lfs-s3 sync` now")
            : CheckResult.Ok($"{remote}'s {branch.Branch} branch holds every entry of this clone");
    }

    private async Task<CheckResult> CheckBucketAsync(CancellationToken cancellationToken)
    {
        try
        {
            _versioning = await _store!.GetVersioningAsync(cancellationToken);
            return CheckResult.Ok($"{_settings!.StoreDescription} is reachable");
        }
        catch (LfsS3Exception ex)
        {
            return CheckResult.Fail(ex.Message, stop: true);
        }
    }

    private Task<CheckResult> CheckVersioningAsync(CancellationToken cancellationToken) => Task.FromResult(_versioning == VersioningState.Enabled
        ? CheckResult.Ok("enabled: every push adds a version, old commits stay checkable")
        : CheckResult.Fail(_store!.VersioningOffMessage(_versioning), stop: true));

    /// <summary>Writes, lists, reads and deletes a probe under <c>&lt;prefix&gt;/.git/</c>, where no file of the repository can be.</summary>
    private async Task<CheckResult> CheckPermissionsAsync(CancellationToken cancellationToken)
    {
        var (store, prefix) = (_store!, _settings!.Prefix);
        var key = new KeyLayout(prefix).ProbeKey("probe-" + Guid.NewGuid().ToString("N")[..12]);
        var step = "write";
        try
        {
            var (version, oid) = await StoreProbe.WriteAsync(store, key, "git-lfs-s3 doctor probe; safe to delete\n", cancellationToken);
            step = "list";
            var listed = await store.ListVersionsAsync(key, cancellationToken);
            step = "read";
            await store.DownloadAsync(key, version, Stream.Null, NoProgress.Instance, cancellationToken);
            var readOid = await store.GetOidAsync(key, version, cancellationToken);
            step = "delete the probe";
            await store.DeleteVersionAsync(key, version, cancellationToken);
            return listed.All(v => v.VersionId != version) || readOid != oid
                ? CheckResult.Fail($"the probe {store.Describe(key)} did not list or read back as written")
                : CheckResult.Ok($"list, read and write under {store.Describe(prefix)} (probe object written and removed)");
        }
        catch (LfsS3Exception ex)
        {
            return CheckResult.Fail($"cannot {step} under {store.Describe(prefix)}: {ex.Message}");
        }
    }

    /// <summary>Other repositories at, around or inside this one's prefix (their markers), and whether this one left its own.</summary>
    private async Task<CheckResult> CheckNeighboursAsync(CancellationToken cancellationToken)
    {
        var (store, layout) = (_store!, new KeyLayout(_settings!.Prefix));
        try
        {
            var id = await RepositoryIdentity.ResolveAsync(_repository!, new MappingBranch(_repository!, _settings.MappingBranch), cancellationToken);
            var markers = new RepositoryMarkers(store);
            var (survey, _) = await markers.SurveyListingAsync(layout.Prefix, id is null ? null : RepositoryMarkers.Fingerprint(id), cancellationToken);
            if (survey.Foreign.Count > 0)
            {
                return CheckResult.Warn(markers.Explain(survey.Foreign, layout.Prefix) + (survey.Enclosing.Any()
                    ? ": prune refuses to run while repositories share keys; give each its own prefix, beside the others"
                    : ": prune here leaves everything under it alone"));
            }

            return survey.OwnMarked
                ? CheckResult.Ok($"no other repository at, around or inside {store.Describe(layout.Prefix.Length == 0 ? "" : layout.Prefix + "/")}; this one's marker is in {store.Describe(layout.MarkerFolderKey)}")
                : CheckResult.Warn($"this repository has left no marker in {store.Describe(layout.MarkerFolderKey)} yet: the next push leaves one (or run `git lfs-s3 init` again)");
        }
        catch (LfsS3Exception ex)
        {
            return CheckResult.Warn($"cannot look for other repositories' markers: {ex.Message}");
        }
    }

    internal static bool IsSsh(string url) =>
        url.StartsWith("ssh://", StringComparison.OrdinalIgnoreCase)
        || url.StartsWith("git+ssh://", StringComparison.OrdinalIgnoreCase)
        || ScpLike().IsMatch(url);

    /// <summary>user@host:path, the scp-like form git treats as SSH (not a Windows drive letter).</summary>
    [GeneratedRegex(@"^[^/:@]+@[^/:]+:|^[A-Za-z0-9.-]{2,}:(?!//)")]
    private static partial Regex ScpLike();
}
