using Microsoft.ML.OnnxRuntime;
using MLNet.Transfer.Onnx;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using static MLNet.Transfer.Tests.Onnx.OnnxTestModels;

namespace MLNet.Transfer.Tests.Onnx;

/// <summary>The real embedded all-MiniLM-L6-v2 exported by us: sentence embeddings and fresh task heads match TorchSharp in ONNX Runtime.</summary>
[Category("Integration")]
public class OnnxMiniLmExportTests
{
    /// <summary>Twenty real sentences of mixed length and domain (unicode included).</summary>
    internal static readonly string[] Sentences =
    [
        "This is an example sentence", "hello world", "The plot was thin, but the acting carried the whole film.",
        "Battery life is terrible; it barely lasts half a day.", "I would not recommend this restaurant to anyone.",
        "Absolutely loved it!", "Meh.", "The service was slow and the food arrived cold, which was disappointing after such a long wait.",
        "Great value for the price, works exactly as described.", "Is this the worst phone I have ever owned? Possibly.",
        "The soundtrack is beautiful and the cinematography stunning.", "Customer support never answered my emails.",
        "Café au lait and a croissant — perfect morning ☕", "It broke after two weeks of normal use.",
        "A charming, funny and surprisingly moving story about family.", "Not bad at all.", "The screen scratches far too easily.",
        "Friendly staff, clean rooms, and a great location near the station.",
        "Long, boring, and predictable: I checked my watch every ten minutes during the second half of this movie.", "Five stars.",
    ];

    [Test]
    public void MiniLmSentenceEmbeddingsAndTwoFreshHeadsMatchTorchSharp()
    {
        var encoder = TestModels.MiniLm;
        var settings = new EmbeddingSettings { Pooling = PoolingMode.Mean, Normalize = true, MaxTokens = 128 };
        var items = Sentences.Select(s => encoder.Tokenizer.Encode(s, 128)).ToList();
        var batch = Pad(items, encoder.Tokenizer.PadId);
        Assert.That(items.Select(i => i.Length).Distinct().Count(), Is.GreaterThan(10), "lengths differ, so the batch is padded");

        var expected = encoder.Embed(Sentences, settings);
        var embedded = Run(Bytes(s => encoder.WriteOnnx(s, settings)), batch)[OnnxExport.SentenceEmbedding];
        var actual = Enumerable.Range(0, Sentences.Length).Select(r => Row(embedded, r)).ToArray();
        Assert.That(actual[0].Take(5), Is.EqualTo(new[] { 0.0677f, 0.0635f, 0.0487f, 0.0793f, 0.0374f }).Within(1e-4), "published reference vector");
        double embeddingDiff = MaxAbsDiff(expected, actual);
        TestContext.Out.WriteLine($"MiniLM sentence_embedding: max |ORT − Embed| = {embeddingDiff:E2}");
        Assert.That(embeddingDiff, Is.LessThanOrEqualTo(1e-4));

        using var copy = encoder.Clone();
        TaskSpec[] tasks = [new("sentiment", TaskKind.Binary, 1), new("topic", TaskKind.Multiclass, 4)];
        using var model = new TransferModel(copy.Model, tasks, PoolingMode.Cls, 0);
        Perturb(model.Head("sentiment"));
        Perturb(model.Head("topic"));
        model.eval();
        var logits = new TaskPredictor(model, encoder.Tokenizer.PadId, batchSize: 8).Predict(items);
        using var session = new InferenceSession(Bytes(s => OnnxExport.Write(model, s)));
        var outputs = Run(session, batch);
        for (int t = 0; t < tasks.Length; t++)
        {
            var output = outputs[OnnxExport.OutputName(tasks[t], tasks.Length)];
            double diff = MaxAbsDiff(logits[t], Enumerable.Range(0, Sentences.Length).Select(r => Row(output, r)));
            TestContext.Out.WriteLine($"MiniLM + fresh head {tasks[t].Name}: max |ORT − TorchSharp| = {diff:E2}");
            Assert.That(diff, Is.LessThanOrEqualTo(1e-4), tasks[t].Name);
        }
    }
}
