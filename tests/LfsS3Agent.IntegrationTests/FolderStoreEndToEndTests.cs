namespace LfsS3Agent.IntegrationTests;

/// <summary>The same user flow on the folder store (file:///path): no S3 account needed.</summary>
public sealed class FolderStoreEndToEndTests
{
    [Fact]
    public void FolderStore_PushEditCloneCheckoutOld_ReadableLayoutAndEveryVersion()
    {
        using var box = new Sandbox();
        var store = Path.Combine(box.Root, "shared drive", "assets");
        Directory.CreateDirectory(store);
        var work = box.CreateRepositoryWith("*.pdf", "--store", new Uri(store).AbsoluteUri, "--prefix", "my-repo");
        var v1 = Sandbox.WriteRandom(work, "documents/lease.pdf", 90_000, 1);
        box.CommitAndPush(work, "v1");
        var v2 = Sandbox.WriteRandom(work, "documents/lease.pdf", 95_000, 2);
        box.Git(work, "commit", "-q", "-am", "v2").AssertOk();

        box.Git(work, "push", "-q", "origin", "main").AssertOk();

        Assert.Equal(v2, File.ReadAllBytes(Path.Combine(store, "my-repo", "documents", "lease.pdf")));
        Assert.Equal(2, Directory.GetFiles(Path.Combine(store, ".lfs-s3-versions", "my-repo", "documents", "lease.pdf"), "*.oid").Length);
        var clone = Path.Combine(box.Root, "clone");
        box.Git(box.Root, "clone", "-q", box.Origin, clone).AssertOk();
        Assert.Equal(v2, File.ReadAllBytes(Path.Combine(clone, "documents", "lease.pdf")));
        box.Git(clone, "checkout", "-q", "HEAD~1").AssertOk();
        Assert.Equal(v1, File.ReadAllBytes(Path.Combine(clone, "documents", "lease.pdf")));
    }
}
