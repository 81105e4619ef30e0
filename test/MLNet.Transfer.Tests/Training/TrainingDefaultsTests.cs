using MLNet.Transfer.Text;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.Tests.Training;

/// <summary>Each data-aware default rule on synthetic data profiles, and that an explicit value always wins.</summary>
[Category("Unit")]
public class TrainingDefaultsTests
{
    private static DataProfile Profile(int examples, int typicalTokens, int longestTokens, params int[] classCounts)
    {
        // 98% typical, 2% at the longest length: p99 = longest, p95 = typical.
        int longOnes = Math.Max(1, examples / 50);
        var lengths = Enumerable.Repeat(typicalTokens, examples - longOnes).Concat(Enumerable.Repeat(longestTokens, longOnes)).ToArray();
        return DataProfile.From(lengths, classCounts.Length == 0 ? null : classCounts);
    }

    [Test]
    public void ProfileReportsPercentilesAndImbalance()
    {
        var p = DataProfile.From([.. Enumerable.Range(1, 100)], [75, 25]);
        Assert.That((p.Examples, p.MedianTokens, p.P95Tokens, p.P99Tokens, p.LongestTokens), Is.EqualTo((100, 50, 95, 99, 100)));
        Assert.That(p.ImbalanceRatio, Is.EqualTo(3.0));
        Assert.That(p.MinorityClass, Is.EqualTo(1));
        Assert.That(DataProfile.From([5], [10, 0]).ImbalanceRatio, Is.Null, "one class present: no ratio");
    }

    [Test]
    public void ShortTextsGetA99thPercentileBudgetHeadTruncationAndNoWindows()
    {
        var d = TrainingDefaults.Resolve(Profile(5000, 20, 41, 2500, 2500), 512, new TrainingRequest(), binary: true);
        Assert.That(d.MaxTokens, Is.EqualTo(48), "p99 41 rounded up to a multiple of 16");
        Assert.That(d.Truncation, Is.EqualTo(TruncationStrategy.Head));
        Assert.That(d.PredictionWindowStride, Is.Zero);
        Assert.That(TrainingDefaults.Resolve(Profile(100, 5, 7), 512, new TrainingRequest(), false).MaxTokens, Is.EqualTo(32), "at least 32");
    }

    [Test]
    public void LongTextsGet512TokensHeadPlusTailAndPredictionWindows()
    {
        var d = TrainingDefaults.Resolve(DataProfile.From([.. Enumerable.Range(0, 1000).Select(i => 100 + i)], [500, 500]), 512, new TrainingRequest(), true);
        Assert.That(d.MaxTokens, Is.EqualTo(512));
        Assert.That(d.Truncation, Is.EqualTo(TruncationStrategy.HeadAndTail), "p95 1,049 > 512");
        Assert.That(d.PredictionWindowStride, Is.EqualTo(256));
        Assert.That(TrainingDefaults.Resolve(Profile(1000, 900, 2000), 128, new TrainingRequest(), false).MaxTokens, Is.EqualTo(128), "never above the model's positions");
        var fewLong = TrainingDefaults.Resolve(Profile(1000, 300, 2000), 512, new TrainingRequest(), false);
        Assert.That((fewLong.Truncation, fewLong.PredictionWindowStride), Is.EqualTo((TruncationStrategy.Head, 256)),
            "only 2% longer than 512: head truncation in training, but those texts are still read whole at prediction");
    }

    [TestCase(14, 16, 30)]     // 1 step per epoch: 30 epochs, the 30-step minimum for tiny sets
    [TestCase(32, 16, 15)]     // 2 steps per epoch: 15 epochs reach 30 steps
    [TestCase(48, 16, 10)]     // 3 steps per epoch: capped at 10 epochs (30 steps)
    [TestCase(116, 16, 10)]    // 8 steps per epoch: capped at 10 epochs
    [TestCase(900, 16, 4)]     // 57 steps per epoch: 4 epochs reach 200 steps
    [TestCase(3000, 32, 3)]    // 94 steps per epoch: the 3-epoch floor
    [TestCase(60000, 32, 2)]   // 1,875 steps per epoch: 4,000-step ceiling
    [TestCase(200000, 32, 1)]  // one epoch is already past the ceiling
    public void EpochsGiveSmallSetsEnoughStepsAndLargeSetsFewerPasses(int examples, int batch, int epochs) =>
        Assert.That(TrainingDefaults.ChooseEpochs(examples, batch), Is.EqualTo(epochs));

    [Test]
    public void SmallSetsUseBatch16()
    {
        Assert.That(TrainingDefaults.Resolve(Profile(1999, 20, 30), 512, new TrainingRequest(), false).BatchSize, Is.EqualTo(16));
        Assert.That(TrainingDefaults.Resolve(Profile(2000, 20, 30), 512, new TrainingRequest(), false).BatchSize, Is.EqualTo(32));
    }

    [Test]
    public void ImbalancedClassesGetClassWeightsAndBinaryTasksATunedThreshold()
    {
        var sarcasm = TrainingDefaults.Resolve(Profile(3000, 30, 60, 2250, 750), 512, new TrainingRequest(), binary: true);
        Assert.That((sarcasm.BalanceClasses, sarcasm.TuneThreshold), Is.EqualTo((true, true)));
        var multiclass = TrainingDefaults.Resolve(Profile(3000, 30, 60, 2000, 500, 500), 512, new TrainingRequest(), binary: false);
        Assert.That((multiclass.BalanceClasses, multiclass.TuneThreshold), Is.EqualTo((true, false)));
        var mild = TrainingDefaults.Resolve(Profile(3000, 30, 60, 1700, 1300), 512, new TrainingRequest(), binary: true);
        Assert.That((mild.BalanceClasses, mild.TuneThreshold), Is.EqualTo((false, false)));
        var regression = TrainingDefaults.Resolve(Profile(3000, 30, 60), 512, new TrainingRequest(), binary: false);
        Assert.That((regression.BalanceClasses, regression.TuneThreshold), Is.EqualTo((false, false)));
        Assert.That(regression.Reasons, Has.None.Contains("loss").And.None.Contains("threshold"),
            "no classes (regression, tagging): nothing about class weights or a threshold is reported");
        Assert.That(mild.Reasons, Has.Some.EqualTo("plain loss: classes balanced").And.Some.EqualTo("decision threshold 0.5"));
    }

    [Test]
    public void TooSmallAValidationSplitChoosesNeitherWeightsNorThreshold()
    {
        var enough = TrainingDefaults.Resolve(Profile(900, 30, 60, 700, 200), 512, new TrainingRequest(), binary: true, validationExamples: 50);
        Assert.That((enough.RestoreBestWeights, enough.TuneThreshold), Is.EqualTo((true, true)));
        var tiny = TrainingDefaults.Resolve(Profile(40, 30, 60, 30, 10), 512, new TrainingRequest(), binary: true, validationExamples: 4);
        Assert.That((tiny.RestoreBestWeights, tiny.TuneThreshold, tiny.BalanceClasses), Is.EqualTo((false, false, true)));
        Assert.That(tiny.Reasons, Has.Some.StartsWith("last weights kept: 4 validation examples are too few"));
        Assert.That(tiny.Reasons, Has.Some.StartsWith("decision threshold 0.5: 4 validation examples"));
        Assert.That(tiny.Summary, Does.EndWith(", last weights kept"));
        var noValidation = TrainingDefaults.Resolve(Profile(40, 30, 60, 30, 10), 512, new TrainingRequest(), binary: true);
        Assert.That(noValidation.RestoreBestWeights, Is.True, "nothing to choose from: the setting is moot and not reported");
        Assert.That(noValidation.Reasons, Has.None.StartsWith("last weights"));
    }

    [Test]
    public void ExplicitValuesAlwaysWinAndAreNotReportedAsChosen()
    {
        var request = new TrainingRequest
        {
            MaxTokens = 64, Truncation = TruncationStrategy.Tail, PredictionWindowStride = 0, BatchSize = 8, Epochs = 1, BalanceClasses = false, TuneThreshold = false,
            RestoreBestWeights = true,
        };
        var d = TrainingDefaults.Resolve(Profile(900, 600, 3000, 800, 100), 512, request, binary: true, validationExamples: 10);
        Assert.That(d with { Reasons = [] }, Is.EqualTo(new DataAwareDefaults(64, TruncationStrategy.Tail, 0, 8, 1, false, false, true, [])));
        Assert.That(d.Reasons, Is.Empty);
        var open = TrainingDefaults.Resolve(Profile(900, 600, 3000, 800, 100), 512, new TrainingRequest(), binary: true);
        Assert.That(open.Reasons, Has.Count.EqualTo(7));
        Assert.That(open.Summary, Does.Contain("max tokens 512 (head+tail)").And.Contain("class-weighted loss").And.Contain("threshold"));
    }

    [Test]
    public void TheTokenBudgetIsOnlyEverTheUsersChoice()
    {
        var shortTexts = TrainingDefaults.Resolve(Profile(50_000, 14, 41, 25_000, 25_000), 512, new TrainingRequest(), binary: true);
        Assert.That(shortTexts.TokensPerBatch, Is.Zero, "fixed batches unless asked: the budget's fewer steps cost accuracy at the same rate");
        Assert.That(shortTexts.Summary, Does.Not.Contain("token budget"));
        var asked = TrainingDefaults.Resolve(Profile(50_000, 14, 41), 512, new TrainingRequest { TokensPerBatch = 2048 }, false);
        Assert.That(asked.TokensPerBatch, Is.EqualTo(2048));
        Assert.That(asked.Summary, Does.Contain("batch 32 (token budget 2,048, up to 128 texts)"));
        Assert.That(asked.Reasons, Has.None.Contains("token budget"), "a value the user gave is not reported as chosen");
    }
}
