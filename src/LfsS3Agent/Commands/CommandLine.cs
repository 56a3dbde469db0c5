namespace LfsS3Agent.Commands;

/// <summary>A usage mistake: printed with the verb's help, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>Options of one verb: <c>--name value</c>, <c>--name=value</c> and flags; nothing positional.</summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);

    public CommandLine(IEnumerable<string> args, IReadOnlySet<string> valueOptions, IReadOnlySet<string> flags)
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

            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new UsageException($"unexpected argument \"{arg}\"");
            }

            var eq = arg.IndexOf('=');
            var name = eq > 0 ? arg[2..eq] : arg[2..];
            if (flags.Contains(name) && eq < 0)
            {
                _options[name] = null;
            }
            else if (valueOptions.Contains(name))
            {
                if (eq > 0)
                {
                    _options[name] = arg[(eq + 1)..];
                }
                else if (e.MoveNext())
                {
                    _options[name] = e.Current;
                }
                else
                {
                    throw new UsageException($"--{name} needs a value");
                }
            }
            else
            {
                throw new UsageException($"unknown option --{name}");
            }
        }
    }

    public bool Help { get; }

    public bool Has(string name) => _options.ContainsKey(name);

    public string? Value(string name) => _options.GetValueOrDefault(name);
}
