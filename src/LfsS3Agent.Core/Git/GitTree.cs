namespace LfsS3Agent.Core.Git;

/// <summary>Reads commits' trees and blobs: what the verbs that work on a revision (url, publish, log) need from git.</summary>
public sealed class GitTree(IGit git)
{
    /// <summary>The commit a revision names, or a one-line error that says so.</summary>
    public async Task<string> ResolveCommitAsync(string revision, CancellationToken cancellationToken) =>
        await git.RevParseAsync(revision + "^{commit}", cancellationToken) is { Length: 40 or 64 } commit
            ? commit
            : throw new LfsS3Exception(ErrorCodes.NotFound, $"revision \"{revision}\" does not exist in this repository");

    /// <summary>Every file of the commit's tree (or only <paramref name="path"/>), in git's order.</summary>
    public Task<List<TreeFile>> FilesAsync(string commit, string? path, CancellationToken cancellationToken) =>
        git.LsTreeAsync(commit, path is null ? null : [path], new LsTreeOptions(Recursive: path is null, Sizes: true), cancellationToken);

    /// <summary>The LFS pointer a path holds at a commit, or a one-line error saying what the path is instead.</summary>
    public async Task<LfsPointer> PointerAtAsync(string commit, string revision, string path, CancellationToken cancellationToken)
    {
        var file = (await FilesAsync(commit, path, cancellationToken)).FirstOrDefault(f => f.Path == path)
            ?? throw new LfsS3Exception(ErrorCodes.NotFound, $"{path} does not exist at {revision}");
        if (!file.IsRegular)
        {
            throw new LfsS3Exception(ErrorCodes.NotFound, $"{path} at {revision} is not a file");
        }

        var pointers = await new PointerScanner(git).ReadAsync([(file.Blob, file.Path)], cancellationToken);
        return pointers.Count == 1 ? pointers[0].Pointer
            : throw new LfsS3Exception(ErrorCodes.NotFound, $"{path} at {revision} is not an LFS file: git stores it itself (git show {revision}:{path})");
    }

    /// <summary>Writes a blob's bytes, exactly as committed, into a new file.</summary>
    public Task WriteBlobAsync(string blob, string file, CancellationToken cancellationToken) => git.WriteBlobAsync(blob, file, cancellationToken);
}
