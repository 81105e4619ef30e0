using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.AI;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Tests.MLNetIntegration;
using MLNet.Transfer.Tests.Reliability;

namespace MLNet.Transfer.Tests.AI;

/// <summary>Where a generator comes from: a saved ML.NET model, a model directory, the DI container, the embedded models.</summary>
public class EmbeddingGeneratorSourcesTests
{
    private static readonly string[] Texts = [.. TextRows.SampleTexts, "The staff were friendly.", "Never again."];

    private static float[][] Vectors(GeneratedEmbeddings<Embedding<float>> embeddings) => [.. embeddings.Select(e => e.Vector.ToArray())];

    [Category("Unit")]
    [Test]
    public async Task ASavedModelWithContextualEmbeddingsGivesTheModelsVectors()
    {
        using var temp = TestModels.TempDir();
        using var encoder = TinyPipelines.NewEncoder();
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(Texts.Select(t => new TextRow { Text = t }).ToList());
        var model = mlContext.Transforms.CopyColumns("Original", "Text")
            .Append(mlContext.Transforms.Text.ApplyContextualEmbeddings(new ContextualEmbeddingOptions
            {
                Encoder = encoder, Layers = [0, -1], Combination = LayerCombination.Concatenate, Pooling = PoolingMode.Max,
                Normalize = true, MaxTokens = 40, BatchSize = 4, OutputColumnName = "Embedding",
            }))
            .Fit(data);
        var expected = model.Transform(data).GetColumn<float[]>("Embedding").ToArray();
        Assert.That(expected.Select(v => v[0]).Distinct().Count(), Is.GreaterThan(Texts.Length / 2), "varied vectors, or the comparison proves nothing");
        string zip = Path.Combine(temp.Path, "model.zip");
        mlContext.Model.Save(model, data.Schema, zip);

        using var generator = TransferEmbeddingGenerator.FromModelFile(zip);
        Assert.That(generator.Settings, Is.EqualTo(new EmbeddingSettings
        {
            Layers = generator.Settings.Layers, Combination = LayerCombination.Concatenate, Pooling = PoolingMode.Max,
            Normalize = true, MaxTokens = 40, BatchSize = 4,
        }));
        Assert.That(generator.Settings.Layers, Is.EqualTo(new[] { 0, -1 }));
        Assert.That(generator.Dimensions, Is.EqualTo(64));
        Assert.That(generator.Metadata.DefaultModelId, Is.EqualTo("tiny-random"));
        Assert.That(Vectors(await generator.GenerateAsync(Texts)), Is.EqualTo(expected));

        using var loaded = TransferEmbeddingGenerator.Load(zip);
        Assert.That(Vectors(await loaded.GenerateAsync(Texts)), Is.EqualTo(expected));
        Assert.That(() => TransferEmbeddingGenerator.Load(zip, new EmbeddingSettings()), Throws.ArgumentException.With.Message.Contains("carries its own embedding settings"));
        Assert.That(() => TransferEmbeddingGenerator.FromModelFile(zip, "Features"), Throws.ArgumentException.With.Message.Contains("'Embedding'"));
    }

    [Category("Unit")]
    [Test]
    public void ModelsWithoutOneVectorPerTextAreRefusedClearly()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(Texts.Select(t => new TextRow { Text = t }).ToList());
        string zip = Path.Combine(temp.Path, "copy.zip");
        mlContext.Model.Save(mlContext.Transforms.CopyColumns("Original", "Text").Fit(data), data.Schema, zip);
        Assert.That(() => TransferEmbeddingGenerator.FromModelFile(zip), Throws.ArgumentException.With.Message.Contains("contains no contextual embeddings"));

        using var encoder = TinyPipelines.NewEncoder();
        var tokenLevel = mlContext.Transforms.Text.ApplyContextualEmbeddings(new ContextualEmbeddingOptions { Encoder = encoder, TokenLevel = true }).Fit(data);
        Assert.That(() => TransferEmbeddingGenerator.FromTransformer(tokenLevel), Throws.ArgumentException.With.Message.Contains("token-level"));
        var pairs = mlContext.Transforms.Text.ApplyContextualEmbeddings(new ContextualEmbeddingOptions { Encoder = encoder, SecondInputColumnName = "Text" }).Fit(data);
        Assert.That(() => TransferEmbeddingGenerator.FromTransformer(pairs), Throws.ArgumentException.With.Message.Contains("sentence pairs"));
    }

    [Category("Unit")]
    [Test]
    public async Task DependencyInjectionResolvesOneGeneratorPerKeyAndDisposesIt()
    {
        using var temp = TestModels.TempDir();
        string directory = TestModels.TinyModelDirectory(temp.Path);
        var settings = new EmbeddingSettings { Pooling = PoolingMode.Cls, MaxTokens = 32 };
        var services = new ServiceCollection()
            .AddTransferEmbeddingGenerator(directory, o => o.Settings = settings)
            .AddKeyedTransferEmbeddingGenerator("mean", directory);

        float[][] expected;
        using (var direct = TransferEmbeddingGenerator.Load(directory, settings))
            expected = Vectors(await direct.GenerateAsync(Texts));

        IEmbeddingGenerator<string, Embedding<float>> resolved;
        using (var provider = services.BuildServiceProvider())
        {
            resolved = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
            Assert.That(resolved, Is.InstanceOf<TransferEmbeddingGenerator>());
            Assert.That(provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>(), Is.SameAs(resolved));
            Assert.That(Vectors(await resolved.GenerateAsync(Texts)), Is.EqualTo(expected));
            Assert.That(resolved.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelId, Is.EqualTo(directory));

            var keyed = (TransferEmbeddingGenerator)provider.GetRequiredKeyedService<IEmbeddingGenerator<string, Embedding<float>>>("mean");
            Assert.That(keyed, Is.Not.SameAs(resolved));
            Assert.That(keyed.Settings.Pooling, Is.EqualTo(PoolingMode.Mean));
        }
        Assert.That(() => resolved.GenerateAsync(Texts), Throws.InstanceOf<ObjectDisposedException>(), "the container disposes its singleton");

        var unknown = new ServiceCollection().AddTransferEmbeddingGenerator("no-such-model").BuildServiceProvider();
        Assert.That(() => unknown.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>(), Throws.ArgumentException.With.Message.Contains("no-such-model"));
    }

    [Category("Integration")]
    [Test]
    public async Task EmbeddedModelsGiveTheSentenceTransformersReferenceWithTheirOwnDefaults()
    {
        // The reference vectors of ReferenceEmbeddingTests: MiniLM mean-pooled, arctic-embed CLS-pooled, both L2-normalised.
        using var miniLm = TransferEmbeddingGenerator.Load("minilm");
        Assert.That(miniLm.Metadata.DefaultModelId, Is.EqualTo("minilm"));
        Assert.That(miniLm.Metadata.DefaultModelDimensions, Is.EqualTo(384));
        var vector = (await miniLm.GenerateVectorAsync("This is an example sentence")).ToArray();
        Assert.That(vector, Has.Length.EqualTo(384));
        Assert.That(vector[..5], Is.EqualTo(new[] { 0.0677f, 0.0635f, 0.0487f, 0.0793f, 0.0374f }).Within(1e-4f));

        using var arctic = new TransferEmbeddingGenerator(TestModels.Arctic);
        var hello = (await arctic.GenerateVectorAsync("hello world")).ToArray();
        Assert.That(hello[..5], Is.EqualTo(new[] { 0.0093f, 0.0620f, 0.0196f, 0.0091f, -0.0114f }).Within(1e-4f));
    }
}
