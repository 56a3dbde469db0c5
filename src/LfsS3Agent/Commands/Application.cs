using LfsS3Agent.Commands.Shared;
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
        + $"  {"completion",-11} {CompletionSummary}\n"
        + $"  {"man",-11} write the manual page: man --out <dir> [--html <dir>] (the install scripts do)\n\n"
        + "`git lfs-s3 <verb> --help` describes each verb; `git lfs-s3 --help` opens the manual page (`man git-lfs-s3`;\n"
        + $"without man: `git help -w lfs-s3`, or open {ManPage.HtmlLocation()}).";

    private const string CompletionSummary = "print the shell completion script: completion bash|zsh (the install scripts install it)";

    private const string VersionHelp = "usage: git lfs-s3 version\n\nPrints the version of git-lfs-s3 (also `git lfs-s3 --version`).";

    private const string CompletionHelp = """
        usage: git lfs-s3 completion bash|zsh

        Prints the completion script for bash or zsh, generated from the verbs' own options; it completes
        `git lfs-s3 <TAB>` and `git-lfs-s3 <TAB>`. The install scripts install it where the shells look
        (bash: <prefix>/share/bash-completion/completions/git-lfs-s3, by default in ~/.local, which bash-completion
        reads; zsh: <prefix>/share/zsh/site-functions/_git-lfs-s3, a folder to add to fpath). To load it by hand:
          source <(git lfs-s3 completion bash)
        """;

    internal static string Version => typeof(Application).Assembly.GetName().Version?.ToString(3) ?? "0";

    /// <summary>What the completion scripts offer: the listed verbs and the built-in ones, with their options.</summary>
    public IReadOnlyList<CompletionVerb> CompletionVerbs
    {
        get
        {
            var verbs = _verbs.Where(v => !v.Hidden).Select(CompletionVerb.Of).ToList();
            verbs.Add(new CompletionVerb("version", "print the version", [], [], false));
            verbs.Add(new CompletionVerb("completion", CompletionSummary, [], [], false, Completion.Shells));
            verbs.Add(new CompletionVerb("man", "write the manual page", [], ["out", "html"], false));
            verbs.Add(new CompletionVerb("help", "describe a verb", [], [], false, verbs.Select(v => v.Name).ToList()));
            return verbs;
        }
    }

    public async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        var name = args.Count > 0 ? args[0] : "--help";
        if (name is "help" or "--help" or "-h")
        {
            var topic = args.Count > 1 ? args[1] : null;
            await stdout.WriteLineAsync(topic switch
            {
                "version" => VersionHelp,
                "completion" => CompletionHelp,
                _ => (topic is null ? null : Find(topic))?.Help ?? MainHelp,
            });
            return 0;
        }

        if (name is "version" or "--version")
        {
            await stdout.WriteLineAsync(args.Skip(1).Any(a => a is "-h" or "--help") ? VersionHelp : $"git-lfs-s3 {Version}");
            return 0;
        }

        if (name == "completion")
        {
            return await WriteCompletionAsync(args.Skip(1).ToList());
        }

        if (name == "man")
        {
            return await WriteManualAsync(args.Skip(1));
        }

        if (Find(name) is not { } verb)
        {
            var closest = Suggestion.Closest(name, CompletionVerbs.Select(v => v.Name));
            var hint = closest.Count switch
            {
                0 => MainHelp,
                1 => $"The most similar verb is\n\t{closest[0]}\n\nSee `git lfs-s3 --help` for every verb.",
                _ => $"The most similar verbs are\n\t{string.Join("\n\t", closest)}\n\nSee `git lfs-s3 --help` for every verb.",
            };
            await stderr.WriteLineAsync($"error: unknown verb \"{name}\"\n\n{hint}");
            return 2;
        }

        try
        {
            var options = verb.Parse(args.Skip(1));
            TerminalProgress.Quiet = options.Has("quiet");
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

    private async Task<int> WriteCompletionAsync(IReadOnlyList<string> args)
    {
        if (args.Any(a => a is "-h" or "--help"))
        {
            await stdout.WriteLineAsync(CompletionHelp);
            return 0;
        }

        try
        {
            if (args.Count != 1)
            {
                throw new UsageException($"name one shell: {string.Join(" or ", Completion.Shells)}");
            }

            await stdout.WriteAsync(Completion.Script(args[0], CompletionVerbs));
            return 0;
        }
        catch (UsageException ex)
        {
            await stderr.WriteLineAsync($"error: {ex.Message} (see `git lfs-s3 completion --help`)");
            return 2;
        }
    }

    private Verb? Find(string name) => _verbs.FirstOrDefault(v => v.Name == name);
}
