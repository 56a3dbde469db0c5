using LfsS3Agent.Core;

namespace LfsS3Agent.Commands;

/// <summary>The one dispatcher: finds the verb, prints help, parses its options, runs it, and turns errors into exit codes.</summary>
public sealed class Application(IEnumerable<Verb> verbs, TextWriter stdout, TextWriter stderr)
{
    private readonly IReadOnlyList<Verb> _verbs = verbs.ToList();

    public string MainHelp =>
        "usage: git lfs-s3 <verb> [options]\n\n"
        + "Keeps a git repository's LFS files in your own versioned S3 bucket, under their own paths.\n\nverbs:\n"
        + string.Concat(_verbs.Where(v => !v.Hidden).Select(v => $"  {v.Name,-11} {v.Summary}\n"))
        + $"  {"version",-11} print the version\n\n"
        + "`git lfs-s3 <verb> --help` describes each verb.";

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var name = args.Count > 0 ? args[0] : "--help";
        if (name is "help" or "--help" or "-h")
        {
            var topic = args.Count > 1 ? Find(args[1]) : null;
            await stdout.WriteLineAsync(topic?.Help ?? MainHelp);
            return 0;
        }

        if (name is "version" or "--version")
        {
            await stdout.WriteLineAsync($"git-lfs-s3 {typeof(Application).Assembly.GetName().Version?.ToString(3)}");
            return 0;
        }

        if (Find(name) is not { } verb)
        {
            await stderr.WriteLineAsync($"error: unknown verb \"{name}\"\n\n{MainHelp}");
            return 2;
        }

        try
        {
            var options = verb.Parse(args.Skip(1));
            if (options.Help)
            {
                await stdout.WriteLineAsync(verb.Help);
                return 0;
            }

            return await verb.RunAsync(options, cancellationToken);
        }
        catch (UsageException ex)
        {
            await stderr.WriteLineAsync($"error: {ex.Message} (see `git lfs-s3 {verb.Name} --help`)");
            return 2;
        }
        catch (Exception ex) when (ex is CommandException or LfsS3Exception)
        {
            await stderr.WriteLineAsync($"fatal: {ex.Message}");
            return 1;
        }
    }

    private Verb? Find(string name) => _verbs.FirstOrDefault(v => v.Name == name);
}
