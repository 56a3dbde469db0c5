using System.Text;
using LfsS3Agent.Commands.Shared;
using LfsS3Agent.Core;
using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.Mapping;
using LfsS3Agent.Core.Objects;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Commands;

/// <summary><c>git lfs-s3 init</c>: writes the committed repository settings after checking the bucket.</summary>
public sealed class InitCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, TextWriter stdout) : Verb
{
    public override string Name => "init";

    public override string Summary => "set this repository up: bucket, prefix, region, endpoint (once per repository)";

    public override IReadOnlySet<string> ValueOptions { get; } = new HashSet<string> { "bucket", "store", "prefix", "region", "endpoint-url", "endpoint", "profile", "sse", "kms-key", "compress" };

    public override IReadOnlySet<string> Flags { get; } = new HashSet<string> { "path-style", "no-check" };

    public override string Help => """
        usage: git lfs-s3 init --bucket <bucket> [--prefix <prefix>] [--region <region>]
                               [--endpoint-url <url>] [--path-style] [--profile <name>]
                               [--sse AES256|aws:kms [--kms-key <id>]]
                               [--compress "<patterns>|auto"] [--no-check]
               git lfs-s3 init --store file:///path [--prefix <prefix>]

        Sets this repository up to keep its LFS files in S3 under their own paths:
        writes .lfs-s3/config (these settings, committed so every clone uses them, including an endpoint that
        this machine takes from AWS_ENDPOINT_URL(_S3) or its AWS profile) and .lfs-s3/.gitattributes, and sets lfs.locksverify=false
        and lfs.url to a placeholder in .lfsconfig (there is no LFS server to ask for locks, and git-lfs must
        not try `ssh ... git-lfs-transfer` on SSH remotes). First it checks that the bucket exists and
        has versioning enabled, unless --no-check is given. Where each object went (OID -> S3 version) is
        kept on the mapping branch (lfs-s3 on your git remote), written by every push: nothing to commit.
        Unless some git config sets it, lfs.concurrenttransfers = 10 goes into this clone's git config (the agent
        does the same in every clone it works in): 10 objects in flight instead of git-lfs's 8.

          --bucket      S3 bucket (must have versioning enabled)
          --store       file:///path: a local or shared folder instead of S3, same layout, with version history
          --prefix      key prefix: files go to <prefix>/<path in the repository> (default: the bucket root)
          --region      AWS region of the bucket (default: AWS_REGION, the profile's, us-east-1)
          --endpoint-url  URL of an S3-compatible server with versioning (MinIO, Ceph radosgw, ...; not Cloudflare
                        R2), spelled as the AWS CLI spells it; --endpoint is the same
          --path-style  use path-style URLs (the default when --endpoint-url is given)
          --profile     the AWS profile whose credentials this clone uses, as the AWS CLI's --profile: used for the
                        check and kept in this clone's git config (lfs-s3.profile; personal, never committed)
          --sse         encrypt every object S3 stores for this repository: AES256 (S3-managed keys) or aws:kms
          --kms-key     the KMS key (id, ARN or alias) for aws:kms; default the account's aws/s3 key. Bucket Keys
                        are turned on to cut KMS requests. The check writes and removes a probe object with it.
          --compress    store these files gzip-compressed, e.g. "*.csv *.json *.txt", or auto (any file whose sample
                        shrinks by lfs-s3.compressminsaving, default 10%), or both. S3 serves them with
                        Content-Encoding: gzip, so browsers, CDNs and curl --compressed get the original; clones
                        inflate and verify them. Not for folder stores, which keep files as they are.
        """;

    private const string Attributes = """
        # git-lfs-s3's own files: never LFS pointers (the mapping lives on its own branch, not here)
        * !filter !diff !merge text eol=lf

        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        var repository = await Workspace.RepositoryAsync(environment, cancellationToken);
        var workTree = repository.WorkTree ?? throw new CommandException("init needs a work tree, not a bare repository");
        if (string.IsNullOrWhiteSpace(args.Value("bucket")) && string.IsNullOrWhiteSpace(args.Value("store")))
        {
            throw new UsageException("--bucket (or --store file:///path) is required");
        }

        var committed = new Dictionary<string, string>(StringComparer.Ordinal);
        Add(committed, SettingNames.Store, args.Value("store"));
        Add(committed, SettingNames.Bucket, args.Value("bucket"));
        Add(committed, SettingNames.Prefix, args.Value("prefix")?.Trim('/'));
        Add(committed, SettingNames.Region, args.Value("region"));
        Add(committed, SettingNames.Endpoint, args.Value("endpoint-url") ?? args.Value("endpoint"));
        Add(committed, SettingNames.PathStyle, args.Has("path-style") ? "true" : null);
        Add(committed, SettingNames.Sse, args.Value("sse") ?? (args.Has("kms-key") ? "aws:kms" : null));
        Add(committed, SettingNames.SseKmsKeyId, args.Value("kms-key"));
        Add(committed, SettingNames.Compress, args.Value("compress"));
        CheckFlags(committed);
        // The repository's id (its marker in the store tells it from others): kept when init runs again, taken from the
        // mapping branch for a repository set up by an older release, else new.
        var mapping = new MappingBranch(repository, AgentSettings.DefaultMappingBranch);
        var repositoryId = await RepositoryIdentity.CommittedAsync(repository, cancellationToken)
            ?? await RepositoryIdentity.ResolveAsync(repository, mapping, cancellationToken) ?? RepositoryIdentity.NewId();

        // An endpoint this user gets from the environment or an AWS profile is committed too: teammates have neither.
        var profile = string.IsNullOrWhiteSpace(args.Value("profile")) ? null : args.Value("profile");
        var resolved = WithProfile(await Workspace.StoreSettingsAsync(repository, environment, committed, cancellationToken), profile);
        var implied = storeFactory.Implied(resolved).ToDictionary();
        if (resolved.Endpoint is { } fromEnvironment && !committed.ContainsKey(SettingNames.Endpoint.GitKey)
            && resolved.Find(SettingNames.Endpoint)!.Source.StartsWith("environment AWS_", StringComparison.Ordinal))
        {
            implied[SettingNames.Endpoint.GitKey] = fromEnvironment;
        }

        foreach (var (key, value) in implied.Where(i => !committed.ContainsKey(i.Key)))
        {
            committed[key] = value;
            await stdout.WriteLineAsync($"committing {key} = {value}, which this machine takes from its environment or AWS profile, so that teammates reach the same store");
        }

        if (!args.Has("no-check"))
        {
            var settings = WithProfile(await Workspace.StoreSettingsAsync(repository, environment, committed, cancellationToken), profile);
            var store = storeFactory.Create(settings);
            var state = await store.GetVersioningAsync(cancellationToken);
            if (state != VersioningState.Enabled)
            {
                throw new CommandException(store.VersioningOffMessage(state));
            }

            await stdout.WriteLineAsync($"{settings.StoreDescription} is reachable and keeps versions");
            await MarkAsync(store, new KeyLayout(settings.Prefix), RepositoryMarkers.Fingerprint(repositoryId), cancellationToken);
            if (settings.Sse is { } sse)
            {
                await ProbeEncryptionAsync(store, settings, cancellationToken);
                await stdout.WriteLineAsync($"a probe object was stored with {sse}{(settings.SseKmsKeyId is { } id ? " key " + id : "")} and removed");
            }
        }

        var dir = Path.Combine(workTree, SettingNames.RepoDir);
        Directory.CreateDirectory(dir);
        var configPath = Path.Combine(workTree, SettingNames.RepoConfigFile);
        File.Delete(configPath);
        foreach (var (key, value) in committed.Append(new(RepositoryIdentity.ConfigKey, repositoryId)))
        {
            await repository.Git.ConfigSetAsync(GitConfigSource.File(configPath), key, value, cancellationToken);
        }

        await File.WriteAllTextAsync(Path.Combine(dir, ".gitattributes"), Attributes, new UTF8Encoding(false), cancellationToken);
        // Whoever runs init chose these: this clone trusts them (teammates' clones trust them on first use).
        TrustedStorage.Trust(repository, await SettingsResolver.LoadAsync(repository, environment, cancellationToken: cancellationToken));
        if (profile is not null)
        {
            await repository.Git.ConfigSetAsync(GitConfigSource.Local, SettingNames.Profile.GitKey, profile, cancellationToken);
            await stdout.WriteLineAsync($"this clone uses AWS profile {profile} ({SettingNames.Profile.GitKey} in .git/config)");
        }

        var lfsConfig = GitConfigSource.File(Path.Combine(workTree, ".lfsconfig"));
        await repository.Git.ConfigSetAsync(lfsConfig, "lfs.locksverify", "false", cancellationToken);
        await repository.Git.ConfigSetAsync(lfsConfig, "lfs.url", AgentWiring.PlaceholderLfsUrl, cancellationToken);
        await LfsUrlPin.PinAsync(repository, cancellationToken);

        await TransferProcesses.WriteAsync(repository.Git, await SettingsResolver.LoadAsync(repository, environment, cancellationToken: cancellationToken),
            cancellationToken);
        var agent = await AgentWiring.AgentForAsync(repository.Git, AgentWiring.PlaceholderLfsUrl, cancellationToken);
        await stdout.WriteLineAsync($"wrote {SettingNames.RepoDir}/ and .lfsconfig; commit them: git add {SettingNames.RepoDir} .lfsconfig && git commit -m \"Store LFS files in S3\"");
        if (agent != AgentWiring.AgentName)
        {
            await stdout.WriteLineAsync("note: git-lfs is not set up to use git-lfs-s3 on this machine yet: run `git lfs-s3 install`");
        }

        return 0;
    }

    /// <summary>
    /// Leaves the repository's marker at its prefix, and warns about other repositories at, around or inside it (prune
    /// would refuse to run, or leave their part alone) and about files there that no repository marked.
    /// </summary>
    private async Task MarkAsync(IObjectStore store, KeyLayout layout, string fingerprint, CancellationToken cancellationToken)
    {
        var markers = new RepositoryMarkers(store);
        var (survey, listed) = await markers.SurveyListingAsync(layout.Prefix, fingerprint, cancellationToken);
        foreach (var foreign in survey.Foreign)
        {
            await stdout.WriteLineAsync($"warning: {markers.Explain([foreign], layout.Prefix)}. "
                + (foreign.Place == MarkerPlace.Nested ? "prune here leaves everything under it alone"
                    : "prune refuses to run in either while they share keys: choose another --prefix (one of its own, beside the other repository's)"));
        }

        var nested = survey.Foreign.Where(f => f.Place == MarkerPlace.Nested).Select(f => f.Prefix).ToList();
        var unmarked = listed.Count(v => layout.PathOf(v.Key) is not null && !RepositoryMarkers.IsUnder(v.Key, nested));
        if (!survey.OwnMarked && unmarked > 0)
        {
            await stdout.WriteLineAsync($"warning: {store.Describe(layout.Prefix.Length == 0 ? "" : layout.Prefix + "/")} already holds {unmarked} file(s) "
                + "that no repository marked as its own: if another repository keeps them there, give this one another --prefix, "
                + "since prune deletes what no commit of this repository needs");
        }

        if (!survey.OwnMarked)
        {
            await markers.WriteAsync(layout.Prefix, fingerprint, cancellationToken);
        }
    }

    /// <summary>Writes and removes a small object with the chosen encryption, so a wrong key fails here and not in a push.</summary>
    private static async Task ProbeEncryptionAsync(IObjectStore store, AgentSettings settings, CancellationToken cancellationToken)
    {
        var key = new KeyLayout(settings.Prefix).ProbeKey("init-" + Guid.NewGuid().ToString("N")[..12]);
        var (version, _) = await StoreProbe.WriteAsync(store, key, "git-lfs-s3 init probe; safe to delete\n", cancellationToken);
        await store.DeleteVersionAsync(key, version, cancellationToken);
    }

    /// <summary>The flags' own values, checked before anything else is read, so a bad one is blamed on its flag.</summary>
    private static void CheckFlags(Dictionary<string, string> committed)
    {
        var flags = new Dictionary<string, string>(StringComparer.Ordinal) { [SettingNames.Store.GitKey] = "--store", [SettingNames.Sse.GitKey] = "--sse" };
        var fromFlags = new AgentSettings(committed.Where(c => flags.ContainsKey(c.Key))
            .ToDictionary(c => c.Key, c => new SettingValue(c.Value, $"the command line, init {flags[c.Key]}"), StringComparer.Ordinal));
        _ = fromFlags.FolderStore;
        _ = fromFlags.Sse;
    }

    private static AgentSettings WithProfile(AgentSettings settings, string? profile) =>
        profile is null ? settings : settings.With(SettingNames.Profile, profile, "init --profile");

    private static void Add(Dictionary<string, string> values, SettingName name, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            values[name.GitKey] = value;
        }
    }
}
