using LfsS3Agent.Core.Protocol;
using System.Text.Json;
using static LfsS3Agent.Tests.SessionHarness;

namespace LfsS3Agent.Tests;

public sealed class TransferSessionTests
{
    [Fact]
    public async Task Init_ValidOperation_AnswersEmptyObject()
    {
        var replies = await RunAsync(new FakeHandler(), Init(), Terminate);

        var reply = Assert.Single(replies);
        Assert.Equal(JsonValueKind.Object, reply.ValueKind);
        Assert.Empty(reply.EnumerateObject());
    }

    [Fact]
    public async Task Init_UnknownOperation_AnswersError()
    {
        var replies = await RunAsync(new FakeHandler(), Init("sideways"), Terminate);

        Assert.Equal(ErrorCodes.BadRequest, Assert.Single(replies).ErrorCode());
    }

    [Fact]
    public async Task Upload_Succeeds_SendsProgressThenOneComplete()
    {
        var handler = new FakeHandler();

        var replies = await RunAsync(handler, Init(), Upload(Oid1, 1_000_000), Terminate);

        var progress = replies.Skip(1).SkipLast(1).ToList();
        Assert.NotEmpty(progress);
        Assert.All(progress, p => Assert.Equal("progress", p.Str("event")));
        Assert.True(progress[0].GetProperty("bytesSoFar").GetInt64() > 0, "the first progress must open git-lfs's gate");
        Assert.Equal(1_000_000, progress.Sum(p => p.GetProperty("bytesSinceLast").GetInt64()));
        Assert.Equal(1_000_000, progress[^1].GetProperty("bytesSoFar").GetInt64());
        var complete = replies[^1];
        Assert.Equal("complete", complete.Str("event"));
        Assert.Equal(Oid1, complete.Str("oid"));
        Assert.False(complete.TryGetProperty("error", out _));
        Assert.Equal("/tmp/obj", handler.Seen.Single().LocalPath);
    }

    [Fact]
    public async Task Upload_FirstOfTheSession_OneByteReportedBeforeAnyMoved()
    {
        var handler = new FakeHandler();
        var replies = await RunAsync(handler, Init(), Upload(Oid1, 1_000_000), Terminate);

        var progress = replies.Skip(1).SkipLast(1).Select(p => (p.GetProperty("bytesSoFar").GetInt64(), p.GetProperty("bytesSinceLast").GetInt64()));
        Assert.Equal([(1L, 1L), (1_000_000L, 999_999L)], progress);
    }

    [Fact]
    public async Task Upload_SmallerThanAStepAfterTheFirst_OneProgressMessage()
    {
        var replies = await RunAsync(new FakeHandler(), Init(), Upload(Oid1, 10), Upload(Oid2, 1_000_000), Terminate);

        var second = replies.SkipWhile(r => r.Str("event") != "complete").Skip(1).SkipLast(1).ToList();
        var progress = Assert.Single(second);
        Assert.Equal(1_000_000, progress.GetProperty("bytesSoFar").GetInt64());
        Assert.Equal(1_000_000, progress.GetProperty("bytesSinceLast").GetInt64());
    }

    [Fact]
    public async Task Upload_LargerThanAStepAfterTheFirst_FirstBytesAtOnceThenAStepApart()
    {
        const long size = 3 << 20;
        var replies = await RunAsync(new FakeHandler(), Init(), Upload(Oid1, 10), Upload(Oid2, size), Terminate);

        var second = replies.SkipWhile(r => r.Str("event") != "complete").Skip(1).ToList();
        var progress = second.SkipLast(1).Select(p => p.GetProperty("bytesSoFar").GetInt64()).ToList();
        Assert.Equal(300_000, progress[0]);
        Assert.Equal(size, progress[^1]);
        Assert.All(progress.Zip(progress.Skip(1)).SkipLast(1), pair => Assert.True(pair.Second - pair.First >= 1 << 20));
        Assert.Equal(size, second.SkipLast(1).Sum(p => p.GetProperty("bytesSinceLast").GetInt64()));
        Assert.Equal("complete", second[^1].Str("event"));
    }

    [Fact]
    public async Task Download_Succeeds_CompleteCarriesPath()
    {
        var replies = await RunAsync(new FakeHandler(), Init("download"), Download(Oid1, 10), Terminate);

        Assert.Equal($"/tmp/lfs/tmp/{Oid1}-x", replies[^1].Str("path"));
    }

    [Fact]
    public async Task Transfer_HandlerThrowsLfsS3Exception_CompletesWithItsCodeAndMessage()
    {
        var handler = new FakeHandler { Fail = i => i.Oid == Oid1 ? new LfsS3Exception(ErrorCodes.Forbidden, "access denied to s3://b/k") : null };

        var replies = await RunAsync(handler, Init("download"), Download(Oid1, 10), Download(Oid2, 10), Terminate);

        var completes = replies.Where(r => r.Str("event") == "complete").ToList();
        Assert.Equal(2, completes.Count);
        Assert.Equal(ErrorCodes.Forbidden, completes[0].ErrorCode());
        Assert.Equal("access denied to s3://b/k", completes[0].ErrorMessage());
        Assert.Null(completes[1].ErrorCode());
    }

    [Fact]
    public async Task Transfer_HandlerThrowsUnexpected_CompletesWithInternalErrorAndGoesOn()
    {
        var handler = new FakeHandler { Fail = i => i.Oid == Oid1 ? new InvalidOperationException("boom") : null };

        var replies = await RunAsync(handler, Init(), Upload(Oid1, 5), Upload(Oid2, 5), Terminate);

        var completes = replies.Where(r => r.Str("event") == "complete").ToList();
        Assert.Equal(ErrorCodes.Internal, completes[0].ErrorCode());
        Assert.Contains("boom", completes[0].ErrorMessage());
        Assert.Equal(Oid2, completes[1].Str("oid"));
        Assert.Null(completes[1].ErrorCode());
    }

    [Fact]
    public async Task Line_NotJson_AnswersErrorAndKeepsServing()
    {
        var replies = await RunAsync(new FakeHandler(), Init(), "this is not json", Upload(Oid1, 5), Terminate);

        Assert.Equal(ErrorCodes.BadRequest, replies[1].ErrorCode());
        Assert.Equal("complete", replies[^1].Str("event"));
        Assert.Null(replies[^1].ErrorCode());
    }

    [Fact]
    public async Task Line_WrongFieldType_CompletesThatOidWithError()
    {
        var replies = await RunAsync(new FakeHandler(), Init(),
            $$"""{"event":"upload","oid":"{{Oid1}}","size":"big","path":"/x"}""", Terminate);

        Assert.Equal(Oid1, replies[1].Str("oid"));
        Assert.Equal(ErrorCodes.BadRequest, replies[1].ErrorCode());
    }

    [Fact]
    public async Task Event_Unknown_AnswersError()
    {
        var replies = await RunAsync(new FakeHandler(), Init(), """{"event":"dance"}""", Terminate);

        Assert.Equal(2, replies.Count);
        Assert.Contains("unknown event", replies[1].ErrorMessage());
    }

    [Theory]
    [InlineData("""{"event":"upload","size":5,"path":"/x"}""", "oid")]
    [InlineData("""{"event":"upload","oid":"ABC","size":5,"path":"/x"}""", "oid")]
    [InlineData("""{"event":"upload","oid":"1111111111111111111111111111111111111111111111111111111111111111","path":"/x"}""", "size")]
    [InlineData("""{"event":"upload","oid":"1111111111111111111111111111111111111111111111111111111111111111","size":5}""", "path")]
    [InlineData("""{"event":"download","oid":"1111111111111111111111111111111111111111111111111111111111111111","size":5}""", "upload session")]
    public async Task Upload_MissingOrBadField_AnswersOneErrorNamingIt(string line, string named)
    {
        var handler = new FakeHandler();

        var replies = await RunAsync(handler, Init(), line, Terminate);

        Assert.Equal(2, replies.Count);
        Assert.Equal(ErrorCodes.BadRequest, replies[1].ErrorCode());
        Assert.Contains(named, replies[1].ErrorMessage());
        Assert.Empty(handler.Seen);
    }

    [Fact]
    public async Task Transfer_BeforeInit_CompletesWithError()
    {
        var replies = await RunAsync(new FakeHandler(), Upload(Oid1, 5), Terminate);

        Assert.Equal(Oid1, Assert.Single(replies).Str("oid"));
        Assert.Contains("before a successful init", replies[0].ErrorMessage());
    }

    [Fact]
    public async Task Line_LongerThanTheBound_OneErrorThenServesTheNextRequest()
    {
        var huge = "{\"event\":\"upload\",\"oid\":\"" + new string('a', TransferSession.MaxLineLength + 10) + "\"}";

        var replies = await RunAsync(new FakeHandler(), Init(), huge, Upload(Oid1, 5), Terminate);

        Assert.Equal(ErrorCodes.BadRequest, replies[1].ErrorCode());
        Assert.Contains("longer than", replies[1].ErrorMessage());
        Assert.Equal("complete", replies[^1].Str("event"));
        Assert.Null(replies[^1].ErrorCode());
    }

    [Fact]
    public async Task Init_Twice_FirstHandlerDisposedBeforeTheSecondServes()
    {
        var handlers = new List<FakeHandler>();
        var input = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", Init(), Upload(Oid1, 5), Init(), Upload(Oid2, 5), Terminate) + "\n"));
        var session = new TransferSession(input, new ProtocolWriter(new MemoryStream()), (_, _) =>
        {
            handlers.Add(new FakeHandler());
            return handlers[^1];
        }, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);

        await session.RunAsync(CancellationToken.None);

        Assert.Equal(2, handlers.Count);
        Assert.True(handlers[0].Disposed);
        Assert.Equal(["end", "dispose"], handlers[0].Calls);
        Assert.Equal([Oid1], handlers[0].Seen.Select(i => i.Oid));
        Assert.Equal([Oid2], handlers[1].Seen.Select(i => i.Oid));
    }

    [Fact]
    public async Task Terminate_StopsReadingAndDisposesHandler()
    {
        var handler = new FakeHandler();

        var replies = await RunAsync(handler, Init(), Terminate, Upload(Oid1, 5));

        Assert.Single(replies);
        Assert.Empty(handler.Seen);
        Assert.True(handler.Disposed);
        Assert.Equal(["end", "dispose"], handler.Calls);
    }

    [Fact]
    public async Task EndOfInput_WithoutTerminate_EndsSessionCleanly()
    {
        var handler = new FakeHandler();

        var replies = await RunAsync(handler, Init(), Upload(Oid1, 5));

        Assert.Equal("complete", replies[^1].Str("event"));
        Assert.True(handler.Disposed);
        Assert.Equal(["end", "dispose"], handler.Calls);
    }

    [Fact]
    public async Task Session_ManyRequests_EveryStdoutLineIsAProtocolMessage()
    {
        var handler = new FakeHandler { Fail = i => i.Size % 2 == 0 ? new LfsS3Exception(ErrorCodes.NotFound, "missing") : null };
        var lines = new List<string> { Init("download") };
        for (var i = 1; i <= 20; i++)
        {
            lines.Add(Download(i.ToString("x64"), i * 100_001));
        }

        lines.Add("garbage");
        lines.Add(Terminate);

        var replies = await RunAsync(handler, [.. lines]);

        Assert.Equal(20, replies.Count(r => r.Str("event") == "complete"));
        Assert.All(replies, r => Assert.True(
            r.Str("event") is "progress" or "complete" || r.EnumerateObject().All(p => p.Name == "error"),
            $"not a protocol message: {r}"));
    }
}
