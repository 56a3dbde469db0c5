using System.Net;
using System.Text;
using LfsS3Agent.Commands.Shared;
using LfsS3Agent.Core.Settings;

namespace LfsS3Agent.Commands;

/// <summary>
/// The manual page (roff for man, HTML for `git help -w`), built from the same texts as the main help and each
/// verb's --help, and from the settings table the resolver reads (<see cref="SettingNames.All"/>), so they never
/// drift. `git lfs-s3 --help` is `git help lfs-s3`, which opens this page.
/// </summary>
internal static class ManPage
{
    public const string Name = "git-lfs-s3";

    public static string Roff(string mainHelp, IEnumerable<Verb> verbs, string version)
    {
        var sb = new StringBuilder();
        sb.Append($".TH GIT-LFS-S3 1 \"\" \"git-lfs-s3 {version}\" \"Git Manual\"\n");
        sb.Append(".SH NAME\ngit-lfs-s3 \\- keep a git repository's LFS files in your own versioned S3 bucket, under their own paths\n");
        sb.Append(".SH SYNOPSIS\n.B git lfs-s3\n.I verb\n[options]\n");
        sb.Append(".SH DESCRIPTION\n").Append(Preformatted(mainHelp));
        sb.Append(".SH VERBS\n");
        foreach (var verb in verbs)
        {
            sb.Append($".SS {verb.Name}\n").Append(Preformatted(verb.Help));
        }

        sb.Append(".SH SETTINGS\n").Append(Preformatted(SettingsIntro));
        foreach (var setting in SettingNames.All)
        {
            sb.Append($".TP\n.B {setting.GitKey}\n").Append(Escape($"environment {setting.EnvVar}; {Where(setting)}.")).Append("\n.br\n")
                .Append(Escape(setting.Description)).Append('\n');
        }

        foreach (var (title, text) in Sections)
        {
            sb.Append($".SH {title}\n").Append(Preformatted(text));
        }

        sb.Append(".SH SEE ALSO\n.BR git-lfs (1),\n.BR git-lfs-config (5)\n");
        return sb.ToString();
    }

    public static string Html(string mainHelp, IEnumerable<Verb> verbs, string version)
    {
        var sb = new StringBuilder($"<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>git-lfs-s3(1)</title></head><body>\n<h1>git-lfs-s3(1) {version}</h1>\n");
        sb.Append("<pre>").Append(WebUtility.HtmlEncode(mainHelp)).Append("</pre>\n");
        foreach (var verb in verbs)
        {
            sb.Append($"<h2 id=\"{verb.Name}\">{verb.Name}</h2>\n<pre>").Append(WebUtility.HtmlEncode(verb.Help)).Append("</pre>\n");
        }

        sb.Append("<h2 id=\"settings\">settings</h2>\n<pre>").Append(WebUtility.HtmlEncode(SettingsIntro)).Append("</pre>\n<dl>\n");
        foreach (var setting in SettingNames.All)
        {
            sb.Append($"<dt id=\"{setting.GitKey}\"><code>{setting.GitKey}</code></dt>\n<dd>")
                .Append(WebUtility.HtmlEncode($"environment {setting.EnvVar}; {Where(setting)}.")).Append("<br>\n")
                .Append(WebUtility.HtmlEncode(setting.Description)).Append("</dd>\n");
        }

        sb.Append("</dl>\n");
        foreach (var (title, text) in Sections)
        {
            sb.Append($"<h2 id=\"{title.ToLowerInvariant().Replace(' ', '-')}\">{title.ToLowerInvariant()}</h2>\n<pre>")
                .Append(WebUtility.HtmlEncode(text)).Append("</pre>\n");
        }

        sb.Append("<h2 id=\"see-also\">see also</h2>\n<p>git-lfs(1), git-lfs-config(5)</p>\n");
        return sb.Append("</body></html>\n").ToString();
    }

    /// <summary>
    /// Where the install scripts put the HTML page, found from this binary (<c>&lt;prefix&gt;/lib/git-lfs-s3/git-lfs-s3</c>,
    /// or <c>&lt;prefix&gt;\bin\git-lfs-s3.exe</c> on Windows, beside <c>&lt;prefix&gt;/share/doc/git-lfs-s3/</c>) when it is
    /// there; else where they put it.
    /// </summary>
    public static string HtmlLocation()
    {
        var prefix = Path.GetDirectoryName(Environment.ProcessPath ?? "");
        for (var up = 0; up < 2 && prefix is not null; up++)
        {
            prefix = Path.GetDirectoryName(prefix);
            var page = prefix is null ? null : Path.Combine(prefix, "share", "doc", Name, Name + ".html");
            if (File.Exists(page))
            {
                return page;
            }
        }

        return $"<install prefix>/share/doc/{Name}/{Name}.html";
    }

    /// <summary>The manual's sections after SETTINGS, in order: title and text.</summary>
    public static readonly IReadOnlyList<(string Title, string Text)> Sections =
    [
        ("FILES", $"""
            {SettingNames.RepoConfigFile}
                the repository's committed settings (git config format): store, bucket, prefix, region, endpoint, ...
            .lfsconfig
                committed by init: lfs.url = {AgentWiring.PlaceholderLfsUrl} (never contacted) and lfs.locksverify = false
            .git/lfs-s3/cache.db
                this clone's SQLite cache: where each object is stored, paths found in history, entries not yet on the
                mapping branch, transfers for `usage --transfers` (never committed; `rebuild` recreates what it knows)
            refs/lfs-s3/<mappingbranch>, and <mappingbranch> on the remote (default lfs-s3)
                the mapping branch: oid, size, version id and key of every stored object, written by every push
            ~/.gitconfig (or .git/config with install --local)
                what `git lfs-s3 install` writes: lfs.{AgentWiring.PlaceholderLfsUrl}.standalonetransferagent,
                lfs.customtransfer.lfs-s3.path, .args and .concurrent; and {AgentWiring.FiltersMarker} = true when
                install also ran `git lfs install` (so that uninstall removes git-lfs's filters only then)
            <prefix>/<path in the repository> in the bucket (or folder)
                each LFS file, one version per content pushed
            <prefix>/.git/ in the bucket (or folder)
                the tool's own keys: objects with no usable path (.git/lfs/objects/..), locks (.git/lfs-s3/locks/,
                locks-broken/), doctor's probe (removed at once)
            <install prefix>/lib/git-lfs-s3/git-lfs-s3, <install prefix>/bin/git-lfs-s3
                the program and its link on PATH (the install scripts; default prefix ~/.local)
            <install prefix>/share/man/man1/git-lfs-s3.1, <install prefix>/share/doc/git-lfs-s3/git-lfs-s3.html
                this manual page, as roff and as HTML
            """),
        ("EXIT STATUS", """
            0   success (verify, rebuild, doctor: nothing missing, every check passed)
            1   failure, with a message starting "fatal:" that says what to do; verify and rebuild: some object is
                missing or could not be found; doctor: some check failed; prune: refused
            2   a usage error (unknown verb or option, a missing or malformed value), with the help to read
            The agent itself (git lfs-s3 agent, run by git-lfs) answers each failed transfer with an error code
            that follows HTTP: 400 bad request, 401 credentials, 403 access denied, 404 not found, 412 not set up,
            422 bytes do not match, 423 locked by someone else, 503 store unreachable, 507 local disk full.
            """),
        ("EXAMPLES", """
            Once per machine (the release archive's install.sh does it):
                git lfs-s3 install
            Set up a repository on S3 (the bucket must have versioning enabled), then push as usual:
                git lfs-s3 init --bucket acme-assets --prefix my-repo --region eu-west-1
                git lfs track "*.psd"
                git add .lfs-s3 .lfsconfig .gitattributes && git commit -m "Store LFS files in S3" && git push
            The same on a folder (a local disk or a shared drive), no S3 account needed:
                git lfs-s3 init --store file:///mnt/shared/assets --prefix my-repo
            A teammate (after installing): a plain clone downloads the files during checkout:
                git clone git@example.com:team/my-repo.git
            A clone made before installing: finish its checkout with
                git reset --hard
            Check the setup, then the store:
                git lfs-s3 doctor
                git lfs-s3 verify --all
            A link to a file exactly as tagged, valid 7 days:
                git lfs-s3 url contracts/lease.pdf --rev v1.0 --expires 7d
            What old versions cost, and removing the ones no commit needs:
                git lfs-s3 usage
                git lfs-s3 prune --grace 30d --apply
            See everything the agent does during a push:
                GIT_TRACE=1 git push        (the agent's lines read "xfer[git-lfs-s3]: ...")
            """),
    ];

    /// <summary>How settings are resolved, above the table.</summary>
    private const string SettingsIntro = """
        Each setting is read once per process; the first of these wins: the environment variable, your git config
        (git config lfs-s3.<name> <value>: local, then global, then system), the repository's committed .lfs-s3/config
        (committed settings only), the standard AWS variables and profile (AWS_REGION, AWS_DEFAULT_REGION,
        AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS_PROFILE) where a setting says so, then the default.
        "committed" settings may be shared with the team in .lfs-s3/config; "personal" ones are never read from it.
        Credentials come from the standard AWS chain (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN,
        the profile in ~/.aws/credentials and ~/.aws/config, container and web-identity credentials, then EC2
        instance metadata) and are never written anywhere.
        """;

    private static string Where(SettingName setting) => setting.AllowedInRepo
        ? "committed (may be set for everyone in .lfs-s3/config) or personal"
        : "personal only (never read from .lfs-s3/config)";

    /// <summary>One line of running text: backslashes escaped, and a leading dot or quote kept literal.</summary>
    private static string Escape(string line)
    {
        var escaped = line.Replace("\\", "\\e");
        return escaped.StartsWith('.') || escaped.StartsWith('\'') ? "\\&" + escaped : escaped;
    }

    /// <summary>Text kept as written: no filling, backslashes and leading dots escaped.</summary>
    private static string Preformatted(string text)
    {
        var sb = new StringBuilder(".nf\n");
        foreach (var line in text.Replace("\r", "").Split('\n'))
        {
            sb.Append(Escape(line)).Append('\n');
        }

        return sb.Append(".fi\n").ToString();
    }
}
