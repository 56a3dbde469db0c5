using System.Diagnostics;
using System.Text.Json;
using LfsS3Agent.Core.Diagnostics;
using LfsS3Agent.Core.Transfer;
using Microsoft.Extensions.Logging;

namespace LfsS3Agent.Core.Protocol;

/// <summary>
/// The agent's protocol loop over injected streams: one request at a time, exactly one answer to each
/// (init, upload, download, and anything unreadable), until <c>terminate</c> or end of input.
/// </summary>
public sealed class TransferSession(Stream input, ProtocolWriter writer, TransferHandlerFactory handlerFactory, ILogger logger)
{
    /// <summary>git-lfs's requests are a few hundred bytes; anything near this is not one.</summary>
    internal const int MaxLineLength = 1 << 20;

    private ITransferHandler? _handler;
    private string? _operation;
    private bool _gateOpened;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var reader = new LineReader(input, MaxLineLength);
        var reason = "end of input";
        try
        {
            while (await reader.ReadAsync(cancellationToken) is { Line: { } line } read)
            {
                if (read.TooLong)
                {
                    var message = $"request line longer than {MaxLineLength} bytes; not a git-lfs request";
                    Log.BadRequest(logger, message);
                    writer.WriteError(new ProtocolError(ErrorCodes.BadRequest, message));
                    continue;
                }

                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                if (!await DispatchAsync(line, cancellationToken))
                {
                    reason = "terminate";
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            reason = "cancelled";
        }
        finally
        {
            Log.SessionEnd(logger, reason);
            await EndHandlerAsync();
        }
    }

    /// <summary>Ends the current handler explicitly (its end-of-session work), then releases it.</summary>
    private async Task EndHandlerAsync()
    {
        if (_handler is not { } handler)
        {
            return;
        }

        _handler = null;
        try
        {
            // The end step runs even after a cancel: what was uploaded must still reach the mapping.
            await handler.EndAsync(CancellationToken.None);
        }
        finally
        {
            await handler.DisposeAsync();
        }
    }

    private static TransferDirection Direction(string? operation) =>
        operation == ProtocolNames.Upload ? TransferDirection.Upload : TransferDirection.Download;

    /// <summary>Answers one line; returns false when the session should end.</summary>
    private async Task<bool> DispatchAsync(string line, CancellationToken cancellationToken)
    {
        Log.Received(logger, line);
        var request = Parse(line, out var parseError);
        if (request is null)
        {
            Log.BadRequest(logger, parseError!);
            writer.WriteError(new ProtocolError(ErrorCodes.BadRequest, parseError!));
            return true;
        }

        switch (request.Event)
        {
            case ProtocolNames.Terminate:
                return false;
            case ProtocolNames.Init:
                await InitAsync(request);
                return true;
            case ProtocolNames.Upload or ProtocolNames.Download:
                await TransferAsync(request, parseError, cancellationToken);
                return true;
            default:
                var message = request.Event is null
                    ? "request has no \"event\"; expected init, upload, download or terminate"
                    : $"unknown event \"{request.Event}\"; expected init, upload, download or terminate";
                Reject(request.Oid, message);
                return true;
        }
    }

    private async Task InitAsync(TransferRequest request)
    {
        if (request.Operation is not (ProtocolNames.Upload or ProtocolNames.Download))
        {
            var message = $"init has operation \"{request.Operation}\"; expected upload or download";
            Log.BadRequest(logger, message);
            writer.WriteError(new ProtocolError(ErrorCodes.BadRequest, message));
            return;
        }

        Log.SessionInit(logger, request.Operation, request.Remote);
        try
        {
            // A second init starts a new session: the first one's work (its mapping entries) is finished first.
            await EndHandlerAsync();
            _handler = handlerFactory(Direction(request.Operation), request.Remote);
            _operation = request.Operation;
            writer.WriteInitOk();
        }
        catch (Exception ex)
        {
            var error = ToProtocolError(ex);
            Log.TransferFailed(logger, "init", "-", error.Code, error.Message, ex);
            writer.WriteError(error);
        }
    }

    private async Task TransferAsync(TransferRequest request, string? fieldError, CancellationToken cancellationToken)
    {
        var oid = request.Oid;
        string? problem = fieldError;
        if (problem is null)
        {
            if (_handler is null)
            {
                problem = $"{request.Event} received before a successful init";
            }
            else if (request.Event != _operation)
            {
                problem = $"{request.Event} received in a {_operation} session";
            }
            else if (!Oid.IsValid(oid))
            {
                problem = $"\"oid\" must be 64 lowercase hex digits (SHA-256), got \"{oid}\"";
            }
            else if (request.Size is not { } s || s < 0)
            {
                problem = "\"size\" is missing or negative";
            }
            else if (request.Event == ProtocolNames.Upload && string.IsNullOrEmpty(request.Path))
            {
                problem = "upload request has no \"path\" to read the object from";
            }
        }

        if (problem is not null)
        {
            Reject(oid, problem);
            return;
        }

        var item = new TransferItem(Direction(request.Event), oid!, request.Size!.Value, request.Path);
        var progress = new ProgressReporter(writer, item.Oid, item.Size);
        if (!_gateOpened)
        {
            _gateOpened = true;
            progress.OpenGate();
        }

        var watch = Stopwatch.StartNew();
        string? path;
        try
        {
            path = await _handler!.TransferAsync(item, progress, cancellationToken);
            progress.Finish();
        }
        catch (Exception ex)
        {
            var error = ToProtocolError(ex);
            writer.WriteComplete(new CompleteMessage(item.Oid, Error: error));
            Log.TransferFailed(logger, request.Event!, item.Oid, error.Code, error.Message, ex is LfsS3Exception ? null : ex);
            return;
        }

        // The answer first, the log line (read by git-lfs too, for GIT_TRACE) after it: git-lfs hands out the next object sooner.
        writer.WriteComplete(new CompleteMessage(item.Oid, path));
        Log.TransferDone(logger, request.Event!, item.Oid, item.Size, watch.ElapsedMilliseconds);
    }

    private void Reject(string? oid, string message)
    {
        Log.BadRequest(logger, message);
        var error = new ProtocolError(ErrorCodes.BadRequest, message);
        if (oid is null)
        {
            writer.WriteError(error);
        }
        else
        {
            writer.WriteComplete(new CompleteMessage(oid, Error: error));
        }
    }

    private static ProtocolError ToProtocolError(Exception ex) => ex switch
    {
        LfsS3Exception t => new ProtocolError(t.Code, t.Message),
        OperationCanceledException => new ProtocolError(ErrorCodes.Unavailable, "git-lfs-s3: transfer cancelled"),
        _ => new ProtocolError(ErrorCodes.Internal,
            $"git-lfs-s3: unexpected {ex.GetType().Name}: {ex.Message} (rerun with GIT_TRACE=1 for details)"),
    };

    /// <summary>
    /// Parses a line. A line with the right shape but a wrongly typed field still yields its event and
    /// oid (so the answer can name the object), with the problem in <paramref name="error"/>.
    /// </summary>
    internal static TransferRequest? Parse(string line, out string? error)
    {
        error = null;
        try
        {
            return JsonSerializer.Deserialize(line, ProtocolJsonContext.Default.TransferRequest)
                   ?? throw new JsonException("null");
        }
        catch (JsonException ex)
        {
            error = $"request is not a valid protocol message: {ex.Message}";
        }

        try
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            return new TransferRequest { Event = StringField(doc.RootElement, "event"), Oid = StringField(doc.RootElement, "oid") };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? StringField(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
