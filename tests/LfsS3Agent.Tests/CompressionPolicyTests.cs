using System.IO.Compression;
using System.Text;
using LfsS3Agent.Core.Objects;
using LfsS3Agent.Core.Settings;

namespace LfsS3Agent.Tests;

public sealed class CompressionPolicyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lfs-s3-compress-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static CompressionPolicy Policy(string? compress, string? minSaving = null)
    {
        var values = new Dictionary<string, SettingValue>();
        if (compress is not null)
        {
            values[SettingNames.Compress.GitKey] = new SettingValue(compress, "test");
        }

        if (minSaving is not null)
        {
            values[SettingNames.CompressMinSaving.GitKey] = new SettingValue(minSaving, "test");
        }

        return CompressionPolicy.From(new AgentSettings(values));
    }

    private string Write(string name, byte[] content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, content);
        return path;
    }

    private static byte[] Text(int lines) =>
        Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, lines).Select(i => $"{i},row number {i % 97},ok\n")));

    private static byte[] Noise(int size)
    {
        var data = new byte[size];
        new Random(size).NextBytes(data);
        return data;
    }

    [Theory]
    [InlineData("*.csv", "data/table.csv", true)]
    [InlineData("*.csv", "table.csv", true)]
    [InlineData("*.csv", "data/table.csv.bin", false)]
    [InlineData("*.csv *.json", "a/b/c.json", true)]
    [InlineData("*.csv,*.json", "c.json", true)]
    [InlineData("data/*.csv", "data/t.csv", true)]
    [InlineData("data/*.csv", "other/t.csv", false)]
    [InlineData("/data/*", "data/t.csv", true)]
    [InlineData("*.CSV", "t.csv", false)]
    [InlineData("auto", "t.csv", false)]
    [InlineData("none", "t.csv", false)]
    public void Matches_Patterns_LikeGitattributesFileNamesAndPaths(string setting, string path, bool expected) =>
        Assert.Equal(expected, Policy(setting).Matches(path));

    [Fact]
    public void Enabled_NothingOrNone_IsOff()
    {
        Assert.False(Policy(null).Enabled);
        Assert.False(Policy("none").Enabled);
        Assert.True(Policy("auto").Enabled);
        Assert.True(Policy("*.txt").Enabled);
    }

    [Fact]
    public async Task CompressAsync_PatternText_WritesAGzipOfTheFile()
    {
        var text = Text(20_000);
        var file = Write("t.csv", text);

        var gzip = await Policy("*.csv").CompressAsync("t.csv", file, text.Length, Path.Combine(_dir, "tmp"), default);

        Assert.NotNull(gzip);
        Assert.True(new FileInfo(gzip).Length < text.Length / 4);
        using var inflate = new GZipStream(File.OpenRead(gzip), CompressionMode.Decompress);
        using var back = new MemoryStream();
        inflate.CopyTo(back);
        Assert.Equal(text, back.ToArray());
    }

    [Fact]
    public async Task CompressAsync_AutoOnNoiseAndPatternOnNoise_StoresAsIsAndLeavesNoFile()
    {
        var noise = Noise(400_000);
        var file = Write("n.bin", noise);
        var tmp = Path.Combine(_dir, "tmp");

        var auto = await Policy("auto").CompressAsync("n.bin", file, noise.Length, tmp, default);
        var pattern = await Policy("*.bin").CompressAsync("n.bin", file, noise.Length, tmp, default);

        Assert.Null(auto);
        Assert.Null(pattern);
        Assert.Empty(Directory.Exists(tmp) ? Directory.GetFiles(tmp) : []);
    }

    [Fact]
    public async Task CompressAsync_AutoOnTextWithoutPath_Compresses()
    {
        var text = Text(50_000);
        var file = Write("orphan", text);

        Assert.NotNull(await Policy("auto").CompressAsync(null, file, text.Length, _dir, default));
        Assert.Null(await Policy("*.csv").CompressAsync(null, file, text.Length, _dir, default));
    }

    [Fact]
    public async Task CompressAsync_MinSavingAboveWhatGzipSaves_StoresAsIs()
    {
        var hex = Encoding.ASCII.GetBytes(Convert.ToHexString(Noise(100_000))); // gzip saves a bit under half

        var file = Write("h.txt", hex);

        Assert.NotNull(await Policy("*.txt", "30%").CompressAsync("h.txt", file, hex.Length, _dir, default));
        Assert.Null(await Policy("*.txt", "0.6").CompressAsync("h.txt", file, hex.Length, _dir, default));
    }

    [Theory]
    [InlineData("110%")]
    [InlineData("-1")]
    [InlineData("lots")]
    public void MinSaving_Invalid_SaysWhatItExpects(string value)
    {
        var ex = Assert.Throws<LfsS3Exception>(() => Policy("*.txt", value));
        Assert.Contains("10% or 0.1", ex.Message);
    }
}
