namespace LfsS3Agent.Core.Git;

/// <summary>One entry of a tree (or of the index): mode, object id, path from the repository root, size in git (-1 when not asked), type.</summary>
public sealed record TreeFile(string Mode, string Blob, string Path, long Size, string Type = "blob")
{
    /// <summary>A regular file (not a symbolic link or a submodule).</summary>
    public bool IsRegular => Mode is "100644" or "100755";
}

/// <summary>What <c>ls-tree</c> lists: every file below (recursive) or one level, with sizes (<c>-l</c>) or not.</summary>
public sealed record LsTreeOptions(bool Recursive = true, bool Sizes = false, bool EmptyOnFailure = false);

/// <summary>A commit as <c>git log</c> shows it.</summary>
public sealed record CommitInfo(string Id, DateTimeOffset Date, string Author, string Subject);

/// <summary>One line of <c>git log --raw</c>: modes, blobs, status letter, the old name of a rename or copy, and the path.</summary>
public sealed record RawChange(string OldMode, string NewMode, string OldBlob, string NewBlob, char Status, string? From, string Path)
{
    /// <summary>The new side is a regular file.</summary>
    public bool IsRegular => NewMode is "100644" or "100755";
}

/// <summary>A commit of <c>git log</c> with its changes; <see cref="Commit"/> is null when the query asked for changes only.</summary>
public sealed record LogEntry(CommitInfo? Commit, IReadOnlyList<RawChange> Changes);

/// <summary>
/// A <c>git log --raw -z</c> walk: revisions on the command line (or on stdin, where excluded ones <c>^id</c> can be many),
/// with each commit's header or changes only, renames followed or not, filtered by status letters or by one object.
/// </summary>
public sealed record GitLogQuery
{
    public IReadOnlyList<string> Revisions { get; init; } = [];

    public IReadOnlyList<string>? StdinRevisions { get; init; }

    public bool Commits { get; init; }

    public bool Renames { get; init; }

    public string? DiffFilter { get; init; }

    public string? FindObject { get; init; }
}

/// <summary>An object's id, type and size, as <c>cat-file --batch-check</c> reports it.</summary>
public sealed record GitObjectInfo(string Id, string Type, long Size);

/// <summary>Which configuration <c>git config</c> reads or writes: the effective one, a scope, a file, or a committed blob.</summary>
public sealed record GitConfigSource(string Name, params string[] Arguments)
{
    public static readonly GitConfigSource Effective = new("effective");

    public static readonly GitConfigSource Global = new("global", "--global");

    public static readonly GitConfigSource Local = new("local", "--local");

    public static GitConfigSource File(string path) => new(path, "-f", path);

    public static GitConfigSource Blob(string blob) => new(blob, "--blob", blob);
}

/// <summary>What <c>git lfs version</c> says, and its major version when that could be read.</summary>
public sealed record GitLfsVersion(string Text, int? Major)
{
    /// <summary>Said by every verb that needs git-lfs and finds none.</summary>
    public const string NotInstalled = "git-lfs is not installed: install it (apt-get install git-lfs, brew install git-lfs, or https://git-lfs.com)";

    /// <summary>Standalone transfer agents and the options used here need git-lfs 3.</summary>
    public bool IsSupported => Major >= 3;
}

/// <summary>How a fetch or push ended: git's stderr says why it failed.</summary>
public sealed record GitOutcome(bool Succeeded, string Error);

/// <summary>A ref of a remote as <c>ls-remote</c> lists it: the object it points at and its full name.</summary>
public sealed record RemoteRef(string Id, string Name);
