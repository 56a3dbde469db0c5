namespace LfsS3Agent.IntegrationTests;

/// <summary>The release archive as a user gets it (scripts/release.sh), unpacked and installed into a fresh HOME.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ReleaseArchiveTests
{
    [Fact]
    public void ReleaseArchive_UnpackedAndInstalled_CarriesLicenseAndGitHelpWebFindsTheManual()
    {
        using var box = new Sandbox(install: false);
        var before = box.Git(box.Root, "config", "--global", "--list").AssertOk().Stdout;
        var archive = box.Run("bash", box.Root, [Path.Combine(TestEnvironment.RepoRoot, "scripts", "release.sh"),
            "--from", Path.GetDirectoryName(TestEnvironment.Binary)!, "--out", Path.Combine(box.Root, "out")]).AssertOk().Stdout.Trim().Split('\n')[^1];
        var unpacked = Path.Combine(box.Root, "unpacked");
        Directory.CreateDirectory(unpacked);
        box.Run("tar", box.Root, ["-xzf", archive, "-C", unpacked]).AssertOk();
        var release = Assert.Single(Directory.GetDirectories(unpacked));
        var prefix = Path.Combine(box.Root, "prefix");
        // A browser that only says which page git asked it to open.
        var browser = Path.Combine(box.Root, "browser.sh");
        File.WriteAllText(browser, "#!/bin/sh\nprintf 'OPENED %s\\n' \"$@\"\n");
        File.SetUnixFileMode(browser, (UnixFileMode)0b111_101_101);

        box.Run("sh", box.Root, [Path.Combine(release, "install.sh"), "--prefix", prefix]).AssertOk();
        // git help takes lfs-s3 for a git command (page git-lfs-s3) only when git-lfs-s3 is on PATH, as the installer asks.
        box.Env["PATH"] = Path.Combine(prefix, "bin") + ":" + System.Environment.GetEnvironmentVariable("PATH");
        var help = box.Git(box.Root, "-c", "help.browser=fake", "-c", $"browser.fake.cmd={browser}", "help", "-w", "lfs-s3");
        var opened = help.Stdout.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("OPENED ", StringComparison.Ordinal))?["OPENED ".Length..];
        var openedExisted = opened is not null && File.Exists(opened.Replace("file://", ""));
        var page = opened is null || !openedExisted ? "" : File.ReadAllText(opened.Replace("file://", ""));
        box.Run("sh", box.Root, [Path.Combine(release, "install.sh"), "--prefix", prefix, "--uninstall"]).AssertOk();

        var license = File.ReadAllText(Path.Combine(release, "LICENSE"));
        Assert.Contains("MIT License", license);
        Assert.Contains("Copyright (c) the LfsS3Agent authors", license);
        Assert.Contains("Join-Path $PSScriptRoot 'bin\\git-lfs-s3.exe'", File.ReadAllText(Path.Combine(release, "install.ps1")));
        Assert.True(File.Exists(Path.Combine(release, "share", "man", "man1", "git-lfs-s3.1")));
        help.AssertOk();
        Assert.NotNull(opened);
        Assert.EndsWith("git-lfs-s3.html", opened);
        Assert.True(openedExisted, $"git help -w opened {opened}, which does not exist");
        Assert.Contains("<code>lfs-s3.bucket</code>", page);
        Assert.Contains("exit status", page);
        Assert.False(File.Exists(opened!.Replace("file://", "")), "uninstall removes the HTML page");
        Assert.Equal(before, box.Git(box.Root, "config", "--global", "--list").AssertOk().Stdout);
    }
}
