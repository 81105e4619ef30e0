using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Text;
using static MLNet.Transfer.Tests.Onnx.OnnxTestModels;

namespace MLNet.Transfer.Tests.Onnx;

/// <summary>
/// ML.NET transformers exported with <c>mlContext.Model.ExportTransferModelToOnnx</c> and run with ML.NET's own
/// <c>ApplyOnnxModel</c> (one padded row at a time) give the columns our transformers give, within 1e-4.
/// </summary>
[Category("Unit")]
public class OnnxMlNetExportTests
{
    private const int Tokens = 16;
    private const double Tolerance = 1e-4;

    public sealed class ReviewRow
    {
        public string Text { get; set; } = "";
        public float Sentiment { get; set; }
        public string Topic { get; set; } = "";
    }

    /// <summary>Token columns as ML.NET's OnnxTransformer reads them: one fixed-length padded row per text.</summary>
    public sealed class TokenRow
    {
        [VectorType(Tokens)] public long[] input_ids { get; set; } = [];
        [VectorType(Tokens)] public long[] attention_mask { get; set; } = [];
        [VectorType(Tokens)] public long[] token_type_ids { get; set; } = [];
    }

    private static readonly string[] Topics = ["food", "film", "phone"];

    private static string TinyModelDirectory(string root)
    {
        string dir = Path.Combine(root, "tiny");
        using var bert = TinyBert(seed: 21);
        HuggingFaceDirectory.Write(dir, bert.Config, bert.state_dict(), Vocabulary);
        return dir;
    }

    private static IDataView Tokenized(MLContext mlContext, BertWordPieceTokenizer tokenizer, IEnumerable<string> texts) =>
        mlContext.Data.LoadFromEnumerable(texts.Select(t =>
        {
            var padded = Pad([tokenizer.Encode(t, Tokens)], tokenizer.PadId);
            var row = new TokenRow { input_ids = new long[Tokens], attention_mask = new long[Tokens], token_type_ids = new long[Tokens] };
            Array.Fill(row.input_ids, tokenizer.PadId);
            padded.InputIds.CopyTo(row.input_ids, 0);
            padded.AttentionMask.CopyTo(row.attention_mask, 0);
            padded.TokenTypeIds.CopyTo(row.token_type_ids, 0);
            return row;
        }).ToList());

    private static IEstimator<ITransformer> ApplyOnnx(MLContext mlContext, string path, params string[] outputs) =>
        mlContext.Transforms.ApplyOnnxModel(outputs, ["input_ids", "attention_mask", "token_type_ids"], path,
            new Dictionary<string, int[]>
            {
                ["input_ids"] = [1, Tokens], ["attention_mask"] = [1, Tokens], ["token_type_ids"] = [1, Tokens],
            }, gpuDeviceId: null, fallbackToCpu: false, recursionLimit: 100);

    private static float[][] Column(IDataView data, string name) => data.Schema[name].Type is VectorDataViewType
        ? data.GetColumn<float[]>(name).ToArray()
        : data.GetColumn<float>(name).Select(v => new[] { v }).ToArray();

    [Test]
    public void MultiTaskFineTunedModelRunsInApplyOnnxModelWithTheSameScores()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(seed: 1);
        var texts = Texts.Concat(Enumerable.Range(0, 14).Select(i => $"the {Topics[i % 3]} was {(i % 2 == 0 ? "great" : "awful")}")).ToArray();
        var data = mlContext.Data.LoadFromEnumerable(texts.Select((t, i) => new ReviewRow { Text = t, Sentiment = i % 2, Topic = Topics[i % 3] }).ToList());
        var options = new MultiTaskFineTuneOptions
        {
            // One Tokens-long head window per text, as the exported graph sees it (the data-aware defaults would pick
            // head+tail truncation and averaged prediction windows here, since one text is longer than Tokens).
            Model = TinyModelDirectory(temp.Path), Epochs = 1, BatchSize = 4, MaxTokens = Tokens, Truncation = TruncationStrategy.Head, PredictionWindowStride = 0,
            Tasks =
            [
                new TextTaskOptions { Name = "sentiment", Kind = TaskKind.Binary, LabelColumnName = "Sentiment" },
                new TextTaskOptions { Name = "topic", Kind = TaskKind.Multiclass, LabelColumnName = "Topic" },
            ],
        };
        var model = mlContext.Transforms.Text.FineTuneMultiTask(options).Fit(data);
        var scored = model.Transform(data);

        string path = Path.Combine(temp.Path, "multitask.onnx");
        mlContext.Model.ExportTransferModelToOnnx(model, path);
        Assert.That(Directory.GetFiles(temp.Path), Is.EquivalentTo(new[] { path }), "no temp file is left beside the model");

        var tokens = Tokenized(mlContext, model.Encoder.Tokenizer, texts);
        var onnx = ApplyOnnx(mlContext, path, "sentiment.logits", "sentiment.probabilities", "topic.probabilities").Fit(tokens).Transform(tokens);
        var pairs = new[] { ("sentiment.Score", "sentiment.logits"), ("sentiment.Probability", "sentiment.probabilities"), ("topic.Score", "topic.probabilities") };
        // The export carries raw logits; ML.NET's binary Score is the logit minus the task's decision threshold (tuned
        // for imbalanced data, 0 otherwise), which the ONNX file records in its metadata.
        float threshold = model.TaskOutputs[0].Threshold;
        foreach (var (ours, exported) in pairs)
        {
            var expected = Column(onnx, exported);
            if (ours == "sentiment.Score") expected = expected.Select(v => v.Select(x => x - threshold).ToArray()).ToArray();
            double diff = MaxAbsDiff(Column(scored, ours), expected);
            TestContext.Out.WriteLine($"{ours} vs ApplyOnnxModel {exported}: max abs diff {diff:E2}");
            Assert.That(diff, Is.LessThanOrEqualTo(Tolerance), ours);
        }
    }

    [Test]
    public void EmbeddingsInASavedPipelineExportFromTheLoadedModelAndMatchInApplyOnnxModel()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(seed: 1).RegisterTransferComponents();
        var data = mlContext.Data.LoadFromEnumerable(Texts.Select((t, i) => new ReviewRow { Text = t, Sentiment = i % 2 }).ToList());
        var pipeline = mlContext.Transforms.Text.ApplyContextualEmbeddings(new ContextualEmbeddingOptions
            {
                InputColumnName = "Text", OutputColumnName = "Features", Model = TinyModelDirectory(temp.Path),
                Pooling = PoolingMode.Cls, Layers = [-1, -2], Normalize = true, MaxTokens = Tokens,
            })
            .Append(mlContext.Transforms.Conversion.ConvertType("Label", "Sentiment", DataKind.Boolean))
            .Append(mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression(featureColumnName: "Features"));
        string zip = Path.Combine(temp.Path, "pipeline.zip");
        mlContext.Model.Save(pipeline.Fit(data), data.Schema, zip);

        var loaded = mlContext.Model.Load(zip, out _);
        string path = Path.Combine(temp.Path, "embeddings.onnx");
        mlContext.Model.ExportTransferModelToOnnx(loaded, path);

        var embeddings = (ContextualEmbeddingTransformer)((IEnumerable<ITransformer>)loaded).First();
        var tokens = Tokenized(mlContext, embeddings.Encoder.Tokenizer, Texts);
        var onnx = ApplyOnnx(mlContext, path, "sentence_embedding").Fit(tokens).Transform(tokens);
        double diff = MaxAbsDiff(Column(loaded.Transform(data), "Features"), Column(onnx, "sentence_embedding"));
        TestContext.Out.WriteLine($"Features vs ApplyOnnxModel sentence_embedding: max abs diff {diff:E2}");
        Assert.That(diff, Is.LessThanOrEqualTo(Tolerance));
    }

    [Test]
    public void AFailedExportLeavesThePreviousFileAndNoTempFile()
    {
        using var temp = TestModels.TempDir();
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(new[] { new ReviewRow { Text = "the film" } });
        var tokenLevel = mlContext.Transforms.Text.ApplyContextualEmbeddings(new ContextualEmbeddingOptions
        {
            InputColumnName = "Text", Model = TinyModelDirectory(temp.Path), TokenLevel = true, MaxTokens = Tokens,
        }).Fit(data);
        string path = Path.Combine(temp.Path, "model.onnx");
        File.WriteAllText(path, "previous");

        Assert.That(() => mlContext.Model.ExportTransferModelToOnnx(tokenLevel, path),
            Throws.InstanceOf<NotSupportedException>().With.Message.Contain("IncludeLastHiddenState"));
        Assert.That(File.ReadAllText(path), Is.EqualTo("previous"));
        Assert.That(Directory.GetFiles(temp.Path), Is.EquivalentTo(new[] { path }));
        var other = mlContext.Transforms.Conversion.ConvertType("Label", "Sentiment", DataKind.Boolean).Fit(data);
        Assert.That(() => mlContext.Model.ExportTransferModelToOnnx(other, path),
            Throws.ArgumentException.With.Message.Contain("no fine-tuned transformer, tagger or contextual embeddings"));
    }
}
