using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Tests.Text;
using MLNet.Transfer.Text;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Gpt1;

/// <summary>GPT-1's symmetric sentence-pair scoring as an option of the fine-tuning trainers (tiny random causal encoder).</summary>
[Category("Unit")]
public class SymmetricPairTrainingTests
{
    private sealed class PairRow
    {
        public string First { get; set; } = "";
        public string Second { get; set; } = "";
        public float Label { get; set; }
    }

    private static readonly string[] Words = ["red apple", "green tree", "blue sky over the sea", "a small dog barks", "the old car", "cold rain today", "bright sun", "quiet night in town"];

    private static List<PairRow> Rows(bool swapped = false) =>
    [
        .. Enumerable.Range(0, 16).Select(i =>
        {
            string a = Words[i % Words.Length], b = Words[(i * 3 + 1) % Words.Length];
            return new PairRow { First = swapped ? b : a, Second = swapped ? a : b, Label = i % 3 };
        }),
    ];

    private static FineTuneTransformerOptions Options(string model, bool symmetric, double auxiliary) => new()
    {
        Model = model, TextColumnName = "First", SecondTextColumnName = "Second", SymmetricPairs = symmetric, Epochs = 2, BatchSize = 4,
        Seed = 3, AuxiliaryLanguageModelWeight = auxiliary,
    };

    private static float[] Scores(MLContext ml, ITransformer model, IDataView data) =>
        [.. ml.Data.CreateEnumerable<ScoreRow>(model.Transform(data), reuseRowObject: false).Select(r => r.Score)];

    private sealed class ScoreRow
    {
        public float Score { get; set; }
    }

    // A causal encoder runs on LibTorch (the ONNX export covers bidirectional encoders), a bidirectional one on ONNX Runtime.
    [TestCase(true, InferenceEngine.LibTorch)]
    [TestCase(false, InferenceEngine.OnnxRuntime)]
    public void ASymmetricModelScoresAPairTheSameInEitherOrderOnEveryEngineAndAfterSaveLoad(bool causal, InferenceEngine engine)
    {
        using var temp = TestModels.TempDir();
        string dir = causal ? CausalTinyModel.Directory(temp.Path) : TestModels.TinyModelDirectory(temp.Path);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows());
        var swapped = ml.Data.LoadFromEnumerable(Rows(swapped: true));

        var symmetric = ml.Regression.Trainers.FineTuneTransformer(Options(dir, symmetric: true, auxiliary: causal ? 0.5 : 0)).Fit(data);
        Assert.That(symmetric.SymmetricPairs, Is.True);
        Assert.That(symmetric.InferenceEngine, Is.EqualTo(engine));
        var forward = Scores(ml, symmetric, data);
        Assert.That(forward.Distinct().Count(), Is.GreaterThan(4), "the pairs get varied scores, so equalities below mean something");
        Assert.That(Scores(ml, symmetric, swapped), Is.EqualTo(forward).Within(1e-4), "(a; b) and (b; a) score the same");
        Assert.That(Scores(ml, symmetric.WithInferenceEngine(InferenceEngine.LibTorch), swapped), Is.EqualTo(forward).Within(1e-4), "LibTorch agrees (with ONNX Runtime)");

        var ordered = ml.Regression.Trainers.FineTuneTransformer(Options(dir, symmetric: false, auxiliary: causal ? 0.5 : 0)).Fit(data);
        var orderedForward = Scores(ml, ordered, data);
        var orderedSwapped = Scores(ml, ordered, swapped);
        Assert.That(orderedForward.Zip(orderedSwapped).Max(p => Math.Abs(p.First - p.Second)), Is.GreaterThan(1e-3), "one ordering is order-sensitive");

        string zip = Path.Combine(temp.Path, "symmetric.zip");
        ml.Model.Save(symmetric, data.Schema, zip);
        var fresh = new MLContext(seed: 2).RegisterTransferComponents();
        var loaded = (FineTunedTextTransformer)fresh.Model.Load(zip, out _);
        Assert.That(loaded.SymmetricPairs, Is.True, "saved with the model");
        Assert.That(Scores(fresh, loaded, fresh.Data.LoadFromEnumerable(Rows(swapped: true))), Is.EqualTo(Scores(ml, symmetric, swapped)), "bit-identical after Save/Load");
        if (engine == InferenceEngine.OnnxRuntime)
            Assert.That(loaded.Encoder.IsMaterialized, Is.False, "on ONNX Runtime both orderings are combined with the head biases read from the file");
        Assert.That(() => symmetric.SaveAsOnnx(Path.Combine(temp.Path, "symmetric.onnx")),
            Throws.InstanceOf<NotSupportedException>().With.Message.Contain("SymmetricPairs"), "the one-pass ONNX file would score one ordering");
    }

    [Test]
    public void TheAuxiliaryWeightChangesSymmetricTrainingAndZeroTrainsWithoutIt()
    {
        using var temp = TestModels.TempDir();
        string dir = CausalTinyModel.Directory(temp.Path);
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadFromEnumerable(Rows());
        var withAuxiliary = Scores(ml, ml.Regression.Trainers.FineTuneTransformer(Options(dir, true, 0.5)).Fit(data), data);
        var without = Scores(ml, ml.Regression.Trainers.FineTuneTransformer(Options(dir, true, 0)).Fit(data), data);
        var withoutAgain = Scores(ml, ml.Regression.Trainers.FineTuneTransformer(Options(dir, true, 0)).Fit(data), data);
        Assert.That(withoutAgain, Is.EqualTo(without), "λ = 0 is deterministic for a seed");
        Assert.That(withAuxiliary.Zip(without).Max(p => Math.Abs(p.First - p.Second)), Is.GreaterThan(1e-4), "λ = 0.5 adds the language-model loss");
    }

    [Test]
    public void RunnersOutputsCombineToTheSummedFeatureForwardForEveryKind()
    {
        manual_seed(5);
        var encoder = new BertModel(TestModels.TinyConfig(31) with { IsDecoder = true, HiddenDropoutProb = 0, AttentionProbsDropoutProb = 0 });
        TaskSpec[] tasks = [new("b", TaskKind.Binary, 1), new("m", TaskKind.Multiclass, 3), new("r", TaskKind.Regression, 1) { TargetMean = 2.5, TargetStd = 4 }];
        using var model = new TransferModel(encoder, tasks, PoolingMode.Last, 0);
        using (no_grad()) foreach (var p in model.parameters().Where(p => p.dim() == 1)) nn.init.normal_(p, 0, 1); // non-zero biases, so the correction shows
        model.eval();
        var (forward, backward) = SymmetricPair.Encode(TestVocab.Small(), ["a b c d", "q r"], ["x y", "k l m n o"], 32);
        var combined = SymmetricPair.Predict(model, new TaskPredictor(model, 0), forward, backward);
        using var _ = no_grad();
        using var f = TokenBatch.Create(forward, 0, CPU);
        using var b = TokenBatch.Create(backward, 0, CPU);
        var reference = SymmetricPair.Forward(model, f, b);
        for (int t = 0; t < tasks.Length; t++)
        {
            var expected = reference[tasks[t].Name].data<float>().ToArray();
            if (tasks[t].Kind == TaskKind.Regression) expected = [.. expected.Select(v => (float)(v * 4 + 2.5))];
            Assert.That(combined[t].SelectMany(r => r).ToArray(), Is.EqualTo(expected).Within(1e-4), tasks[t].Name);
        }
    }

    [Test]
    public void SymmetricPairsWithoutASecondTextColumnIsRefusedByName()
    {
        var ml = new MLContext(seed: 1);
        var options = new FineTuneTransformerOptions { Model = "unused", TextColumnName = "First", SymmetricPairs = true };
        Assert.That(() => ml.Regression.Trainers.FineTuneTransformer(options).Fit(ml.Data.LoadFromEnumerable(Rows())),
            Throws.ArgumentException.With.Message.Contain("SecondTextColumnName"));
    }
}
