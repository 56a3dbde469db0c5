using System.Text;
using System.Text.Json;
using LfsS3Agent.Commands;
using LfsS3Agent.Core.Locking;
using LfsS3Agent.Core.Protocol;
using LfsS3Agent.Core.Publishing;

namespace LfsS3Agent.Tests;

/// <summary>Pins the exact JSON of every message and file the tool writes: names come from a naming policy, so a changed policy must fail here.</summary>
public sealed class JsonContractTests
{
    private const string Oid = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393";
    private static readonly DateTimeOffset When = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static string Written(Action<ProtocolWriter> write)
    {
        var output = new MemoryStream();
        write(new ProtocolWriter(output));
        return Encoding.UTF8.GetString(output.ToArray());
    }

    [Fact]
    public void ProtocolWriter_EveryMessage_ExactWireBytes()
    {
        Assert.Equal("{}\n", Written(w => w.WriteInitOk()));
        Assert.Equal("""{"error":{"code":400,"message":"bad"}}""" + "\n", Written(w => w.WriteError(new ProtocolError(400, "bad"))));
        Assert.Equal($$"""{"oid":"{{Oid}}","bytesSoFar":10,"bytesSinceLast":4,"event":"progress"}""" + "\n",
            Written(w => w.WriteProgress(new ProgressMessage(Oid, 10, 4))));
        Assert.Equal($$"""{"oid":"{{Oid}}","path":"/tmp/x","event":"complete"}""" + "\n",
            Written(w => w.WriteComplete(new CompleteMessage(Oid, "/tmp/x"))));
        Assert.Equal($$"""{"oid":"{{Oid}}","error":{"code":404,"message":"missing"},"event":"complete"}""" + "\n",
            Written(w => w.WriteComplete(new CompleteMessage(Oid, Error: new ProtocolError(404, "missing")))));
    }

    [Fact]
    public void TransferRequest_GitLfsFieldNames_AllRead()
    {
        var request = JsonSerializer.Deserialize($$$"""
            {"event":"upload","operation":"upload","remote":"origin","concurrent":true,"concurrenttransfers":8,
             "oid":"{{{Oid}}}","size":12,"path":"/tmp/f","action":{"href":"x"}}
            """, ProtocolJsonContext.Default.TransferRequest)!;

        Assert.Equal(("upload", "upload", "origin", true, 8), (request.Event, request.Operation, request.Remote, request.Concurrent, request.ConcurrentTransfers));
        Assert.Equal((Oid, 12L, "/tmp/f"), (request.Oid, request.Size, request.Path));
        Assert.Equal("x", request.Action!.Value.GetProperty("href").GetString());
    }

    [Fact]
    public void LockRecords_ExactJson()
    {
        var record = new LockRecord("a/b.psd", "Ann", "ann@example.com", "box", When, "id1");

        Assert.Equal("""
            {
              "path": "a/b.psd",
              "name": "Ann",
              "email": "ann@example.com",
              "host": "box",
              "since": "2026-01-02T03:04:05+00:00",
              "id": "id1"
            }
            """, JsonSerializer.Serialize(record, LockJsonContext.Default.LockRecord));
        Assert.Equal("""
            {
              "lock": {
                "path": "a/b.psd",
                "name": "Ann",
                "email": "ann@example.com",
                "host": "box",
                "since": "2026-01-02T03:04:05+00:00",
                "id": "id1"
              },
              "brokenBy": "bob@example.com",
              "host": "pc",
              "at": "2026-01-02T03:04:05+00:00"
            }
            """, JsonSerializer.Serialize(new BrokenLockRecord(record, "bob@example.com", "pc", When), LockJsonContext.Default.BrokenLockRecord));
    }

    [Fact]
    public void PublishManifest_ExactJson()
    {
        var manifest = new PublishManifest("v1", "abc", When, [new PublishedFile("a.txt", Oid, 3)]);

        Assert.Equal($$"""
            {
              "revision": "v1",
              "commit": "abc",
              "published": "2026-01-02T03:04:05+00:00",
              "files": [
                {
                  "path": "a.txt",
                  "oid": "{{Oid}}",
                  "size": 3
                }
              ]
            }
            """, JsonSerializer.Serialize(manifest, PublishJsonContext.Default.PublishManifest));
    }

    [Fact]
    public void UsageReport_ExactJson()
    {
        var folder = new FolderUsage("docs", 1, 2, 3, 4, 5, 6, 7);
        var report = new UsageReport("s3://b/p/", [folder], folder, 9, new CompressionUsage(1, 10, 20, 0.5), 0.023m, 1.5m);

        Assert.Equal("""
            {
              "location": "s3://b/p/",
              "folders": [
                {
                  "folder": "docs",
                  "objects": 1,
                  "currentVersions": 2,
                  "currentBytes": 3,
                  "noncurrentVersions": 4,
                  "noncurrentBytes": 5,
                  "referencedBytes": 6,
                  "unreferencedBytes": 7
                }
              ],
              "total": {
                "folder": "docs",
                "objects": 1,
                "currentVersions": 2,
                "currentBytes": 3,
                "noncurrentVersions": 4,
                "noncurrentBytes": 5,
                "referencedBytes": 6,
                "unreferencedBytes": 7
              },
              "historyObjectsNotStored": 9,
              "compression": {
                "versions": 1,
                "storedBytes": 10,
                "objectBytes": 20,
                "ratio": 0.5
              },
              "pricePerGbMonth": 0.023,
              "estimatedMonthlyCost": 1.5
            }
            """, JsonSerializer.Serialize(report, UsageJsonContext.Default.UsageReport));
        Assert.Equal("""
            [
              {
                "direction": "upload",
                "transfers": 2,
                "succeeded": 1,
                "errorsByCode": {
                  "NotFound": 1
                },
                "bytes": 100,
                "bytesPerSecond": 12.5
              }
            ]
            """, JsonSerializer.Serialize(new List<TransferUsage> { new("upload", 2, 1, new Dictionary<string, int> { ["NotFound"] = 1 }, 100, 12.5) },
            UsageJsonContext.Default.ListTransferUsage));
    }

    [Fact]
    public void LogRows_ExactJson_NullsLeftOut()
    {
        var rows = new List<FileVersionRow>
        {
            new("a.bin", "a.bin", "c1", When, "Ann", "add", false, Oid, 5, "p/a.bin", "v1", true, true),
            new("b.bin", "b.bin", null, null, null, null, true, null, 0, null, null, false, false),
        };

        Assert.Equal($$"""
            [
              {
                "path": "a.bin",
                "name": "a.bin",
                "commit": "c1",
                "date": "2026-01-02T03:04:05+00:00",
                "author": "Ann",
                "subject": "add",
                "renamed": false,
                "oid": "{{Oid}}",
                "size": 5,
                "key": "p/a.bin",
                "versionId": "v1",
                "stored": true,
                "inHistory": true
              },
              {
                "path": "b.bin",
                "name": "b.bin",
                "renamed": true,
                "size": 0,
                "stored": false,
                "inHistory": false
              }
            ]
            """, JsonSerializer.Serialize(rows, LogJsonContext.Default.ListFileVersionRow));
    }
}
