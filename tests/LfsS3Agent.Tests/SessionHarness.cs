using System.Text;
using System.Text.Json;
using LfsS3Agent.Core.Protocol;
using LfsS3Agent.Core.Transfer;
using Microsoft.Extensions.Logging.Abstractions;

namespace LfsS3Agent.Tests;

/// <summary>Runs a whole session over in-memory streams and returns every stdout line, parsed.</summary>
internal static class SessionHarness
{
    public const string Oid1 = "1111111111111111111111111111111111111111111111111111111111111111";
    public const string Oid2 = "2222222222222222222222222222222222222222222222222222222222222222";

    public static async Task<List<JsonElement>> RunAsync(ITransferHandler handler, params string[] lines)
    {
        var input = new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n"));
        var output = new MemoryStream();
        var session = new TransferSession(input, new ProtocolWriter(output), (_, _) => handler, NullLogger.Instance);
        await session.RunAsync(CancellationToken.None);
        var text = Encoding.UTF8.GetString(output.ToArray());
        Assert.True(text.Length == 0 || text.EndsWith('\n'), "stdout must end with a newline");
        Assert.DoesNotContain('\r', text);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
    }

    public static string Init(string operation = "upload") =>
        $$"""{"event":"init","operation":"{{operation}}","remote":"origin","concurrent":true,"concurrenttransfers":8}""";

    public static string Upload(string oid, long size, string path = "/tmp/obj") =>
        $$"""{"event":"upload","oid":"{{oid}}","size":{{size}},"path":"{{path}}","action":null}""";

    public static string Download(string oid, long size) =>
        $$"""{"event":"download","oid":"{{oid}}","size":{{size}},"action":null}""";

    public const string Terminate = """{"event":"terminate"}""";

    public static string? Str(this JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public static int? ErrorCode(this JsonElement e) =>
        e.TryGetProperty("error", out var err) ? err.GetProperty("code").GetInt32() : null;

    public static string? ErrorMessage(this JsonElement e) =>
        e.TryGetProperty("error", out var err) ? err.GetProperty("message").GetString() : null;
}

/// <summary>A hand-written handler: reports progress in chunks, or throws what it is told to.</summary>
internal sealed class FakeHandler : ITransferHandler
{
    public List<TransferItem> Seen { get; } = [];

    public Func<TransferItem, Exception?> Fail { get; init; } = _ => null;

    public bool Disposed { get; private set; }

    /// <summary>What the session asked of the handler at its end, in order ("end", "dispose").</summary>
    public List<string> Calls { get; } = [];

    public Task<string?> TransferAsync(TransferItem item, IProgressReporter progress, CancellationToken cancellationToken)
    {
        Seen.Add(item);
        if (Fail(item) is { } ex)
        {
            throw ex;
        }

        for (long done = 0; done < item.Size;)
        {
            done = Math.Min(item.Size, done + 300_000);
            progress.Report(done);
        }

        return Task.FromResult(item.Direction == TransferDirection.Download ? $"/tmp/lfs/tmp/{item.Oid}-x" : null);
    }

    public Task EndAsync(CancellationToken cancellationToken)
    {
        Calls.Add("end");
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Calls.Add("dispose");
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}
