using System.Globalization;

namespace LfsS3Agent.Core.Git;

/// <summary>One file of a commit's tree: mode, blob id, path from the repository root, and size in git.</summary>
public sealed record TreeFile(string Mode, string Blob, string Path, long Size)
{
    /// <summary>A regular file (not a symbolic link or a submodule).</summary>
    public bool IsRegular => Mode is "100644" or "100755";
}

/// <summary>Reads commits' trees and blobs: what the verbs that work on a revision (url, publish, log) need from git.</summary>
public sealed class GitTree(GitRunner git)
{
    /// <summary>The commit a revision names, or a one-line error that says so.</summary>
    public async Task<string> ResolveCommitAsync(string revision, CancellationToken cancellationToken)
    {
        var result = await git.RunAsync(["rev-parse", "--verify", "--quiet", "--end-of-options", revision + "^{commit}"], allowFailure: true,
            cancellationToken: cancellationToken);
        return result.ExitCode == 0 && result.Stdout.Trim() is { Length: 40 or 64 } commit
            ? commit
            : throw new LfsS3Exception(ErrorCodes.NotFound, $"revision \"{revision}\" does not exist in this repository");
    }

    /// <summary>Every file of the commit's tree (or only <paramref name="path"/>), in git's order.</summary>
    public async Task<List<TreeFile>> FilesAsync(string commit, string? path, CancellationToken cancellationToken)
    {
        string[] args = path is null ? ["ls-tree", "-r", "-z", "-l", "--full-tree", commit] : ["ls-tree", "-z", "-l", "--full-tree", commit, "--", path];
        var tree = await git.RunAsync(args, cancellationToken: cancellationToken);
        var files = new List<TreeFile>();
        foreach (var record in tree.Stdout.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            // "<mode> <type> <object> <padded size>\t<path>"
            var tab = record.IndexOf('\t');
            var meta = tab > 0 ? record[..tab].Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
            if (meta.Length == 4)
            {
                var size = long.TryParse(meta[3], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : -1;
                files.Add(new TreeFile(meta[1] == "blob" ? meta[0] : meta[1], meta[2], record[(tab + 1)..], size));
            }
        }

        return files;
    }

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
    public async Task WriteBlobAsync(string blob, string file, CancellationToken cancellationToken)
    {
        using var process = git.Start(["cat-file", "blob", blob], redirectStdin: false);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await using (var target = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
        {
            await process.StandardOutput.BaseStream.CopyToAsync(target, cancellationToken);
        }

        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new GitException($"git cat-file blob {blob} failed: {(await stderr).Trim()}", process.ExitCode);
        }
    }
}
