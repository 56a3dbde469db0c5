using LfsS3Agent.Commands;
using LfsS3Agent.Core.Settings;

namespace LfsS3Agent.Tests;

/// <summary>The manual page (roff and HTML) carries every section a git user looks for, and every setting of the resolver's table.</summary>
public sealed class ManPageTests
{
    private static readonly Verb[] NoVerbs = [];

    [Fact]
    public void Roff_Sections_AllPresentInManOrder()
    {
        var roff = ManPage.Roff("main help", NoVerbs, "1.2.3");

        var order = new[] { ".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH VERBS", ".SH SETTINGS", ".SH FILES", ".SH EXIT STATUS", ".SH EXAMPLES", ".SH SEE ALSO" }
            .Select(s => roff.IndexOf(s + "\n", StringComparison.Ordinal)).ToList();
        Assert.DoesNotContain(-1, order);
        Assert.Equal(order.Order(), order);
    }

    [Fact]
    public void Roff_Settings_EveryKeyWithItsVariableScopeAndDescription()
    {
        var roff = ManPage.Roff("main help", NoVerbs, "1.2.3");

        Assert.NotEmpty(SettingNames.All);
        foreach (var setting in SettingNames.All)
        {
            var entry = $".TP\n.B {setting.GitKey}\nenvironment {setting.EnvVar}; "
                + (setting.AllowedInRepo ? "committed" : "personal only");
            Assert.Contains(entry, roff);
            Assert.Contains(setting.Description.Replace("\\", "\\e"), roff);
        }
    }

    [Fact]
    public void Html_SettingsAndSections_SameAsRoff()
    {
        var html = ManPage.Html("main help", NoVerbs, "1.2.3");

        foreach (var setting in SettingNames.All)
        {
            Assert.Contains($"<dt id=\"{setting.GitKey}\"><code>{setting.GitKey}</code></dt>", html);
            Assert.Contains($"environment {setting.EnvVar}; ", html);
        }

        foreach (var (title, _) in ManPage.Sections)
        {
            Assert.Contains($"<h2 id=\"{title.ToLowerInvariant().Replace(' ', '-')}\">", html);
        }

        Assert.Contains("<h2 id=\"settings\">", html);
    }

    [Fact]
    public void Roff_Files_NamesTheMarkerInstallWrites()
    {
        var roff = ManPage.Roff("main help", NoVerbs, "1.2.3");

        Assert.Contains("lfs-s3.installedlfsfilters", roff);
        Assert.Contains(".git/lfs-s3/cache.db", roff);
        Assert.Contains("xfer[git-lfs-s3]", roff);
    }
}
