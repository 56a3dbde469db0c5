namespace LfsS3Agent.Core.Storage;

/// <summary>Doctor's checks of one kind of store, made by that store's factory (the store itself only moves bytes).</summary>
public interface IStoreDiagnostics
{
    /// <summary>What to check before the bucket is asked for (credentials, clock, the folder), run in this order.</summary>
    IReadOnlyList<StoreCheck> Checks { get; }

    /// <summary>What to check of the bucket itself once it is known to exist and keep versions (lifecycle, encryption).</summary>
    IReadOnlyList<StoreCheck> BucketChecks { get; }
}

/// <summary>Outcome of one doctor check.</summary>
public enum CheckStatus
{
    Ok,
    Warn,
    Fail,
}

/// <summary>One line of doctor's report; <paramref name="Stop"/> when later checks cannot run after this failure.</summary>
public sealed record CheckResult(CheckStatus Status, string Detail, bool Stop = false)
{
    public static CheckResult Ok(string detail) => new(CheckStatus.Ok, detail);

    public static CheckResult Warn(string detail) => new(CheckStatus.Warn, detail);

    public static CheckResult Fail(string detail, bool stop = false) => new(CheckStatus.Fail, detail, stop);
}

/// <summary>A named doctor check that a store contributes.</summary>
public sealed record StoreCheck(string Name, Func<CancellationToken, Task<CheckResult>> RunAsync);

/// <summary>A small probe object that doctor and init write to prove a store takes writes (and removes again).</summary>
public static class StoreProbe
{
    /// <summary>Writes <paramref name="text"/> at <paramref name="key"/> with its OID; returns the new version id and the OID.</summary>
    public static async Task<(string VersionId, string Oid)> WriteAsync(IObjectStore store, string key, string text, CancellationToken cancellationToken)
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, text, cancellationToken);
            var oid = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(file, cancellationToken)));
            return (await store.UploadAsync(key, file, new FileInfo(file).Length, oid, NoProgress.Instance, cancellationToken), oid);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
