using LfsS3Agent.Core.Settings;
using LfsS3Agent.Core.Storage;
using LfsS3Agent.FolderStore;
using LfsS3Agent.S3;
using Microsoft.Extensions.Logging;

namespace LfsS3Agent;

/// <summary>Picks the store that <c>lfs-s3.store</c> names: S3 (the default) or a <c>file://</c> folder.</summary>
public sealed class StoreFactory(ILoggerFactory? loggers = null) : IObjectStoreFactory
{
    private readonly S3ObjectStoreFactory _s3 = new(loggers?.CreateLogger("LfsS3Agent.S3"));
    private readonly FolderObjectStoreFactory _folder = new(loggers?.CreateLogger("LfsS3Agent.FolderStore"));

    public IObjectStore Create(AgentSettings settings) => Pick(settings).Create(settings);

    public IStoreDiagnostics Diagnostics(AgentSettings settings) => Pick(settings).Diagnostics(settings);

    public IReadOnlyDictionary<string, string> Implied(AgentSettings settings) => Pick(settings).Implied(settings);

    public IReadOnlyList<StoreFact> Describe(AgentSettings settings) => Pick(settings).Describe(settings);

    private IObjectStoreFactory Pick(AgentSettings settings) => settings.FolderStore is null ? _s3 : _folder;
}
