using LfsS3Agent.Core.Git;

namespace LfsS3Agent.Core.Settings;

/// <summary>
/// The one place settings are resolved, once per process, in this order: the tool's environment variables,
/// git config (<c>lfs-s3.*</c>), the committed <c>.lfs-s3/config</c>, the standard AWS variables, defaults.
/// </summary>
public static class SettingsResolver
{
    // lfs.storage is git-lfs's own: it moves .git/lfs, and with it the temp folder downloads must land in.
    private const string GitConfigPattern = @"^lfs-s3\.|^lfs\.storage$|^lfs\.concurrenttransfers$";

    /// <summary>
    /// The agent's early read of git config, taken by its one full load: nothing between them writes these keys, and
    /// each of a push's ten agents saves a git process.
    /// </summary>
    private static Dictionary<string, string>? _earlyRead;

    /// <summary>
    /// Everything for a process in <paramref name="environment"/>'s directory. <paramref name="repoConfig"/>
    /// stands in for the committed file (init checks the settings it is about to write).
    /// </summary>
    public static async Task<AgentSettings> LoadAsync(GitRepository? repository, ProcessEnvironment environment,
        IReadOnlyDictionary<string, string>? repoConfig = null, CancellationToken cancellationToken = default)
    {
        var git = repository?.Git ?? new GitCli(environment.WorkingDirectory, environment.Variables);
        var gitConfig = (repository is not null ? Interlocked.Exchange(ref _earlyRead, null) : null)
            ?? await git.ConfigGetRegexpAsync(GitConfigSource.Effective, GitConfigPattern, cancellationToken);
        repoConfig ??= repository is null
            ? new Dictionary<string, string>()
            : await ReadRepoConfigAsync(repository, cancellationToken);
        return Resolve(environment.Variables, gitConfig, repoConfig);
    }

    /// <summary>
    /// The settings that never come from a commit (log level and file, profile), from the environment and git
    /// config, before a repository is looked at: one git process, or the environment alone where git is missing.
    /// </summary>
    public static async Task<AgentSettings> LoadPersonalAsync(ProcessEnvironment environment, bool keepForAgent = false)
    {
        try
        {
            var gitConfig = await new GitCli(environment.WorkingDirectory, environment.Variables)
                .ConfigGetRegexpAsync(GitConfigSource.Effective, GitConfigPattern, CancellationToken.None);
            _earlyRead = keepForAgent ? gitConfig : null;
            return Resolve(environment.Variables, gitConfig, new Dictionary<string, string>());
        }
        catch (GitException)
        {
            return Resolve(environment.Variables, new Dictionary<string, string>(), new Dictionary<string, string>());
        }
    }

    /// <summary>
    /// The same settings, each git config value's source naming its scope and file ("git config lfs-s3.bucket (global
    /// file:/home/u/.gitconfig)"), for <c>env</c>; also outside a repository. One git process more than <see cref="LoadAsync"/>.
    /// </summary>
    public static async Task<AgentSettings> LoadWithOriginsAsync(GitRepository? repository, ProcessEnvironment environment,
        CancellationToken cancellationToken = default)
    {
        var git = repository?.Git ?? new GitCli(environment.WorkingDirectory, environment.Variables);
        var entries = await git.ConfigGetRegexpWithOriginsAsync(@"^lfs-s3\.|^lfs\.storage$", cancellationToken);
        var repoConfig = repository is null ? new Dictionary<string, string>() : await ReadRepoConfigAsync(repository, cancellationToken);
        return Resolve(environment.Variables, entries.ToDictionary(e => e.Key, e => e.Value.Value), repoConfig,
            entries.ToDictionary(e => e.Key, e => e.Value.Origin));
    }

    /// <summary>Reads the committed settings from the work tree, or from HEAD while a clone is still checking out.</summary>
    public static async Task<Dictionary<string, string>> ReadRepoConfigAsync(GitRepository repository, CancellationToken cancellationToken)
    {
        var source = repository.WorkTree is { } wt && File.Exists(Path.Combine(wt, SettingNames.RepoConfigFile))
            ? GitConfigSource.File(Path.Combine(wt, SettingNames.RepoConfigFile))
            : GitConfigSource.Blob("HEAD:" + SettingNames.RepoConfigFile);
        return await repository.Git.ConfigGetRegexpAsync(source, @"^lfs-s3\.", cancellationToken);
    }

    public static AgentSettings Resolve(IReadOnlyDictionary<string, string> environment,
        IReadOnlyDictionary<string, string> gitConfig, IReadOnlyDictionary<string, string> repoConfig,
        IReadOnlyDictionary<string, string>? gitOrigins = null)
    {
        string FromGit(string key) => gitOrigins?.GetValueOrDefault(key) is { } origin ? $"git config {key} ({origin})" : $"git config {key}";

        var values = new Dictionary<string, SettingValue>();
        foreach (var name in SettingNames.All)
        {
            if (environment.TryGetValue(name.EnvVar, out var env) && env.Length > 0)
            {
                values[name.GitKey] = new SettingValue(env, $"environment {name.EnvVar}");
            }
            else if (gitConfig.TryGetValue(name.GitKey, out var cfg))
            {
                values[name.GitKey] = new SettingValue(cfg, FromGit(name.GitKey));
            }
            else if (name.AllowedInRepo && repoConfig.TryGetValue(name.GitKey, out var repo))
            {
                values[name.GitKey] = new SettingValue(repo, $"{SettingNames.RepoConfigFile} {name.GitKey}");
            }
        }

        if (gitConfig.TryGetValue(AgentSettings.LfsStorageKey, out var storage))
        {
            values[AgentSettings.LfsStorageKey] = new SettingValue(storage, FromGit(AgentSettings.LfsStorageKey));
        }

        if (gitConfig.TryGetValue(AgentSettings.ConcurrentTransfersKey, out var processes))
        {
            values[AgentSettings.ConcurrentTransfersKey] = new SettingValue(processes, "git config " + AgentSettings.ConcurrentTransfersKey);
        }

        if (gitConfig.TryGetValue(AgentSettings.PinnedLfsUrlKey, out var pin))
        {
            values[AgentSettings.PinnedLfsUrlKey] = new SettingValue(pin, FromGit(AgentSettings.PinnedLfsUrlKey));
        }

        Fallback(values, environment, SettingNames.Region, "AWS_REGION", "AWS_DEFAULT_REGION");
        Fallback(values, environment, SettingNames.Endpoint, "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL");
        Fallback(values, environment, SettingNames.Profile, "AWS_PROFILE");

        // The AWS SDK's own variables (credentials, container and web identity, IMDS switch) travel with the
        // settings, so the credential chain reads them here and nowhere else.
        var aws = environment.Where(e => e.Key.StartsWith("AWS_", StringComparison.Ordinal) && e.Value.Length > 0)
            .ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        return new AgentSettings(values, aws);
    }

    private static void Fallback(Dictionary<string, SettingValue> values, IReadOnlyDictionary<string, string> environment,
        SettingName name, params string[] variables)
    {
        if (values.ContainsKey(name.GitKey))
        {
            return;
        }

        foreach (var variable in variables)
        {
            if (environment.TryGetValue(variable, out var value) && value.Length > 0)
            {
                values[name.GitKey] = new SettingValue(value, $"environment {variable}");
                return;
            }
        }
    }
}
