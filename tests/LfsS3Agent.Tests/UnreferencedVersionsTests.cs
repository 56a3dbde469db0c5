using System.Security.Cryptography;
using System.Text;
using LfsS3Agent.Core.Objects;
using LfsS3Agent.Core.Settings;
using Microsoft.Extensions.Logging.Abstractions;

namespace LfsS3Agent.Tests;

/// <summary>What prune would delete, against a real folder store, real SQLite and real git history.</summary>
public sealed class UnreferencedVersionsTests : IDisposable
{
    private readonly TempGitRepo _repo = new();
    private readonly string _storeDir;
    private readonly ProcessEnvironment _environment;

    public UnreferencedVersionsTests()
    {
        _storeDir = Directory.CreateDirectory(_repo.Root + "-store").FullName;
        _environment = new ProcessEnvironment(_repo.Root, new Dictionary<string, string> { ["LFS_S3_STORE"] = new Uri(_storeDir).AbsoluteUri });
    }

    private static (string Oid, byte[] Bytes) Content(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return (Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes);
    }

    private void CommitPointer(string path, (string Oid, byte[] Bytes) content)
    {
        _repo.WriteFile(path, TempGitRepo.Pointer(content.Oid, content.Bytes.Length));
        _repo.Commit("add " + path);
    }

    private static async Task<string> PutAsync(Workspace workspace, string key, (string Oid, byte[] Bytes) content)
    {
        var file = Path.GetTempFileName();
        await File.WriteAllBytesAsync(file, content.Bytes);
        var version = await workspace.Store.UploadAsync(key, file, content.Bytes.Length, content.Oid, NoProgress.Instance, CancellationToken.None);
        File.Delete(file);
        return version;
    }

    private static Task<PrunePlan> PlanAsync(Workspace workspace, TimeSpan grace, List<string> notStored) =>
        new UnreferencedVersions(workspace.Store, workspace.Layout, workspace.Mapping, workspace.CreateLocator(NullLogger.Instance))
            .PlanAsync(grace, ["HEAD"], HistoryBeyond.None, notStored.Add, CancellationToken.None);

    [Fact]
    public async Task Plan_OldVersionNothingNeeds_OnlyCandidate()
    {
        var current = Content("the signed contract");
        CommitPointer("docs/a.txt", current);
        using var workspace = await Workspace.OpenAsync(_environment, new StoreFactory(), CancellationToken.None);
        var draft = await PutAsync(workspace, "docs/a.txt", Content("an early draft nobody committed"));
        await PutAsync(workspace, "docs/a.txt", current);
        await PutAsync(workspace, "docs/copy.txt", current);
        await PutAsync(workspace, ".git/probe", Content("doctor's probe"));
        var notStored = new List<string>();

        var plan = await PlanAsync(workspace, TimeSpan.Zero, notStored);

        Assert.Empty(notStored);
        Assert.Equal(1, plan.HistoryObjects);
        var candidate = Assert.Single(plan.Versions);
        Assert.Equal(("docs/a.txt", draft), (candidate.Version.Key, candidate.Version.VersionId));
        Assert.Equal(Content("an early draft nobody committed").Oid, candidate.Oid);
        Assert.Equal(candidate.Version.Size, plan.Bytes);
    }

    [Fact]
    public async Task Plan_WithinGracePeriod_KeptAsYoung()
    {
        var current = Content("the signed contract");
        CommitPointer("docs/a.txt", current);
        using var workspace = await Workspace.OpenAsync(_environment, new StoreFactory(), CancellationToken.None);
        await PutAsync(workspace, "docs/a.txt", Content("an early draft nobody committed"));
        await PutAsync(workspace, "docs/a.txt", current);

        var plan = await PlanAsync(workspace, TimeSpan.FromHours(1), []);

        Assert.Empty(plan.Versions);
        Assert.Equal(1, plan.KeptYoung);
    }

    [Fact]
    public async Task Plan_HistoryObjectNotStored_NamedAndNothingPlanned()
    {
        CommitPointer("docs/a.txt", Content("only on the author's machine"));
        using var workspace = await Workspace.OpenAsync(_environment, new StoreFactory(), CancellationToken.None);
        await PutAsync(workspace, "docs/old.txt", Content("something old"));
        var notStored = new List<string>();

        var plan = await PlanAsync(workspace, TimeSpan.Zero, notStored);

        Assert.StartsWith("docs/a.txt (", Assert.Single(notStored));
        Assert.Empty(plan.Versions);
    }

    public void Dispose()
    {
        _repo.Dispose();
        try
        {
            Directory.Delete(_storeDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
