namespace LfsS3Agent.Commands;

/// <summary>One verb of <c>git lfs-s3</c>: owns its name, one-line summary, help, options and handler.</summary>
public abstract class Verb
{
    protected static readonly IReadOnlySet<string> None = new HashSet<string>();

    public abstract string Name { get; }

    public abstract string Summary { get; }

    public abstract string Help { get; }

    /// <summary>Options that take a value (<c>--name value</c>).</summary>
    public virtual IReadOnlySet<string> ValueOptions => None;

    public virtual IReadOnlySet<string> Flags => None;

    /// <summary>Whether positional arguments are allowed (verify's revisions).</summary>
    public virtual bool TakesArguments => false;

    /// <summary>Not listed in the main help (the agent, which git-lfs runs).</summary>
    public virtual bool Hidden => false;

    public CommandLine Parse(IEnumerable<string> args) => new(args, ValueOptions, Flags, TakesArguments);

    public abstract Task<int> RunAsync(CommandLine args, CancellationToken cancellationToken);
}
