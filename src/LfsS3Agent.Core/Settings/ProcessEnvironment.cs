using System.Collections;

namespace LfsS3Agent.Core.Settings;

/// <summary>
/// The process's working directory and environment variables, read once at start-up and injected; the only
/// reader of the real environment, so tests build a whole process from a dictionary.
/// </summary>
public sealed record ProcessEnvironment(string WorkingDirectory, IReadOnlyDictionary<string, string> Variables)
{
    public static ProcessEnvironment Current()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            variables[(string)entry.Key] = entry.Value as string ?? "";
        }

        return new ProcessEnvironment(Environment.CurrentDirectory, variables);
    }

    public string? Get(string name) => Variables.TryGetValue(name, out var value) && value.Length > 0 ? value : null;
}
