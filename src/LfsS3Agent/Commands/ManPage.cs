using System.Net;
using System.Text;

namespace LfsS3Agent.Commands;

/// <summary>
/// The manual page (roff for man, HTML for `git help -w`), built from the same texts as the main help and each
/// verb's --help, so the two never drift. `git lfs-s3 --help` is `git help lfs-s3`, which opens this page.
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

        return sb.Append("</body></html>\n").ToString();
    }

    /// <summary>Text kept as written: no filling, backslashes and leading dots escaped.</summary>
    private static string Preformatted(string text)
    {
        var sb = new StringBuilder(".nf\n");
        foreach (var line in text.Replace("\r", "").Split('\n'))
        {
            var escaped = line.Replace("\\", "\\e");
            sb.Append(escaped.StartsWith('.') || escaped.StartsWith('\'') ? "\\&" + escaped : escaped).Append('\n');
        }

        return sb.Append(".fi\n").ToString();
    }
}
