using LfsS3Agent.Commands.Shared;
using LfsS3Agent.Core;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Commands;

/// <summary>A verb that works in an opened repository: its settings, store, cache and mapping.</summary>
public abstract class WorkspaceVerb(IObjectStoreFactory storeFactory, ProcessEnvironment environment) : Verb
{
    protected IObjectStoreFactory StoreFactory => storeFactory;

    protected async Task<Workspace> OpenAsync(CancellationToken cancellationToken)
    {
        var workspace = await Workspace.OpenAsync(environment, storeFactory, cancellationToken);
        await LfsUrlPin.PinAsync(workspace.Repository, cancellationToken);
        return workspace;
    }

    /// <summary>The remote the mapping branch goes to: the one named, else the branch's default, else a clear error.</summary>
    protected static async Task<string> MappingRemoteAsync(Workspace workspace, string? named, CancellationToken cancellationToken) =>
        named ?? await workspace.Mapping.Branch.DefaultRemoteAsync(cancellationToken)
        ?? throw new CommandException("this repository has no git remote to keep the mapping branch on: add one (git remote add origin <url>)");

    /// <summary>A path the user typed (relative to where they are) as a path from the repository's root.</summary>
    protected string RepositoryPath(Workspace workspace, string typed)
    {
        if (workspace.Repository.WorkTree is not { } root)
        {
            return typed.Trim('/');
        }

        var relative = Path.GetRelativePath(root, Path.GetFullPath(typed, environment.WorkingDirectory)).Replace(Path.DirectorySeparatorChar, '/');
        return relative == "." || relative.StartsWith("../", StringComparison.Ordinal) || relative == ".." || Path.IsPathRooted(relative)
            ? throw new UsageException($"\"{typed}\" is outside the repository ({root})")
            : relative;
    }
}
