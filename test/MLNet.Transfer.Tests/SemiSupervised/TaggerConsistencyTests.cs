using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Tests.Cli;
using MLNet.Transfer.Tests.MLNetIntegration;
using MLNet.Transfer.Tests.Reliability;
using MLNet.Transfer.Tests.Tagging;
using MLNet.Transfer.Tests.Training;
using MLNet.Transfer.Text;
using MLNet.Transfer.Text.Tagging;
using MLNet.Transfer.Training;
using MLNet.Transfer.Training.SemiSupervised;
using MLNet.Transfer.Training.Tagging;
using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.SemiSupervised;

/// <summary>
/// Tagger consistency training (UDA): word-aligned augmentation, the per-word consistency loss and its mask, annealing of
/// the labelled word loss, reproducible training on a tiny random encoder, the ML.NET and CLI entry points and their errors.
/// </summary>
[NonParallelizable]
[Category("Unit")]
public class TaggerConsistencyTests
{
    private static readonly FineTuneSettings Settings = new() { LearningRate = 2e-3, Epochs = 2, BatchSize = 8, MaxTokens = 32, HeadDropout = 0.1, Seed = 5 };

    /// <summary>TinyTagging sentences with some words of several word pieces mixed in, so continuation pieces exist.</summary>
    private static IReadOnlyList<string>[] Pool(int count, int seed)
    {
        string[] longWords = ["unbelievably", "tokenization", "photosynthesis", "counterintuitive", "misunderstandings"];
        var r = new Random(seed);
        return [.. TinyTagging.Sentences(count, seed).Select(s => (IReadOnlyList<string>)[.. s.Tokens.Select(w => r.Next(4) == 0 ? longWords[r.Next(longWords.Length)] : w)])];
    }

    private static List<TaggingWindow> Windows(BertWordPieceTokenizer tokenizer, IEnumerable<IReadOnlyList<string>> sentences, int maxTokens = 32) =>
        [.. sentences.SelectMany(s => WordPieceAlignment.Windows(tokenizer, s, maxTokens))];

    [Test]
    public void AugmentationKeepsEveryWordsFirstPieceInPlaceAndChangesOnlyWhatItMarks()
    {
        using var encoder = TinyPipelines.NewEncoder();
        var windows = Windows(encoder.Tokenizer, Pool(120, 3), maxTokens: 16); // 16 tokens: long sentences give several windows with context words
        Assert.That(windows.Count, Is.GreaterThan(120), "some sentences are cut into windows");
        var copies = TaggingWindowAugmenter.AugmentAll(windows, 0.3, 0.2, seed: 1);
        int changedPieces = 0, pieces = 0, replacedWords = 0, shorter = 0;
        for (int k = 0; k < windows.Count; k++)
        {
            var (original, copy) = (windows[k], copies[k].Window);
            Assert.That(copy.FirstPieces, Has.Length.EqualTo(original.OwnedWords), "the same owned words");
            Assert.That(copies[k].Replaced, Has.Length.EqualTo(original.OwnedWords));
            Assert.That((copy.StartWord, copy.FirstWord, copy.Shapes), Is.EqualTo((original.StartWord, original.FirstWord, original.Shapes)));
            Assert.That(copy.FirstPieces, Is.Ordered.Ascending.And.Unique);
            Assert.That(copy.Tokens.InputIds[0], Is.EqualTo(encoder.Tokenizer.ClsId));
            Assert.That(copy.Tokens.InputIds[^1], Is.EqualTo(encoder.Tokenizer.SepId));
            Assert.That(copy.Tokens.Length, Is.LessThanOrEqualTo(original.Tokens.Length), "pieces are deleted or replaced, never inserted");
            Assert.That(copy.FirstPieces[^1], Is.LessThan(copy.Tokens.Length - 1));
            for (int w = 0; w < original.OwnedWords; w++)
            {
                if (copies[k].Replaced[w]) { replacedWords++; continue; }
                Assert.That(copy.Tokens.InputIds[copy.FirstPieces[w]], Is.EqualTo(original.Tokens.InputIds[original.FirstPieces[w]]),
                    $"window {k} word {w}: a word not marked replaced keeps its first piece");
            }
            if (copy.Tokens.Length < original.Tokens.Length) shorter++;
            pieces += original.Tokens.Length - 2;
            changedPieces += copy.Tokens.Length < original.Tokens.Length
                ? original.Tokens.Length - copy.Tokens.Length // deletions (replacements next to them not counted)
                : Enumerable.Range(0, copy.Tokens.Length).Count(i => copy.Tokens.InputIds[i] != original.Tokens.InputIds[i]);
        }
        TestContext.Out.WriteLine($"{windows.Count} windows, {replacedWords} replaced words, {shorter} windows lost pieces, {changedPieces} of {pieces} pieces changed (lower bound)");
        Assert.That(replacedWords, Is.GreaterThan(20), "first pieces are replaced (and marked)");
        Assert.That(shorter, Is.GreaterThan(5), "continuation or context pieces are deleted");
        Assert.That(changedPieces, Is.InRange(pieces / 20, pieces / 2), "about the rate's share of pieces changes");

        var again = TaggingWindowAugmenter.AugmentAll(windows, 0.3, 0.2, seed: 1);
        Assert.That(again.Select(a => a.Window.Tokens.InputIds), Is.EqualTo(copies.Select(c => c.Window.Tokens.InputIds)), "same seed, same copies");
        Assert.That(again.Select(a => a.Replaced), Is.EqualTo(copies.Select(c => c.Replaced)));
        Assert.That(TaggingWindowAugmenter.AugmentAll(windows, 0.3, 0.2, seed: 2).Select(a => a.Window.Tokens.InputIds),
            Is.Not.EqualTo(copies.Select(c => c.Window.Tokens.InputIds)), "another seed, other copies");
        var none = TaggingWindowAugmenter.AugmentAll(windows, 0, 0.2, seed: 1);
        Assert.That(none.Select(a => a.Window.Tokens.InputIds), Is.EqualTo(windows.Select(w => w.Tokens.InputIds)), "rate 0 changes nothing");
        Assert.That(none.SelectMany(a => a.Replaced), Is.All.False);
    }

    [Test]
    public void TheConsistencyLossIsThePerWordKlOfTheKeptConfidentWordsAndZeroForIdenticalCopies()
    {
        using var encoder = TinyPipelines.NewEncoder();
        manual_seed(1);
        using var model = new TaggingModel(encoder.Model, new TaggerSpec(TinyTagging.Tags, TaggingHead.Linear), 0.1);
        model.eval(); // no dropout: the two sides differ only by the augmentation
        var windows = Windows(encoder.Tokenizer, Pool(24, 4));
        int[] rows = [.. Enumerable.Range(0, windows.Count)];
        double Loss(SemiSupervisedSettings semi) => new TaggerConsistencyObjective(windows, semi, seed: 3).Loss(model, encoder.Tokenizer.PadId, rows).item<float>();

        var uda = new SemiSupervisedSettings { Method = SemiSupervisedMethod.Consistency, ConfidenceThreshold = 0 };
        Assert.That(Loss(uda with { AugmentationRate = 0, SharpeningTemperature = 1 }), Is.EqualTo(0).Within(1e-6), "identical inputs, no sharpening: nothing to learn");

        // Reference: KL(softmax(e / T) ‖ softmax(ê)) per kept word from the emissions of both copies, averaged over the kept words.
        var objective = new TaggerConsistencyObjective(windows, uda with { ConsistencyWeight = 2 }, seed: 3);
        float[][] Probabilities(IReadOnlyList<TaggingWindow> batch, double temperature)
        {
            using var emissions = model.Emissions(batch, encoder.Tokenizer.PadId);
            using var p = (emissions / temperature).softmax(2);
            var values = p.data<float>().ToArray();
            int width = (int)p.shape[1], tags = (int)p.shape[2];
            return [.. batch.SelectMany((window, b) => Enumerable.Range(0, window.OwnedWords).Select(w => values.AsSpan((b * width + w) * tags, tags).ToArray()))];
        }
        float[][] target, student;
        using (no_grad()) (target, student) = (Probabilities(windows, 0.4), Probabilities([.. objective.Augmented.Select(a => a.Window)], 1));
        var kept = objective.Augmented.SelectMany(a => a.Replaced).Select((replaced, i) => (replaced, i)).Where(p => !p.replaced).Select(p => p.i).ToArray();
        Assert.That(kept.Length, Is.InRange(1, target.Length - 1), "some words are replaced and leave the loss, others stay");
        double expected = kept.Average(i => target[i].Select((t, c) => t * Math.Log(t / student[i][c])).Sum());
        Assert.That(objective.Loss(model, encoder.Tokenizer.PadId, rows).item<float>(), Is.EqualTo(2 * expected).Within(1e-4 * Math.Max(1, expected)), "λ = 2 × the mean KL");
        Assert.That(expected, Is.GreaterThan(1e-3), "the augmentation changes the predictions");

        float[][] plain;
        using (no_grad()) plain = Probabilities(windows, 1);
        double mostConfident = plain.Max(t => t.Max()); // the mask reads the unsharpened prediction
        Assert.That(mostConfident, Is.LessThan(0.99));
        Assert.That(Loss(uda with { ConfidenceThreshold = mostConfident + 1e-3 }), Is.EqualTo(0), "every word below the confidence threshold: masked");
        Assert.That(Loss(uda with { ConfidenceThreshold = mostConfident - 1e-3 }), Is.GreaterThan(0), "the most confident word alone counts");
        TestContext.Out.WriteLine($"mean KL {expected:F5}, most confident word {mostConfident:F3}");
    }

    [Test]
    public void AnnealingLeavesOutTheWordsTheLinearTaggerIsAlreadySureOfAndTheCrfIgnoresIt()
    {
        using var encoder = TinyPipelines.NewEncoder();
        manual_seed(1);
        using var model = new TaggingModel(encoder.Model, new TaggerSpec(TinyTagging.Tags, TaggingHead.Linear), 0);
        var emissions = tensor(new float[,,] { { { 3, 0, 0, 0, 0 }, { 0, 0, 0, 0, 0 } }, { { 0, 3, 0, 0, 0 }, { 9, 9, 9, 9, 9 } } });
        int[][] tags = [[0, 1], [1]]; // window 1 owns one word: its second row is padding
        var p0 = Math.Exp(3) / (Math.Exp(3) + 4); // 0.834: the two sure words
        double Ce(double p) => -Math.Log(p);
        Assert.That(TaggingLoss.Compute(model, emissions, tags).item<float>(), Is.EqualTo((2 * Ce(p0) + Ce(0.2)) / 3).Within(1e-5));
        Assert.That(TaggingLoss.Compute(model, emissions, tags, 1).item<float>(), Is.EqualTo((2 * Ce(p0) + Ce(0.2)) / 3).Within(1e-5), "threshold 1: every word");
        Assert.That(TaggingLoss.Compute(model, emissions, tags, 0.5).item<float>(), Is.EqualTo(Ce(0.2)).Within(1e-5), "the sure words (0.83 > 0.5) leave the loss");
        Assert.That(TaggingLoss.Compute(model, emissions, tags, 0.1).item<float>(), Is.EqualTo(0), "every word above 0.1: no signal");
        Assert.That(TrainingSignalAnnealing.Threshold(AnnealingSchedule.Exp, 0, 100, TinyTagging.Tags.Length), Is.EqualTo(0.2 + 0.8 * Math.Exp(-5)).Within(1e-9),
            "the schedule starts near chance (1/K with K tags)");

        using var crf = new TaggingModel(encoder.Model, new TaggerSpec(TinyTagging.Tags, TaggingHead.Crf), 0);
        Assert.That(TaggingLoss.Compute(crf, emissions, tags, 0.1).item<float>(), Is.EqualTo(TaggingLoss.Compute(crf, emissions, tags).item<float>()),
            "a CRF's sentence likelihood is not annealed");
    }

    [Test]
    public void ATaggerAnnealsOnlyWhenAskedWhileSentenceClassifiersAnnealByDefault()
    {
        using var encoder = TinyPipelines.NewEncoder();
        var windows = Windows(encoder.Tokenizer, Pool(8, 4));
        var uda = new SemiSupervisedSettings { Method = SemiSupervisedMethod.Consistency };
        int tags = TinyTagging.Tags.Length;
        Assert.That(new TaggerConsistencyObjective(windows, uda, seed: 1).AnnealingThreshold(0, 100, tags), Is.EqualTo(1), "tagger default: no annealing");
        Assert.That(new TaggerConsistencyObjective(windows, uda with { Annealing = AnnealingSchedule.Exp }, seed: 1).AnnealingThreshold(0, 100, tags),
                    Is.EqualTo(TrainingSignalAnnealing.Threshold(AnnealingSchedule.Exp, 0, 100, tags)), "an explicit schedule is honoured");
        Assert.That(uda.AnnealingOr(AnnealingSchedule.Exp), Is.EqualTo(AnnealingSchedule.Exp), "sentence classifiers keep UDA's exp default");
    }

    [TestCase(TaggingHead.Linear)]
    [TestCase(TaggingHead.Crf)]
    public void ConsistencyTrainingIsBitIdenticalForASeedAndDiffersFromSupervised(TaggingHead head)
    {
        var train = TinyTagging.Sentences(32, 1);
        var valid = TinyTagging.Sentences(12, 2);
        (float[] Weights, FineTuneResult Result) Run(bool unlabelled)
        {
            using var encoder = TinyPipelines.NewEncoder();
            manual_seed(1);
            using var model = new TaggingModel(encoder.Model, new TaggerSpec(TinyTagging.Tags, head), Settings.HeadDropout);
            var result = unlabelled
                ? new TaggerSemiSupervisedTrainer(model, encoder.Tokenizer, Settings, new SemiSupervisedSettings { Method = SemiSupervisedMethod.Consistency, ConfidenceThreshold = 0.2 })
                    .Train(train, valid, Pool(40, 3))
                : new TaggerTrainer(model, encoder.Tokenizer, Settings).Train(train, valid);
            return (TinyTask.Weights(model), result);
        }
        var (first, result) = Run(true);
        Assert.That(first.Distinct().Count(), Is.GreaterThan(1));
        Assert.That(result.BestValidation!["F1Score"], Is.InRange(0.0, 1.0));
        Assert.That(result.Steps, Is.EqualTo(2 * 4), "the labelled data sets the steps: 2 epochs of 32 / 8");
        Assert.That(Run(true).Weights, Is.EqualTo(first), "same seed, same weights");
        Assert.That(Run(false).Weights, Is.Not.EqualTo(first), "the consistency term and annealing change training");
    }

    [Test]
    public void TheMlNetTaggerTrainsWithConsistencyAndRefusesAnEmptyUnlabelledSet()
    {
        var mlContext = new MLContext(seed: 1);
        var train = mlContext.Data.LoadFromTaggedSentences(TinyTagging.Sentences(32, 1));
        var probe = mlContext.Data.LoadFromTaggedSentences(TinyTagging.Sentences(12, 2));
        var lines = mlContext.Data.LoadFromEnumerable(Pool(40, 3).Select(s => new TokensLine { Tokens = string.Join(' ', s) }).ToList());
        var consistency = new SemiSupervisedSettings { Method = SemiSupervisedMethod.Consistency };
        TokenClassifierOptions Options(IDataView? unlabelled) => new()
        {
            Encoder = TinyPipelines.NewEncoder(), Head = TaggingHead.Linear, Epochs = 2, BatchSize = 8, MaxTokens = 32, LearningRate = 2e-3, Seed = 5,
            UnlabeledData = unlabelled, SemiSupervised = consistency,
        };
        List<string> Scores(IDataView? unlabelled)
        {
            var model = mlContext.MulticlassClassification.Trainers.FineTuneTokenClassifier(Options(unlabelled)).Fit(train);
            return [.. model.Transform(probe).GetColumn<VBuffer<float>>("Score").Select(v => string.Join(",", v.DenseValues()))];
        }
        var uda = Scores(lines);
        Assert.That(uda.Distinct().Count(), Is.GreaterThan(1));
        Assert.That(Scores(lines), Is.EqualTo(uda), "same seed, same tagger");
        Assert.That(Scores(null), Is.Not.EqualTo(uda));

        var blank = mlContext.Data.LoadFromEnumerable(new[] { new TokensLine { Tokens = "  " } });
        Assert.That(() => mlContext.MulticlassClassification.Trainers.FineTuneTokenClassifier(Options(blank)).Fit(train),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contain("unlabelled data is empty"));
        var soft = Options(lines);
        soft.SemiSupervised = consistency with { SoftLabels = true };
        Assert.That(() => mlContext.MulticlassClassification.Trainers.FineTuneTokenClassifier(soft).Fit(train), Throws.ArgumentException.With.Message.Contain("SoftLabels"));

        using var encoder = TinyPipelines.NewEncoder();
        using var tagger = new TaggingModel(encoder.Model, new TaggerSpec(TinyTagging.Tags, TaggingHead.Linear), 0);
        Assert.That(() => new TaggerSemiSupervisedTrainer(tagger, encoder.Tokenizer, Settings, consistency).Train(TinyTagging.Sentences(8, 1), null, [[], []]),
            Throws.ArgumentException.With.Message.Contain("unlabelled set is empty: consistency training needs unlabelled sentences"));
        Assert.That(() => new TaggerConsistencyObjective([], consistency, 1), Throws.ArgumentException.With.Message.Contain("unlabelled set is empty"));
    }

    [Test]
    public void TheCliTrainsATaggerWithUda()
    {
        using var temp = TestModels.TempDir();
        string model = TestModels.TinyModelDirectory(temp.Path), zip = Path.Combine(temp.Path, "m.zip");
        string conll = Path.Combine(temp.Path, "train.conll"), sentences = Path.Combine(temp.Path, "sentences.txt");
        using (var w = new StreamWriter(conll)) ConllReader.Write(w, TinyTagging.Sentences(40, 1));
        File.WriteAllLines(sentences, Pool(30, 3).Select(s => string.Join(' ', s)));
        var run = InProcessCli.Run("train", "--task", "tagging", "--train", conll, "--model", model, "--epochs", "1", "--max-tokens", "32",
                                   "--unlabelled", sentences, "--semi-supervised", "uda", "--pseudo-label-threshold", "0.5", "--output", zip);
        Assert.That(run.Code, Is.EqualTo(0), run.Out + run.Err);
        Assert.That(run.Out, Does.Contain("Unlabelled: 30 texts").And.Contain("UDA consistency training"));
        Assert.That(File.Exists(zip), Is.True);
        var rounds = InProcessCli.Run("train", "--task", "tagging", "--train", conll, "--model", model, "--output", zip,
                                      "--unlabelled", sentences, "--semi-supervised", "uda", "--self-training-rounds", "2");
        Assert.That(rounds.Code, Is.EqualTo(2));
        Assert.That(rounds.Err, Does.Contain("--self-training-rounds applies to --semi-supervised self-training"));
    }

    private sealed class TokensLine
    {
        public string Tokens { get; set; } = "";
    }
}
