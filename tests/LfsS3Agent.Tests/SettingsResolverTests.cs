using LfsS3Agent.Core.Settings;

namespace LfsS3Agent.Tests;

public sealed class SettingsResolverTests
{
    private static readonly Dictionary<string, string> None = [];

    [Fact]
    public void Resolve_SameKeyEverywhere_EnvironmentThenGitConfigThenRepoFile()
    {
        var env = new Dictionary<string, string> { ["LFS_S3_BUCKET"] = "from-env" };
        var git = new Dictionary<string, string> { ["lfs-s3.bucket"] = "from-git", ["lfs-s3.prefix"] = "git-prefix" };
        var repo = new Dictionary<string, string> { ["lfs-s3.bucket"] = "from-repo", ["lfs-s3.prefix"] = "repo-prefix", ["lfs-s3.region"] = "eu-west-1" };

        var settings = SettingsResolver.Resolve(env, git, repo);

        Assert.Equal("from-env", settings.Bucket);
        Assert.Equal("git-prefix", settings.Prefix);
        Assert.Equal("eu-west-1", settings.Region);
        Assert.Equal("environment LFS_S3_BUCKET", settings.Find(SettingNames.Bucket)!.Source);
    }

    [Fact]
    public void Resolve_RepoFileRegion_WinsOverAwsRegionVariable()
    {
        var env = new Dictionary<string, string> { ["AWS_REGION"] = "us-west-2", ["AWS_ENDPOINT_URL_S3"] = "http://s3.local" };
        var repo = new Dictionary<string, string> { ["lfs-s3.region"] = "eu-central-1" };

        var settings = SettingsResolver.Resolve(env, None, repo);

        Assert.Equal("eu-central-1", settings.Region);
        Assert.Equal("http://s3.local", settings.Endpoint);
    }

    [Fact]
    public void Resolve_PersonalSettingInRepoFile_IsIgnored()
    {
        var repo = new Dictionary<string, string> { ["lfs-s3.logfile"] = "/tmp/everyone.log", ["lfs-s3.profile"] = "admin" };

        var settings = SettingsResolver.Resolve(None, None, repo);

        Assert.Null(settings.LogFile);
        Assert.Null(settings.Profile);
    }

    [Fact]
    public void Defaults_NothingSet_WorkAgainstAwsAndRadosgw()
    {
        var settings = SettingsResolver.Resolve(None, None, None);

        Assert.Equal("when_required", settings.Checksum);
        Assert.Equal("", settings.Prefix);
        Assert.Equal(AgentSettings.DefaultMultipartThreshold, settings.MultipartThreshold);
        var ex = Assert.Throws<LfsS3Exception>(() => settings.RequireBucket());
        Assert.Contains("git lfs-s3 init", ex.Message);
    }

    [Theory]
    [InlineData(null, null, 8)]
    [InlineData("3", null, 3)]
    [InlineData(null, "16", 16)]
    [InlineData("500", null, 64)]
    [InlineData("0", null, 1)]
    public void Parallelism_EnvironmentThenRepoFile_DefaultEightClamped(string? env, string? repo, int expected)
    {
        var settings = SettingsResolver.Resolve(
            env is null ? None : new Dictionary<string, string> { ["LFS_S3_PARALLELISM"] = env }, None,
            repo is null ? None : new Dictionary<string, string> { ["lfs-s3.parallelism"] = repo });

        Assert.Equal(expected, settings.Parallelism);
    }

    [Fact]
    public void InvalidValue_NamesSettingAndSource()
    {
        var settings = SettingsResolver.Resolve(new Dictionary<string, string> { ["LFS_S3_PART_SIZE"] = "lots" }, None, None);

        var ex = Assert.Throws<LfsS3Exception>(() => settings.PartSize);
        Assert.Contains("lfs-s3.partsize", ex.Message);
        Assert.Contains("LFS_S3_PART_SIZE", ex.Message);
    }

    [Theory]
    [InlineData("1048576", 1048576L)]
    [InlineData("64k", 65536L)]
    [InlineData("8MiB", 8388608L)]
    [InlineData("2G", 2147483648L)]
    [InlineData("12 mb", 12582912L)]
    public void ParseSize_Units_AreBinary(string text, long expected) => Assert.Equal(expected, AgentSettings.ParseSize(text));

    [Fact]
    public void ConfigList_GitOutput_LastValueWinsAndKeysLowercased()
    {
        var parsed = Core.Git.GitOutput.ConfigList("lfs-s3.Bucket\none\0lfs-s3.bucket\ntwo\0lfs-s3.pathstyle\0");

        Assert.Equal("two", parsed["lfs-s3.bucket"]);
        Assert.Equal("true", parsed["lfs-s3.pathstyle"]);
    }

    [Fact]
    public async Task LoadAsync_RealRepository_ReadsCommittedFileFromHeadWhenWorkTreeLacksIt()
    {
        using var repo = new TempGitRepo();
        repo.WriteFile(".lfs-s3/config", "[lfs-s3]\n\tbucket = committed-bucket\n\tprefix = team/\n");
        repo.Commit("config");
        File.Delete(Path.Combine(repo.Root, ".lfs-s3/config"));
        var repository = await Core.Git.GitRepository.DiscoverAsync(repo.Cli);

        var settings = await SettingsResolver.LoadAsync(repository, new ProcessEnvironment(repo.Root, repo.Environment));

        Assert.Equal("committed-bucket", settings.Bucket);
        Assert.Equal("team", settings.Prefix);
    }

    [Fact]
    public async Task LoadAsync_InjectedEnvironment_GitReadsTheInjectedGlobalConfigNotTheDevelopers()
    {
        using var repo = new TempGitRepo();
        var home = Path.Combine(repo.Root, "home");
        Directory.CreateDirectory(home);
        File.WriteAllText(Path.Combine(home, "config"), "[lfs-s3]\n\tbucket = injected-bucket\n\tlogfile = /injected.log\n");
        var variables = new Dictionary<string, string>(repo.Environment) { ["HOME"] = home, ["GIT_CONFIG_GLOBAL"] = Path.Combine(home, "config") };

        var settings = await SettingsResolver.LoadAsync(null, new ProcessEnvironment(repo.Root, variables));
        var without = await SettingsResolver.LoadAsync(null, new ProcessEnvironment(repo.Root, repo.Environment));

        Assert.Equal("injected-bucket", settings.Bucket);
        Assert.Equal("git config lfs-s3.bucket", settings.Find(SettingNames.Bucket)!.Source);
        Assert.Null(without.Bucket);
        Assert.Null(without.Find(SettingNames.LogFile));
    }
}
