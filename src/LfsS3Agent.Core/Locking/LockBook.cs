using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LfsS3Agent.Core.Git;
using LfsS3Agent.Core.Objects;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Core.Locking;

/// <summary>The outcome of a lock request: held by this user (now or already), or by someone else.</summary>
public sealed record LockOutcome(bool Mine, bool Already, LockRecord? Holder);

/// <summary>
/// File locks kept in the store itself, under the repository's reserved <c>&lt;prefix&gt;/.git/lfs-s3/locks/</c>
/// (one object per path, named by the path's SHA-256), cooperative like git-lfs's: anyone who can write to the
/// bucket can break one, and a break is recorded.
/// </summary>
public sealed class LockBook(IObjectStore store, KeyLayout layout, IGit git)
{
    private LockRecord? _me;

    private ILockRecords Locks => store.Require<ILockRecords>("keep file locks");

    public string LockKey(string path) => layout.KeyFor($"{KeyLayout.LocksFolder}/{Hash(path)}");

    private string Folder => layout.KeyFor(KeyLayout.LocksFolder + "/");

    private static string Hash(string path) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(path)));

    /// <summary>This user as git knows them (user.name, user.email), the same in every process of this clone.</summary>
    public async Task<LockRecord> MeAsync(string path, CancellationToken cancellationToken)
    {
        if (_me is null)
        {
            var name = await git.ConfigGetAsync(GitConfigSource.Effective, "user.name", cancellationToken) ?? "";
            var email = await git.ConfigGetAsync(GitConfigSource.Effective, "user.email", cancellationToken) ?? "";
            if (name.Length == 0 && email.Length == 0)
            {
                throw new LfsS3Exception(ErrorCodes.NotConfigured, "locks are held in your git identity: set it with `git config --global user.email you@example.com` (and user.name)");
            }

            _me = new LockRecord("", name, email, Environment.MachineName, DateTimeOffset.UtcNow, "");
        }

        return _me with { Path = path, Since = DateTimeOffset.UtcNow, Id = Guid.NewGuid().ToString("N") };
    }

    public static bool SameOwner(LockRecord a, LockRecord b) => a.Email == b.Email && a.Name == b.Name;

    public async Task<LockOutcome> LockAsync(string path, CancellationToken cancellationToken)
    {
        var me = await MeAsync(path, cancellationToken);
        if (await HolderAsync(path, cancellationToken) is { } current)
        {
            return new LockOutcome(SameOwner(current.Record, me), Already: true, current.Record);
        }

        var record = Serialize(me);
        var held = await Locks.AcquireLockAsync(LockKey(path), record, cancellationToken);
        return held.Record.AsSpan().SequenceEqual(record) ? new LockOutcome(true, false, me)
            : new LockOutcome(false, false, Parse(held.Record, path));
    }

    /// <summary>The current holding of a path's lock with its record, or null when nobody holds it.</summary>
    public async Task<(HeldLock Held, LockRecord Record)?> HolderAsync(string path, CancellationToken cancellationToken) =>
        await Locks.ReadLockAsync(LockKey(path), cancellationToken) is { } held ? (held, Parse(held.Record, path)) : null;

    /// <summary>Releases the path's lock: this user's, or anyone's with <paramref name="force"/> (recorded). Returns the released holder.</summary>
    public async Task<LockRecord?> UnlockAsync(string path, bool force, CancellationToken cancellationToken)
    {
        var me = await MeAsync(path, cancellationToken);
        if (await HolderAsync(path, cancellationToken) is not { } current)
        {
            return null;
        }

        if (!SameOwner(current.Record, me))
        {
            if (!force)
            {
                throw new LfsS3Exception(ErrorCodes.Locked, $"{path} is locked by {Describe(current.Record)}, not by you: ask them, or break it with `git lfs-s3 unlock --force`");
            }

            var broken = new BrokenLockRecord(current.Record, $"{me.Name} <{me.Email}>", me.Host, DateTimeOffset.UtcNow);
            await Locks.PutBytesAsync(layout.KeyFor($"{KeyLayout.LocksFolder}-broken/{Hash(path)}"),
                JsonSerializer.SerializeToUtf8Bytes(broken, LockJsonContext.Default.BrokenLockRecord), cancellationToken);
        }

        await Locks.ReleaseLockAsync(current.Held, cancellationToken);
        return current.Record;
    }

    public async Task<List<LockRecord>> ListAsync(CancellationToken cancellationToken) =>
        (await Locks.ListLocksAsync(Folder, cancellationToken)).Select(h => Parse(h.Record, "?")).OrderBy(r => r.Path, StringComparer.Ordinal).ToList();

    /// <summary>"ana@studio (since 2026-11-20 14:02)": how messages name a holder.</summary>
    public static string Describe(LockRecord record) => $"{record.Owner} {Since(record)}";

    /// <summary>"(since 2026-11-20 14:02 UTC)".</summary>
    public static string Since(LockRecord record) =>
        $"(since {record.Since.ToUniversalTime().ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC)";

    private static byte[] Serialize(LockRecord record) => JsonSerializer.SerializeToUtf8Bytes(record, LockJsonContext.Default.LockRecord);

    /// <summary>A record that cannot be read (being written, or not ours) still holds the lock: shown as unknown.</summary>
    private static LockRecord Parse(byte[] record, string path)
    {
        try
        {
            return JsonSerializer.Deserialize(record, LockJsonContext.Default.LockRecord) ?? Unknown(path);
        }
        catch (JsonException)
        {
            return Unknown(path);
        }
    }

    private static LockRecord Unknown(string path) => new(path, "someone", "", "?", DateTimeOffset.UtcNow, "");
}
