using LfsS3Agent.Core;
using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;

namespace LfsS3Agent.Commands;

/// <summary>A verb that works in an opened repository: its settings, store, cache and mapping.</summary>
public abstract class WorkspaceVerb(IObjectStoreFactory storeFactory, ProcessEnvironment environment) : Verb
{
    /// <summary>Objects checked at once by verify and rebuild.</summary>
    protected const int Parallelism = 8;

    protected Task<Workspace> OpenAsync(CancellationToken cancellationToken) => Workspace.OpenAsync(environment, storeFactory, cancellationToken);
}
