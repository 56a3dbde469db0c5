namespace LfsS3Agent;

/// <summary>The process's working directory and environment variables, read once and injected.</summary>
public sealed record ProcessEnvironment(string WorkingDirectory, IReadOnlyDictionary<string, string> Variables);
