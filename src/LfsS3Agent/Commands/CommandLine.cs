namespace LfsS3Agent.Commands;

/// <summary>A usage mistake: printed with a pointer to the verb's help, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>A failure of a command-line verb: printed as <c>fatal: message</c>, exit code 1.</summary>
public sealed class CommandException(string message) : Exception(message);

/// <summary>A verb's arguments: <c>--name value</c>, <c>--name=value</c>, flags, and positional arguments where the verb takes them.</summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly List<string> _arguments = [];

    public CommandLine(IEnumerable<string> args, IReadOnlySet<string> valueOptions, IReadOnlySet<string> flags, bool positional = false)
    {
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var arg = e.Current;
            if (arg is "-h" or "--help")
            {
                Help = true;
                continue;
            }

            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg == "--")
            {
                _arguments.Add(arg == "--" && e.MoveNext() ? e.Current : arg);
                if (!positional)
                {
                    throw new UsageException($"unexpected argument \"{_arguments[^1]}\"");
                }

                continue;
            }

            var eq = arg.IndexOf('=');
            var name = eq > 0 ? arg[2..eq] : arg[2..];
            if (flags.Contains(name) && eq < 0)
            {
                _options[name] = null;
            }
            else if (valueOptions.Contains(name))
            {
                _options[name] = eq > 0 ? arg[(eq + 1)..]
                    : e.MoveNext() ? e.Current
                    : throw new UsageException($"--{name} needs a value");
            }
            else
            {
                throw new UsageException($"unknown option --{name}");
            }
        }
    }

    public bool Help { get; }

    /// <summary>Positional arguments, in order.</summary>
    public IReadOnlyList<string> Arguments => _arguments;

    public bool Has(string name) => _options.ContainsKey(name);

    public string? Value(string name) => _options.GetValueOrDefault(name);
}
