using System.Text.Json.Serialization;

namespace LfsS3Agent.Core.Locking;

/// <summary>What a lock object holds: the path, who holds it (git user.name and user.email), where and since when.</summary>
public sealed record LockRecord(string Path, string Name, string Email, string Host, DateTimeOffset Since, string Id)
{
    /// <summary>How the owner is shown: the e-mail address, or the name when there is none.</summary>
    [JsonIgnore]
    public string Owner => Email.Length > 0 ? Email : Name;
}

/// <summary>Who broke whose lock and when (unlock --force), kept under the locks area.</summary>
public sealed record BrokenLockRecord(LockRecord Lock, string BrokenBy, string Host, DateTimeOffset At);

/// <summary>Source-generated JSON for lock records (native AOT).</summary>
[JsonSerializable(typeof(LockRecord))]
[JsonSerializable(typeof(BrokenLockRecord))]
[JsonSerializable(typeof(List<LockRecord>))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
public sealed partial class LockJsonContext : JsonSerializerContext;
