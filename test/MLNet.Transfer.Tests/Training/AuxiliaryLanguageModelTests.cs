using MLNet.Transfer.Encoders;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Bert;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Pretraining;
using MLNet.Transfer.Tests.Pretraining;
using MLNet.Transfer.Tests.Text;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Training;

/// <summary>GPT-1's auxiliary language-model loss during fine-tuning, on tiny random causal encoders.</summary>
[Category("Unit")]
public class AuxiliaryLanguageModelTests
{
    private static readonly FineTuneSettings Settings = new()
    {
        LearningRate = 3e-3, Epochs = 2, BatchSize = 8, MaxTokens = 32, Seed = 5, Pooling = PoolingMode.Last,
    };

    /// <summary>A causal (is_decoder) tiny BERT over the letter vocabulary with a language-model head tied to it, and a binary task.</summary>
    private static (TransferModel Model, BertLanguageModel LanguageModel) CausalModel(int seed = 1)
    {
        manual_seed(seed);
        var encoder = new BertModel(TestModels.TinyConfig(31) with { IsDecoder = true });
        var model = new TransferModel(encoder, [new TaskSpec("task", TaskKind.Binary, 1)], PoolingMode.Last, 0.1);
        return (model, new BertLanguageModel(encoder, LanguageModelObjective.CausalLm));
    }

    /// <summary>Alphabet runs labelled by whether they start in the first half of the alphabet.</summary>
    private static List<TrainingExample> Examples(int count, int seed)
    {
        var tokenizer = TestVocab.Small();
        return [.. TransformerLanguageModelTests.AlphabetCorpus(count, seed).Select(text =>
            new TrainingExample(tokenizer.Encode(text, 32), [[text[0] < 'h' ? 1f : 0f]]))];
    }

    [Test]
    public void AuxiliaryLossEqualsThePretrainingLossOfTheSameBatch()
    {
        var (model, lm) = CausalModel();
        using var _ = model;
        lm.eval();
        var texts = Examples(6, 3).Select(e => e.Tokens.InputIds).ToArray();
        Assert.That(texts.Select(t => t.Length).Distinct().Count(), Is.GreaterThan(1), "the batch is padded");

        // The pretraining code: next-token targets per window, padded labels, the language model's own forward.
        var (lmTokens, labels) = LanguageModelBatch.Create(texts.Select(TokenMasking.NextToken).ToArray(), 0, CPU);
        var predictions = lm.Predict(lmTokens.InputIds, lmTokens.TokenTypeIds, lmTokens.AttentionMask, labels);
        float reference = nn.functional.cross_entropy(predictions.Logits, predictions.Targets).item<float>();

        // Fine-tuning's: the task model's encoder states of a fine-tuning batch.
        using var tokens = TokenBatch.Create(texts.Select(t => new EncodedText(t, new int[t.Length])).ToArray(), 0, CPU);
        var states = model.Encoder.Forward(tokens.InputIds, tokens.TokenTypeIds, tokens.AttentionMask)[^1];
        float auxiliary = NextTokenLoss.Compute(lm.Head, states, tokens.InputIds, tokens.AttentionMask).item<float>();

        Assert.That(reference, Is.GreaterThan(2.5f).And.LessThan(5f), "a random head over 31 ids: about ln 31");
        Assert.That(auxiliary, Is.EqualTo(reference).Within(1e-5));
    }

    [Test]
    public void WeightZeroTrainsExactlyAsWithoutTheObjective()
    {
        var train = Examples(32, 1);
        var (plain, _) = CausalModel();
        var (zero, zeroLm) = CausalModel();
        var (half, halfLm) = CausalModel();
        using var a = plain; using var b = zero; using var c = half;
        Assert.That(TinyTask.Weights(plain), Is.EqualTo(TinyTask.Weights(zero)), "same start");

        new FineTuner(plain, Settings, 0).Train(train);
        new FineTuner(zero, Settings with { AuxiliaryLanguageModelWeight = 0 }, 0) { LanguageModelHead = zeroLm.Head }.Train(train);
        var headBefore = TinyTask.Weights(halfLm.Head);
        new FineTuner(half, Settings with { AuxiliaryLanguageModelWeight = 0.5 }, 0) { LanguageModelHead = halfLm.Head }.Train(train);

        Assert.That(TinyTask.Weights(zero), Is.EqualTo(TinyTask.Weights(plain)), "λ = 0: bit-identical weights");
        Assert.That(TinyTask.Weights(half), Is.Not.EqualTo(TinyTask.Weights(plain)), "λ = 0.5 changes training");
        Assert.That(TinyTask.Weights(halfLm.Head), Is.Not.EqualTo(headBefore), "and trains the language-model head");
    }

    [Test]
    public void APositiveWeightLowersTheLanguageModelLossOfTheTrainingTexts()
    {
        var train = Examples(64, 1);
        float LossAfter(double weight)
        {
            var (model, lm) = CausalModel();
            using var _ = model;
            new FineTuner(model, Settings with { Epochs = 4, AuxiliaryLanguageModelWeight = weight }, 0) { LanguageModelHead = lm.Head }.Train(train);
            lm.eval();
            using var tokens = TokenBatch.Create(train.Select(e => e.Tokens).ToArray(), 0, CPU);
            using var __ = no_grad();
            var states = model.Encoder.Forward(tokens.InputIds, tokens.TokenTypeIds, tokens.AttentionMask)[^1];
            return NextTokenLoss.Compute(lm.Head, states, tokens.InputIds, tokens.AttentionMask).item<float>();
        }
        float without = LossAfter(0), with = LossAfter(1);
        Assert.That(with, Is.LessThan(without - 0.5f), $"next-token loss {with:F3} with the objective vs {without:F3} without");
    }

    [Test]
    public void TheObjectiveTrainsUnderBFloat16MixedPrecision()
    {
        var (model, lm) = CausalModel();
        using var _ = model;
        var result = new FineTuner(model, Settings with { Precision = TrainingPrecision.BFloat16Mixed, AuxiliaryLanguageModelWeight = 0.5 }, 0) { LanguageModelHead = lm.Head }
            .Train(Examples(32, 1));
        Assert.That(result.Steps, Is.EqualTo(8));
        Assert.That(TinyTask.Weights(model).All(float.IsFinite), Is.True);
    }

    [Test]
    public void APositiveWeightOnABidirectionalEncoderOrWithoutAHeadIsRefused()
    {
        using var masked = TinyTask.NewModel();
        using var maskedLm = new BertLanguageModel((BertModel)masked.Encoder, LanguageModelObjective.MaskedLm);
        var error = Assert.Throws<ArgumentException>(() =>
            new FineTuner(masked, Settings with { AuxiliaryLanguageModelWeight = 0.5 }, 0) { LanguageModelHead = maskedLm.Head }.Train(TinyTask.Examples(16, 1)));
        Assert.That(error!.Message, Does.Contain("causal (is_decoder)"));

        var (causal, _) = CausalModel();
        using var __ = causal;
        error = Assert.Throws<ArgumentException>(() => new FineTuner(causal, Settings with { AuxiliaryLanguageModelWeight = 0.5 }, 0).Train(Examples(16, 1)));
        Assert.That(error!.Message, Does.Contain("LanguageModelHead"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new FineTuner(causal, Settings with { AuxiliaryLanguageModelWeight = -1 }, 0));
    }

    [Test]
    public void TheDefaultWeightIsHalfForCausalEncodersAndTheSavedHeadIsUsed()
    {
        using var temp = TestModels.TempDir();
        using (var scratch = TransformerLanguageModel.FromScratch(TransformerLanguageModelTests.Tiny(31), TestVocab.Small(), LanguageModelObjective.CausalLm, seed: 3))
        {
            using (no_grad()) foreach (var p in scratch.Module.Head.parameters()) p.add_(rand_like(p)); // not what a fresh head would be
            scratch.Save(temp.Path);
        }
        using var saved = TransformerLanguageModel.Load(temp.Path);
        using var encoder = PretrainedEncoder.Load(temp.Path);
        using var auxiliary = TransformerLanguageModel.ForAuxiliaryObjective(encoder, seed: 9);
        Assert.That(auxiliary.HeadLoaded, Is.True);
        Assert.That(TinyTask.Weights(auxiliary.Module.Head), Is.EqualTo(TinyTask.Weights(saved.Module.Head)));

        var options = new FineTuneTransformerOptions();
        Assert.That(options.AuxiliaryWeightFor(encoder.Model), Is.EqualTo(0.5));
        Assert.That(options.AuxiliaryWeightFor(new BertModel(TestModels.TinyConfig(31))), Is.EqualTo(0), "bidirectional: off");
        options.AuxiliaryLanguageModelWeight = 0;
        Assert.That(options.AuxiliaryWeightFor(encoder.Model), Is.EqualTo(0), "an explicit value wins");
    }
}
