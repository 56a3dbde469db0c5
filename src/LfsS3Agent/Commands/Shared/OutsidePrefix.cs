using LfsS3Agent.Core;
using LfsS3Agent.Core.Mapping;

namespace LfsS3Agent.Commands.Shared;

/// <summary>Mapping entries whose key lies outside the repository's prefix, as status and verify report them.</summary>
internal static class OutsidePrefix
{
    public static int Count(Workspace workspace, IEnumerable<MappingEntry> entries) =>
        entries.Distinct().Count(e => !workspace.Layout.Contains(e.Key));

    public static string Message(Workspace workspace, int count) =>
        $"outside the prefix: {count} mapping entries name keys outside \"{workspace.Layout.Prefix}/\" and are "
        + (workspace.Settings.AllowOtherPrefixes ? "followed (lfs-s3.allowotherprefixes is true)" : "ignored (a teammate's mistake, or another team's files; `git config lfs-s3.allowotherprefixes true` follows them)");
}
