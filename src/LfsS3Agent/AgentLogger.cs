using System.Text;
using LfsS3Agent.Core;
using LfsS3Agent.Core.Settings;
using Microsoft.Extensions.Logging;

namespace LfsS3Agent;

/// <summary>
/// Logs to stderr (git-lfs shows an agent's stderr under GIT_TRACE=1) and, once a log file is named by
/// LFS_S3_LOG_FILE or lfs-s3.logfile, appends there too. Never to stdout: that belongs to the protocol.
/// </summary>
public sealed class AgentLoggerProvider : ILoggerProvider
{
    private readonly Lock _gate = new();
    private readonly TextWriter _stderr;
    private string? _file;

    public AgentLoggerProvider(TextWriter stderr, LogLevel level, string? file)
    {
        _stderr = stderr;
        Level = level;
        OpenFile(file);
    }

    public LogLevel Level { get; private set; }

    /// <summary>Applies the git config forms of the log settings, read later than the environment.</summary>
    public void Configure(AgentSettings settings)
    {
        if (ParseLevel(settings.LogLevel) is { } level)
        {
            Level = level;
        }

        if (_file is null)
        {
            OpenFile(settings.LogFile);
        }
    }

    /// <summary>The log levels as the settings take them, for error messages.</summary>
    public const string LevelNames = "trace, debug, information, warning, error or none";

    public static LogLevel? ParseLevel(string? text) => text?.ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "info" or "information" => LogLevel.Information,
        "warn" or "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "none" or "off" => LogLevel.None,
        _ => null,
    };

    public ILogger CreateLogger(string categoryName) => new AgentLogger(this);

    public void Dispose()
    {
    }

    private void OpenFile(string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return;
        }

        try
        {
            FileLock.Open(path, FileMode.Append, FileAccess.Write, TimeSpan.FromSeconds(2)).Dispose();
            _file = path;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            Write(LogLevel.Warning, $"cannot open log file {path}: {ex.Message}", null);
        }
    }

    private void Write(LogLevel level, string message, Exception? exception)
    {
        var text = $"git-lfs-s3[{Environment.ProcessId}] {Short(level)}: {message}";
        if (exception is not null && Level <= LogLevel.Debug)
        {
            text += Environment.NewLine + exception;
        }

        lock (_gate)
        {
            _stderr.WriteLine(text);
            _stderr.Flush();
            if (_file is not null)
            {
                AppendLine(_file, Encoding.UTF8.GetBytes($"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {text}\n"));
            }
        }
    }

    /// <summary>
    /// Eight agent processes share one log file and .NET has no O_APPEND: each line is written in one go while
    /// the file is held exclusively, so lines never interleave or overwrite each other.
    /// </summary>
    private static void AppendLine(string path, byte[] line)
    {
        try
        {
            using var file = FileLock.Open(path, FileMode.Append, FileAccess.Write, TimeSpan.FromSeconds(2));
            file.Write(line);
        }
        catch (IOException)
        {
            // a log line is not worth hanging a transfer for
        }
    }

    private static string Short(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warning",
        LogLevel.Error => "error",
        _ => "fatal",
    };

    private sealed class AgentLogger(AgentLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= provider.Level;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                provider.Write(logLevel, formatter(state, exception), exception);
            }
        }
    }
}
