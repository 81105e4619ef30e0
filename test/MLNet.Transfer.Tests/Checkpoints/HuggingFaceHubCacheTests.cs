using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Tests.Reliability;

namespace MLNet.Transfer.Tests.Checkpoints;

/// <summary>
/// Model ids resolve offline from a Hugging Face hub cache laid out as huggingface_hub writes it (refs/main naming a
/// commit, snapshots/&lt;commit&gt;/ holding symbolic links into blobs/).
/// </summary>
[Category("Unit")]
[NonParallelizable] // sets HF_HUB_CACHE / HF_HOME for the process
public class HuggingFaceHubCacheTests
{
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";
    private static readonly string[] Texts = ["The food was great.", "Cold soup, slow service."];

    private TempDirectory _temp = null!;
    private string _cache = null!;
    private readonly Dictionary<string, string?> _saved = new();

    [SetUp]
    public void SetUp()
    {
        _temp = TestModels.TempDir();
        _cache = Path.Combine(_temp.Path, "hub");
        foreach (string variable in new[] { "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME" })
        {
            _saved[variable] = Environment.GetEnvironmentVariable(variable);
            Environment.SetEnvironmentVariable(variable, null);
        }
        Environment.SetEnvironmentVariable("HF_HUB_CACHE", _cache);
    }

    [TearDown]
    public void TearDown()
    {
        foreach (var (variable, value) in _saved) Environment.SetEnvironmentVariable(variable, value);
        _temp.Dispose();
    }

    /// <summary>Writes the tiny encoder into the cache as org/name at <see cref="Commit"/>; files are links into blobs/, as the hub does.</summary>
    private string CacheTinyModel(string org, string name, bool withRefs = true)
    {
        string repository = Path.Combine(_cache, $"models--{org}--{name}");
        string source = Path.Combine(_temp.Path, "source");
        using (var encoder = TinyPipelines.NewEncoder()) encoder.Save(source);
        string snapshot = Path.Combine(repository, "snapshots", Commit);
        Directory.CreateDirectory(snapshot);
        Directory.CreateDirectory(Path.Combine(repository, "blobs"));
        foreach (string file in Directory.GetFiles(source))
        {
            string blob = Path.Combine(repository, "blobs", Guid.NewGuid().ToString("N"));
            File.Copy(file, blob);
            File.CreateSymbolicLink(Path.Combine(snapshot, Path.GetFileName(file)), Path.Combine("..", "..", "blobs", Path.GetFileName(blob)));
        }
        if (withRefs)
        {
            Directory.CreateDirectory(Path.Combine(repository, "refs"));
            File.WriteAllText(Path.Combine(repository, "refs", "main"), Commit);
        }
        return source;
    }

    [TestCase("acme/tiny-bert", true)]
    [TestCase("acme/tiny-bert@main", true)]
    [TestCase("acme/tiny-bert@" + Commit, true)]
    [TestCase("acme/tiny-bert", false)] // a copied cache without refs/: its only snapshot
    public void AModelIdLoadsTheCachedSnapshotAndKeepsTheIdAsName(string id, bool withRefs)
    {
        string source = CacheTinyModel("acme", "tiny-bert", withRefs);
        using var fromCache = PretrainedEncoder.Load(id);
        using var fromDirectory = PretrainedEncoder.Load(source);
        Assert.That(fromCache.Name, Is.EqualTo(id));
        var expected = fromDirectory.Embed(Texts, new EmbeddingSettings());
        var actual = fromCache.Embed(Texts, new EmbeddingSettings());
        for (int i = 0; i < Texts.Length; i++) Assert.That(actual[i], Is.EqualTo(expected[i]));
    }

    [Test]
    public void AnUncachedRevisionIsRefusedListingTheCachedSnapshots()
    {
        CacheTinyModel("acme", "tiny-bert");
        var error = Assert.Throws<DirectoryNotFoundException>(() => PretrainedEncoder.Load("acme/tiny-bert@v2"));
        Assert.That(error!.Message, Does.Contain("revision 'v2'").And.Contain(Commit));
    }

    [Test]
    public void AnUncachedIdNamesWhereItLookedAndThatNothingIsDownloaded()
    {
        var error = Assert.Throws<ArgumentException>(() => PretrainedEncoder.Load("acme/not-there"));
        Assert.That(error!.Message, Does.Contain(Path.Combine(_cache, "models--acme--not-there")).And.Contain("nothing is downloaded"));
    }

    [Test]
    public void AnExistingRelativeDirectoryWinsOverTheCache()
    {
        CacheTinyModel("acme", "tiny-bert");
        Assert.That(PretrainedEncoder.LocalDirectory(_temp.Path), Is.EqualTo(_temp.Path));
        Assert.That(PretrainedEncoder.LocalDirectory("minilm"), Is.EqualTo("minilm"));
        Assert.That(HuggingFaceHubCache.IsModelId("./acme/tiny-bert"), Is.False);
        Assert.That(HuggingFaceHubCache.IsModelId("../models/x"), Is.False);
        Assert.That(HuggingFaceHubCache.IsModelId("/abs/path"), Is.False);
    }

    [Test]
    public void TheCacheFolderFollowsHuggingFaceHubsEnvironmentRules()
    {
        Assert.That(HuggingFaceHubCache.CacheDirectory, Is.EqualTo(_cache));
        Environment.SetEnvironmentVariable("HF_HUB_CACHE", null);
        Environment.SetEnvironmentVariable("HF_HOME", "/srv/hf");
        Assert.That(HuggingFaceHubCache.CacheDirectory, Is.EqualTo("/srv/hf/hub"));
        Environment.SetEnvironmentVariable("HF_HOME", null);
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", "/srv/cache");
        Assert.That(HuggingFaceHubCache.CacheDirectory, Is.EqualTo("/srv/cache/huggingface/hub"));
        Environment.SetEnvironmentVariable("XDG_CACHE_HOME", null);
        Assert.That(HuggingFaceHubCache.CacheDirectory,
            Is.EqualTo(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "huggingface", "hub")));
    }
}
