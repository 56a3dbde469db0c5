using LfsS3Agent.Commands.Shared;
using LfsS3Agent.Core;
using LfsS3Agent.Core.Locking;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Commands;

/// <summary>Shared by lock and unlock: one path argument, and the work-tree file's write permission as git-lfs sets it.</summary>
public abstract class LockVerb(IObjectStoreFactory storeFactory, ProcessEnvironment environment) : WorkspaceVerb(storeFactory, environment)
{
    public override bool TakesArguments => true;

    protected string OnePath(Workspace workspace, CommandLine args) => args.Arguments.Count == 1
        ? RepositoryPath(workspace, args.Arguments[0])
        : throw new UsageException("give exactly one path");

    /// <summary>git-lfs checks lockable files out read-only; holding the lock makes this copy writable.</summary>
    protected static async Task SetWritableAsync(Workspace workspace, string path, bool writable, CancellationToken cancellationToken)
    {
        if (OperatingSystem.IsWindows() || workspace.Repository.WorkTree is not { } root
            || (await workspace.Lockable.FilterAsync([path], cancellationToken)).Count == 0)
        {
            return;
        }

        var file = Path.Combine(root, path);
        if (File.Exists(file))
        {
            const UnixFileMode write = UnixFileMode.UserWrite | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
            var mode = File.GetUnixFileMode(file);
            File.SetUnixFileMode(file, writable ? mode | UnixFileMode.UserWrite : mode & ~write);
        }
    }
}

/// <summary><c>git lfs-s3 lock</c>.</summary>
public sealed class LockCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, TextWriter stdout)
    : LockVerb(storeFactory, environment)
{
    public override string Name => "lock";

    public override string Summary => "lock a file so that only you can push changes to it (cooperative, kept in the bucket)";

    public override string Help => """
        usage: git lfs-s3 lock <path>

        Locks the file for you (git user.email, user.name), in the bucket under <prefix>/.git/lfs-s3/locks/, and
        makes your copy writable if the file is lockable (git lfs track --lockable "*.psd": git-lfs checks such
        files out read-only). While you hold it, a push by anyone else that changes a lockable file at that path
        is refused with [423]. Fails, naming the holder, when someone else holds it. Locks are cooperative:
        anyone who can write to the bucket can break one with `git lfs-s3 unlock --force` (which is recorded).
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        using var workspace = await OpenAsync(cancellationToken);
        var path = OnePath(workspace, args);
        if (path.Split('/').Any(part => part.Equals(".git", StringComparison.OrdinalIgnoreCase)))
        {
            throw new UsageException($"\"{args.Arguments[0]}\" is inside git's own folder (.git), which git never tracks: lock a file of the work tree");
        }

        var outcome = await workspace.Locks.LockAsync(path, cancellationToken);
        if (!outcome.Mine)
        {
            throw new CommandException($"{path} is locked by {LockBook.Describe(outcome.Holder!)}; ask them, or git lfs-s3 unlock --force");
        }

        await SetWritableAsync(workspace, path, writable: true, cancellationToken);
        await stdout.WriteLineAsync(outcome.Already ? $"{path} is already locked by you {LockBook.Since(outcome.Holder!)}"
            : $"locked {path}");
        return 0;
    }
}

/// <summary><c>git lfs-s3 unlock</c>.</summary>
public sealed class UnlockCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, TextWriter stdout)
    : LockVerb(storeFactory, environment)
{
    public override string Name => "unlock";

    public override string Summary => "release a lock you hold (--force: break someone else's, recorded)";

    public override IReadOnlySet<string> Flags { get; } = new HashSet<string> { "force" };

    public override string Help => """
        usage: git lfs-s3 unlock <path> [--force]

        Releases your lock on the file and makes your copy read-only again if it is lockable. --force breaks
        someone else's lock; who broke it, from where and when is written next to the locks
        (<prefix>/.git/lfs-s3/locks-broken/), and printed.
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        using var workspace = await OpenAsync(cancellationToken);
        var path = OnePath(workspace, args);
        var released = await workspace.Locks.UnlockAsync(path, args.Has("force"), cancellationToken)
            ?? throw new CommandException($"{path} is not locked");
        await SetWritableAsync(workspace, path, writable: false, cancellationToken);
        var me = await workspace.Locks.MeAsync(path, cancellationToken);
        await stdout.WriteLineAsync(LockBook.SameOwner(released, me) ? $"unlocked {path}"
            : $"broke the lock of {LockBook.Describe(released)} on {path} (recorded)");
        return 0;
    }
}

/// <summary><c>git lfs-s3 locks</c>.</summary>
public sealed class LocksCommand(IObjectStoreFactory storeFactory, ProcessEnvironment environment, TextWriter stdout)
    : WorkspaceVerb(storeFactory, environment)
{
    public override string Name => "locks";

    public override string Summary => "list the locks of this repository: path, owner, since";

    public override IReadOnlySet<string> ValueOptions { get; } = new HashSet<string> { "path" };

    public override IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json" };

    public override string Help => """
        usage: git lfs-s3 locks [--path <path>] [--json]

        Lists every lock under the repository's prefix: path, owner, host and since when (--path: only that
        file's). --json prints them as `git lfs locks --json` does (an array of {"id", "path", "owner": {"name"},
        "locked_at"}), with the owner's e-mail and the host beside, so scripts written for git-lfs read them.
        """;

    public override async Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken)
    {
        using var workspace = await OpenAsync(cancellationToken);
        var locks = await workspace.Locks.ListAsync(cancellationToken);
        if (args.Value("path") is { } typed)
        {
            var path = RepositoryPath(workspace, typed);
            locks = locks.Where(l => l.Path == path).ToList();
        }

        if (args.Has("json"))
        {
            await ReportJson.WriteAsync(stdout, locks.Select(l => new LockJson(l.Id, l.Path, new LockOwnerJson(l.Name, l.Email), l.Since, l.Host)).ToList(),
                ReportJsonContext.Default.ListLockJson);
            return 0;
        }

        foreach (var l in locks)
        {
            await stdout.WriteLineAsync($"{l.Path}\t{l.Owner}\t{l.Host}\t{LockBook.Describe(l)[l.Owner.Length..].Trim()}");
        }

        return 0;
    }
}
