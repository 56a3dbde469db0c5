using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;
using LfsS3Agent.FolderStore;
using LfsS3Agent.S3;

namespace LfsS3Agent;

/// <summary>Picks the store that <c>lfs-s3.store</c> names: S3 (the default) or a <c>file://</c> folder.</summary>
public sealed class StoreFactory : IObjectStoreFactory
{
    private readonly S3ObjectStoreFactory _s3 = new();
    private readonly FolderObjectStoreFactory _folder = new();

    public IObjectStore Create(AgentSettings settings) =>
        settings.FolderStore is null ? _s3.Create(settings) : _folder.Create(settings);
}
