namespace LfsS3Agent.Core.Git;

/// <summary>
/// The one door to git (and git-lfs): a method per git operation, typed in and out, each output format read by one
/// parser in <see cref="GitOutput"/>. Nothing outside the git room starts a git process. A method that can fail in a
/// way callers expect (a missing HEAD, an unset key) says so in its result; anything else throws <see cref="GitException"/>.
/// </summary>
public interface IGit
{
    /// <summary>Where git runs.</summary>
    string WorkingDirectory { get; }

    /// <summary>The environment git runs with (the injected one).</summary>
    IReadOnlyDictionary<string, string> Environment { get; }

    /// <summary>The same git (same environment) in another directory.</summary>
    IGit At(string directory);

    /// <summary><c>git --version</c>; throws <see cref="GitException"/> when git is not installed.</summary>
    Task<string> VersionAsync(CancellationToken cancellationToken);

    /// <summary><c>git lfs version</c>, or null when git-lfs is not installed.</summary>
    Task<GitLfsVersion?> LfsVersionAsync(CancellationToken cancellationToken);

    /// <summary><c>git lfs install</c> (<c>--local</c>, else <c>--skip-repo</c>).</summary>
    Task LfsInstallAsync(bool local, CancellationToken cancellationToken);

    /// <summary><c>git lfs uninstall</c> (<c>--local</c>, else <c>--skip-repo</c>).</summary>
    Task LfsUninstallAsync(bool local, CancellationToken cancellationToken);

    /// <summary><c>rev-parse --is-bare-repository --git-common-dir --show-toplevel</c>: null outside a repository.</summary>
    Task<(bool Bare, string CommonDir, string? TopLevel)?> RepositoryAsync(CancellationToken cancellationToken);

    /// <summary><c>rev-parse --git-dir</c> succeeds: the working directory is inside a repository.</summary>
    Task<bool> IsInsideRepositoryAsync(CancellationToken cancellationToken);

    /// <summary><c>rev-parse --verify --quiet</c>: the object id a revision names, or null.</summary>
    Task<string?> RevParseAsync(string revision, CancellationToken cancellationToken);

    /// <summary>
    /// A date as <c>git log --since</c> takes it ("2026-11-01", "2 weeks ago", "yesterday"), read by git's own parser
    /// (<c>config --type=expiry-date</c>, which refuses what it cannot read); null when git cannot read it.
    /// </summary>
    Task<DateTimeOffset?> ParseDateAsync(string text, CancellationToken cancellationToken);

    /// <summary>Every effective key matching <paramref name="pattern"/>: key -> (value, "scope origin"), e.g. "global file:/home/u/.gitconfig".</summary>
    Task<Dictionary<string, (string Value, string Origin)>> ConfigGetRegexpWithOriginsAsync(string pattern, CancellationToken cancellationToken);

    /// <summary><c>config --get</c>: the value, or null when unset.</summary>
    Task<string?> ConfigGetAsync(GitConfigSource source, string key, CancellationToken cancellationToken);

    /// <summary><c>config -z --get-regexp</c>: lower-cased keys and their last values (empty when none or unreadable).</summary>
    Task<Dictionary<string, string>> ConfigGetRegexpAsync(GitConfigSource source, string pattern, CancellationToken cancellationToken);

    /// <summary><c>config --get-urlmatch</c>: the value git picks for a URL, or null.</summary>
    Task<string?> ConfigGetUrlmatchAsync(string key, string url, CancellationToken cancellationToken);

    /// <summary><c>config &lt;key&gt; &lt;value&gt;</c>.</summary>
    Task ConfigSetAsync(GitConfigSource source, string key, string value, CancellationToken cancellationToken);

    /// <summary><c>config --unset-all</c> (only values matching <paramref name="valuePattern"/>); false when nothing was set.</summary>
    Task<bool> ConfigUnsetAllAsync(GitConfigSource source, string key, string? valuePattern, CancellationToken cancellationToken);

    /// <summary><c>config --remove-section</c>; false when there was none.</summary>
    Task<bool> ConfigRemoveSectionAsync(GitConfigSource source, string section, CancellationToken cancellationToken);

    /// <summary><c>ls-tree -z --full-tree</c> of a tree-ish, all of it or only <paramref name="paths"/>.</summary>
    Task<List<TreeFile>> LsTreeAsync(string treeish, IReadOnlyList<string>? paths, LsTreeOptions options, CancellationToken cancellationToken);

    /// <summary><c>ls-files -s -z</c>: the index's entries under <paramref name="paths"/> (empty when unreadable).</summary>
    Task<List<TreeFile>> LsFilesStagedAsync(IReadOnlyList<string> paths, CancellationToken cancellationToken);

    /// <summary><c>cat-file blob</c> as UTF-8 text.</summary>
    Task<string> ReadBlobAsync(string blob, CancellationToken cancellationToken);

    /// <summary><c>cat-file blob</c> streamed line by line, so a large blob is never held whole.</summary>
    TextReader OpenBlob(string blob);

    /// <summary>
    /// A small object's content through one <c>cat-file --batch</c> this instance keeps open (a pipe round trip, not a
    /// process, per object); null when git has no such object.
    /// </summary>
    Task<byte[]?> ReadObjectAsync(string id, CancellationToken cancellationToken);

    /// <summary><c>cat-file blob</c> written, byte for byte, into a new file.</summary>
    Task WriteBlobAsync(string blob, string file, CancellationToken cancellationToken);

    /// <summary><c>cat-file --batch-check</c>: id, type and size of each object that exists.</summary>
    Task<List<GitObjectInfo>> BatchCheckAsync(IReadOnlyCollection<string> objects, CancellationToken cancellationToken);

    /// <summary><c>cat-file --batch</c>: the contents of each object that exists (for small objects: all are held in memory).</summary>
    Task<Dictionary<string, byte[]>> BatchAsync(IReadOnlyCollection<string> objects, CancellationToken cancellationToken);

    /// <summary><c>log --raw -z --no-abbrev</c>: commits (or changes only), newest first.</summary>
    Task<List<LogEntry>> LogAsync(GitLogQuery query, CancellationToken cancellationToken);

    /// <summary><c>log -1 --format=&lt;format&gt; -- &lt;path&gt;</c>: the last commit that touched a path, formatted; null when none.</summary>
    Task<string?> LastCommitAsync(string format, string path, CancellationToken cancellationToken);

    /// <summary><c>rev-list -1 --stdin</c>: the first commit the revisions (with <c>^id</c> exclusions) reach, or null.</summary>
    Task<string?> FirstReachableAsync(IEnumerable<string> revisions, CancellationToken cancellationToken);

    /// <summary><c>for-each-ref --format</c>: one formatted line per ref matching the patterns (every ref without).</summary>
    Task<List<string>> ForEachRefAsync(string format, IReadOnlyList<string> patterns, CancellationToken cancellationToken);

    /// <summary><c>add --</c>: stages the paths; false when git refused.</summary>
    Task<bool> AddAsync(IReadOnlyList<string> paths, CancellationToken cancellationToken);

    /// <summary><c>check-attr -z --stdin</c>: each path with the attribute's value (empty when unreadable).</summary>
    Task<List<(string Path, string Value)>> CheckAttrAsync(string attribute, IReadOnlyCollection<string> paths, CancellationToken cancellationToken);

    /// <summary><c>grep -q -F</c> over tracked files: whether any matching file contains the text.</summary>
    Task<bool> GrepAsync(string text, IReadOnlyList<string> pathspecs, CancellationToken cancellationToken);

    /// <summary><c>remote</c>: the remotes' names.</summary>
    Task<List<string>> RemotesAsync(CancellationToken cancellationToken);

    /// <summary><c>remote -v</c>: each remote's name and URL (fetch and push lines both).</summary>
    Task<List<(string Name, string Url)>> RemoteUrlsAsync(CancellationToken cancellationToken);

    /// <summary><c>fetch --quiet &lt;remote&gt; [refspecs]</c>; <paramref name="environment"/> adds variables for this call only.</summary>
    Task<GitOutcome> FetchAsync(string remote, IReadOnlyList<string> refspecs, IReadOnlyDictionary<string, string>? environment,
        CancellationToken cancellationToken);

    /// <summary>
    /// <c>fetch --quiet --no-tags --no-write-fetch-head</c> of exactly these refspecs, only the tips (<c>--depth 1</c>) when
    /// <paramref name="tipOnly"/>: what this tool fetches for itself never touches the user's FETCH_HEAD or tags.
    /// </summary>
    Task<GitOutcome> FetchOwnAsync(string remote, IReadOnlyList<string> refspecs, bool tipOnly, IReadOnlyDictionary<string, string>? environment,
        CancellationToken cancellationToken);

    /// <summary><c>ls-remote &lt;remote&gt;</c>: every ref the remote has (peeled tags' <c>^{}</c> lines left out), or why it could not be listed.</summary>
    Task<(GitOutcome Outcome, List<RemoteRef> Refs)> LsRemoteAsync(string remote, CancellationToken cancellationToken);

    /// <summary><c>stash list</c>: the commit of every stash entry, newest first (empty when none).</summary>
    Task<List<string>> StashesAsync(CancellationToken cancellationToken);

    /// <summary><c>update-ref --stdin</c>: deletes these refs in one transaction.</summary>
    Task DeleteRefsAsync(IReadOnlyCollection<string> names, CancellationToken cancellationToken);

    /// <summary><c>symbolic-ref -q</c>: the ref a symbolic ref points at (<c>refs/remotes/origin/HEAD</c> -> its default branch), or null.</summary>
    Task<string?> SymbolicRefAsync(string name, CancellationToken cancellationToken);

    /// <summary><c>rev-list -1 --before</c>: the newest commit of <paramref name="revision"/>'s history made before that moment, or null.</summary>
    Task<string?> LastCommitBeforeAsync(string revision, DateTimeOffset before, CancellationToken cancellationToken);

    /// <summary><c>rev-parse --is-shallow-repository</c>.</summary>
    Task<bool> IsShallowAsync(CancellationToken cancellationToken);

    /// <summary><c>merge-base --is-ancestor</c>: whether <paramref name="ancestor"/> is in <paramref name="descendant"/>'s history.</summary>
    Task<bool> IsAncestorAsync(string ancestor, string descendant, CancellationToken cancellationToken);

    /// <summary><c>push --quiet --no-verify &lt;remote&gt; &lt;refspecs&gt;</c>; <paramref name="environment"/> adds variables for this call only.</summary>
    Task<GitOutcome> PushAsync(string remote, IReadOnlyList<string> refspecs, IReadOnlyDictionary<string, string>? environment,
        CancellationToken cancellationToken);

    /// <summary><c>hash-object -w --stdin</c>: writes the bytes as a blob; returns its id.</summary>
    Task<string> WriteBlobObjectAsync(string content, CancellationToken cancellationToken);

    /// <summary>
    /// Writes each text as a blob with one git process; returns their ids in order. Many go into one pack
    /// (<c>fast-import</c>), a few are loose objects (<c>hash-object -w --stdin-paths</c>), as git's own fetch does.
    /// </summary>
    Task<IReadOnlyList<string>> WriteBlobObjectsAsync(IReadOnlyList<string> contents, CancellationToken cancellationToken);

    /// <summary><c>mktree -z</c>: writes a tree of the entries (mode, type, id, name); returns its id.</summary>
    Task<string> MakeTreeAsync(IReadOnlyCollection<TreeFile> entries, CancellationToken cancellationToken);

    /// <summary>
    /// <c>commit-tree</c>: writes a commit of the tree with these parents and message; returns its id. Where git knows no
    /// user name or e-mail (a CI runner), the commit is made in git-lfs-s3's name rather than failing.
    /// </summary>
    Task<string> CommitTreeAsync(string tree, IReadOnlyList<string> parents, string message, CancellationToken cancellationToken);

    /// <summary><c>hash-object -w --no-filters --stdin-paths</c>: writes each file's bytes, as they are, as a blob; returns their ids in order.</summary>
    Task<IReadOnlyList<string>> WriteFileBlobsAsync(IReadOnlyList<string> files, CancellationToken cancellationToken);

    /// <summary><c>read-tree</c> into the index file <paramref name="indexFile"/> (a scratch index, never the user's): a tree, or empty when null.</summary>
    Task ReadTreeIntoAsync(string indexFile, string? treeish, CancellationToken cancellationToken);

    /// <summary><c>update-index -z --index-info</c> on <paramref name="indexFile"/>: adds or replaces <paramref name="entries"/>, removes <paramref name="removals"/>.</summary>
    Task UpdateIndexAsync(string indexFile, IReadOnlyCollection<TreeFile> entries, IReadOnlyCollection<string> removals, CancellationToken cancellationToken);

    /// <summary><c>write-tree</c> of the index file <paramref name="indexFile"/>; returns the tree's id.</summary>
    Task<string> WriteTreeAsync(string indexFile, CancellationToken cancellationToken);

    /// <summary>
    /// <c>read-tree -m -u &lt;from&gt; &lt;target&gt;</c> on the real index: moves index and work tree from one commit to the
    /// next as a fast-forward merge would (filters applied), refusing, with nothing changed, where that would lose local
    /// changes. <paramref name="from"/> null: from an unborn branch.
    /// </summary>
    Task<GitOutcome> MoveWorkTreeAsync(string? from, string target, CancellationToken cancellationToken);

    /// <summary><c>status --porcelain -z --untracked-files=no</c>: paths whose index or work tree differ from HEAD.</summary>
    Task<List<string>> ChangedTrackedPathsAsync(CancellationToken cancellationToken);

    /// <summary><c>check-ref-format --branch</c>: whether a branch name is valid.</summary>
    Task<bool> IsValidBranchNameAsync(string name, CancellationToken cancellationToken);

    /// <summary><c>update-ref</c>: points a ref at an id, only if it still points at <paramref name="expected"/> when given; false when not.</summary>
    Task<bool> UpdateRefAsync(string name, string id, string? expected, CancellationToken cancellationToken);
}
