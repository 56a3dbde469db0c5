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
        + $"  {"version",-11} print the version\n"
        + $"  {"man",-11} write the manual page: man --out <dir> [--html <dir>] (the install scripts do)\n\n"
        + "`git lfs-s3 <verb> --help` describes each verb; `git lfs-s3 --help` opens the manual page (`man git-lfs-s3`;\n"
        + $"without man: `git help -w lfs-s3`, or open {ManPage.HtmlLocation()}).";

    private static string Version => typeof(Application).Assembly.GetName().Version?.ToString(3) ?? "0";

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
            await stdout.WriteLineAsync($"git-lfs-s3 {Version}");
            return 0;
        }

        if (name == "man")
        {
            return await WriteManualAsync(args.Skip(1));
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

    /// <summary>Writes git-lfs-s3.1 into --out (and git-lfs-s3.html into --html), from the verbs' own help texts.</summary>
    private async Task<int> WriteManualAsync(IEnumerable<string> args)
    {
        try
        {
            var options = new CommandLine(args, new HashSet<string> { "out", "html" }, new HashSet<string>());
            var verbs = _verbs.Where(v => !v.Hidden).ToList();
            if (options.Value("out") is not { } dir)
            {
                throw new UsageException("--out <dir> is required");
            }

            Directory.CreateDirectory(dir);
            await File.WriteAllTextAsync(Path.Combine(dir, ManPage.Name + ".1"), ManPage.Roff(MainHelp, verbs, Version));
            if (options.Value("html") is { } html)
            {
                Directory.CreateDirectory(html);
                await File.WriteAllTextAsync(Path.Combine(html, ManPage.Name + ".html"), ManPage.Html(MainHelp, verbs, Version));
            }

            return 0;
        }
        catch (UsageException ex)
        {
            await stderr.WriteLineAsync($"error: {ex.Message} (usage: git lfs-s3 man --out <dir> [--html <dir>])");
            return 2;
        }
    }

    private Verb? Find(string name) => _verbs.FirstOrDefault(v => v.Name == name);
}
