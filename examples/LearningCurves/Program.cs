// LearningCurves: accuracy against labels per class (k = 8 … 256, several seeds) for the transfer approaches and
// ML.NET's FeaturizeText baseline, on a shared data set's test split. Every approach sees the same stratified,
// nested samples. Usage:
//   dotnet run -c Release --project examples/LearningCurves -- <sst2|irony|uci> [approach,approach,...] [--adapted <hf-dir>] [--seeds N] [--ks 8,16,...]
//       [--first-seed N] [--unlabelled N|all] [--pool train|rest|rt|imdb] [--rounds N] [--cap N | --cap-per-label R] [--threshold P]
//       [--soft] [--student-epochs N] [--random-pseudo-labels] [--annealing none|linear|log|exp]
// approaches: text (FeaturizeText + LR), embed (MiniLM embeddings + LR), setfit (SetFit: contrastive tuning + LR), finetune, frozen (fine-tune with the encoder
// frozen for the first epoch), adapted / embed-adapted (fine-tune / embeddings + LR from a domain-adapted MiniLM directory given with --adapted), layers / layers-adapted
// (every layer of MiniLM / of the adapted model averaged, frozen, + LR), self-training / uda (fine-tune MiniLM semi-supervised with
// N unlabelled texts, default 5,000: noisy-student self-training or UDA consistency training). --pool says where the unlabelled
// texts come from: train (default; N texts of the training pool drawn at random, labels dropped), rest (the training pool
// without the labelled sample), rt (N RT snippets minus the SST-2 dev sentences, ../shared/data/unlabelled), imdb (N sentences
// of the 1,000 long IMDb reviews in ../shared/data/imdb-reviews, minus any that contain a UCI imdb test sentence).
// Self-training settings (default: SemiSupervisedSettings'): --rounds, --cap (pseudo-labels per class), --cap-per-label (cap =
// R × the labelled examples per class), --threshold, --soft (soft labels), --student-epochs, --random-pseudo-labels (drawn at
// random among the confident texts instead of the most confident); UDA: --annealing (training-signal annealing;
// default the trainer's, exp). Where the pool's texts have
// labels (train, rest), each round prints how many of its pseudo-labels are right.
// Writes learning-curve-<set>.md, .csv and .png in the current folder. Data come from ../shared/data (not redistributed).
using Microsoft.ML;
using MLNet.Transfer;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Plots;
using MLNet.Transfer.Training.SemiSupervised;

string set = args.Length > 0 ? args[0] : "sst2";
var chosen = (args.Length > 1 && !args[1].StartsWith("--") ? args[1] : "text,embed,finetune").Split(',');
string? adapted = Option("--adapted");
int seeds = int.Parse(Option("--seeds") ?? "3"), firstSeed = int.Parse(Option("--first-seed") ?? "1");
int unlabelledCount = Option("--unlabelled") is "all" ? int.MaxValue : int.Parse(Option("--unlabelled") ?? "5000");
string pool = Option("--pool") ?? "train";
int[] ks = (Option("--ks") ?? "8,16,32,64,128,256").Split(',').Select(int.Parse).ToArray();
var selfTrainingDefaults = new SemiSupervisedSettings();
int rounds = int.Parse(Option("--rounds") ?? $"{selfTrainingDefaults.Rounds}");
int? cap = Option("--cap") is { } capText ? int.Parse(capText) : null;
double? capPerLabel = Option("--cap-per-label") is { } ratio ? double.Parse(ratio, System.Globalization.CultureInfo.InvariantCulture) : null;
double? threshold = Option("--threshold") is { } thresholdText ? double.Parse(thresholdText, System.Globalization.CultureInfo.InvariantCulture) : null;
int? studentEpochs = Option("--student-epochs") is { } epochsText ? int.Parse(epochsText) : null;
bool soft = args.Contains("--soft");
AnnealingSchedule? annealing = Option("--annealing") is { } schedule ? Enum.Parse<AnnealingSchedule>(schedule, ignoreCase: true) : null;
var selection = args.Contains("--random-pseudo-labels") ? PseudoLabelSelection.Random : selfTrainingDefaults.Selection;
string? Option(string name) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }

var mlContext = new MLContext(seed: 1);
// uci: the repository's UCI sentences, pool = yelp + amazon, test = imdb (another site: movie sentences, like the
// rt-snippets adaptation corpus).
string[] trainFiles, testFiles;
if (set == "uci")
{
    string uci = DataFiles.Find(Path.Combine("data", "sentiment-uci"));
    (trainFiles, testFiles) = ([Path.Combine(uci, "yelp.tsv"), Path.Combine(uci, "amazon.tsv")], [Path.Combine(uci, "imdb.tsv")]);
}
else
{
    string folder = SharedData.Folder(set == "sst2" ? "sst2" : "irony-semeval2018");
    (trainFiles, testFiles) = ([Path.Combine(folder, "train.tsv")], [Path.Combine(folder, set == "sst2" ? "dev.tsv" : "test.tsv")]);
}
var train = SharedData.Load(mlContext, trainFiles);
var test = SharedData.Load(mlContext, testFiles);
double Accuracy(IDataView scored) => mlContext.BinaryClassification.Evaluate(scored).Accuracy;

// Few-shot fine-tuning needs more passes over fewer examples: about 150 steps of 16, between 3 and 30 epochs.
FineTuneTransformerOptions FewShot(IDataView sample, int seed, string model, bool frozenFirstEpoch)
{
    long rows = sample.GetRowCount() ?? 0;
    int stepsPerEpoch = (int)Math.Ceiling(rows / 16.0);
    return new FineTuneTransformerOptions
    {
        Model = model, Seed = seed, BatchSize = 16, Epochs = Math.Clamp((int)Math.Ceiling(150.0 / stepsPerEpoch), 3, 30),
        UnfreezeBlocksPerEpoch = frozenFirstEpoch ? 100 : 0,
    };
}
// ML.NET's L-BFGS defaults (L1 = L2 = 1 on a summed loss) overwhelm a few dozen examples and predict one class; few-shot
// logistic regression needs a light touch.
IEstimator<ITransformer> Logistic() => mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression(l1Regularization: 0, l2Regularization: 1e-3f);
var all = new Dictionary<string, LearningApproach>
{
    ["text"] = new("FeaturizeText + LR", (s, _) => mlContext.Transforms.Text.FeaturizeText("Features", "Text").Append(Logistic()).Fit(s)),
    ["embed"] = new("MiniLM embeddings + LR", (s, _) => mlContext.Transforms.Text.ApplyContextualEmbeddings("Features", "Text", normalize: true).Append(Logistic()).Fit(s)),
    ["setfit"] = new("SetFit (contrastive MiniLM) + LR", (s, seed) => mlContext.Transforms.Text.ApplySetFitEmbeddings(new SetFitEmbeddingOptions
        {
            Seed = seed, MaxPairs = 1000, // SetFit's 20 rounds, capped for a 2-core CPU
        }).Append(Logistic()).Fit(s)),
    ["finetune"] = new("fine-tune MiniLM", (s, seed) => mlContext.BinaryClassification.Trainers.FineTuneTransformer(FewShot(s, seed, "minilm", false)).Fit(s)),
    ["self-training"] = new("fine-tune MiniLM + self-training", (s, seed) => SemiSupervised(s, seed, SemiSupervisedMethod.SelfTraining)),
    ["uda"] = new("fine-tune MiniLM + UDA", (s, seed) => SemiSupervised(s, seed, SemiSupervisedMethod.Consistency)),
    ["frozen"] = new("fine-tune, encoder frozen 1st epoch", (s, seed) => mlContext.BinaryClassification.Trainers.FineTuneTransformer(FewShot(s, seed, "minilm", true)).Fit(s)),
    ["adapted"] = new("fine-tune domain-adapted MiniLM", (s, seed) => mlContext.BinaryClassification.Trainers.FineTuneTransformer(
        FewShot(s, seed, AdaptedModel(), false)).Fit(s)),
    ["embed-adapted"] = new("domain-adapted MiniLM embeddings + LR", (s, _) => mlContext.Transforms.Text.ApplyContextualEmbeddings("Features", "Text", AdaptedModel(), normalize: true).Append(Logistic()).Fit(s)),
    ["layers"] = new("MiniLM, all layers averaged + LR", (s, _) => AllLayers("minilm").Append(Logistic()).Fit(s)),
    ["layers-adapted"] = new("domain-adapted MiniLM, all layers averaged + LR", (s, _) => AllLayers(AdaptedModel()).Append(Logistic()).Fit(s)),
};
// Semi-supervised: the few-shot settings plus unlabelled texts of the same pool (labels dropped; drawn once, seed 0).
ITransformer SemiSupervised(IDataView sample, int seed, SemiSupervisedMethod method)
{
    var options = FewShot(sample, seed, "minilm", false);
    var unlabelled = UnlabelledPool(sample).Where(t => !string.IsNullOrWhiteSpace(t.Text)).ToList();
    options.UnlabeledData = SharedData.ToDataView(mlContext, unlabelled.Select(t => t.Text));
    Console.WriteLine($"    unlabelled pool '{pool}': {unlabelled.Count:N0} texts");
    int labelsPerClass = (int)((sample.GetRowCount() ?? 0) / 2);
    options.SemiSupervised = selfTrainingDefaults with
    {
        Method = method, Rounds = rounds, ConfidenceThreshold = threshold, SoftLabels = soft, StudentEpochs = studentEpochs, Selection = selection, Annealing = annealing,
        MaxPseudoLabelsPerClass = capPerLabel is { } r ? Math.Max(1, (int)Math.Round(r * labelsPerClass)) : cap ?? selfTrainingDefaults.MaxPseudoLabelsPerClass,
    };
    options.SemiSupervisedProgress = new Progress<SemiSupervisedRound>(r => Console.WriteLine(
        $"    round {r.Round}: {r.PseudoLabels} pseudo-labels ({string.Join("/", r.PerClass)}){PseudoLabelAccuracy(r, unlabelled)}"));
    return mlContext.BinaryClassification.Trainers.FineTuneTransformer(options).Fit(sample);
}
// How many of a round's pseudo-labels agree with the pool's own labels (where the pool has them).
static string PseudoLabelAccuracy(SemiSupervisedRound round, IReadOnlyList<PoolText> pool)
{
    if (round.Labels is not { Count: > 0 } labels || pool.Any(t => t.Label is null)) return "";
    int right = labels.Count(l => (l.Class == 1) == pool[l.Index].Label);
    var perClass = Enumerable.Range(0, 2).Select(c => labels.Where(l => l.Class == c).ToList())
        .Select(g => g.Count == 0 ? "-" : $"{(double)g.Count(l => (l.Class == 1) == pool[l.Index].Label) / g.Count:P1}");
    // The same among the most confident n per class, for smaller caps.
    var ranked = Enumerable.Range(0, 2).Select(c => labels.Where(l => l.Class == c).OrderByDescending(l => l.Confidence).ToList()).ToList();
    var smaller = new[] { 32, 64, 128, 256, 500, 1000, 2000, 4000, 8000 }.Where(n => n < ranked.Min(g => g.Count))
        .Select(n => $"{n}: {(double)ranked.Sum(g => g.Take(n).Count(l => (l.Class == 1) == pool[l.Index].Label)) / (2 * n):P1}");
    return $", {(double)right / labels.Count:P1} right (per class {string.Join(" / ", perClass)}; top n per class {string.Join(", ", smaller)}), lowest confidence {labels.Min(l => l.Confidence):F3}";
}
List<PoolText> UnlabelledPool(IDataView sample) => pool switch
{
    "train" => SharedData.Shuffled(SharedData.Labelled(trainFiles)).Take(unlabelledCount).ToList(),
    "rest" => RestOfTrain(mlContext.Data.CreateEnumerable<LabeledText>(sample, reuseRowObject: false).Select(t => t.Text).ToHashSet()),
    "rt" => Unlabelled(SharedData.Shuffled(File.ReadLines(Path.Combine(SharedData.Folder("unlabelled"), "rt-snippets-minus-sst2-dev.txt")))),
    "imdb" => Unlabelled(SharedData.Shuffled(SharedData.ReviewSentences(Path.Combine(SharedData.Folder("imdb-reviews"), "train.tsv"), SharedData.Texts(testFiles)))),
    _ => throw new ArgumentException($"unknown --pool '{pool}' (known: train, rest, rt, imdb)"),
};
// The training texts without the labelled sample, each distinct text once (its first label), in file order.
List<PoolText> RestOfTrain(HashSet<string> sample) => SharedData.Labelled(trainFiles).DistinctBy(t => t.Text).Where(t => !sample.Contains(t.Text)).Take(unlabelledCount).ToList();
List<PoolText> Unlabelled(IEnumerable<string> texts) => texts.Take(unlabelledCount).Select(t => new PoolText(t, null)).ToList();
string AdaptedModel() => adapted ?? throw new ArgumentException("the approaches '*adapted' need --adapted <hf-dir>");
// ELMo-style frozen features: MiniLM's six blocks averaged (embedding output excluded), then mean-pooled — to see
// whether an adapted encoder's change shows below its top block.
IEstimator<ITransformer> AllLayers(string model) => mlContext.Transforms.Text.ApplyContextualEmbeddings(new ContextualEmbeddingOptions
{
    InputColumnName = "Text", Model = model, Layers = [1, 2, 3, 4, 5, 6], Combination = LayerCombination.Average, Normalize = true,
});
var approaches = chosen.Select(c => all.TryGetValue(c, out var a) ? a : throw new ArgumentException($"unknown approach '{c}' (known: {string.Join(", ", all.Keys)})")).ToArray();

var clock = System.Diagnostics.Stopwatch.StartNew();
// The reference a user would run: ML.NET's FeaturizeText + L-BFGS logistic regression with its defaults, on every label.
double fullBaseline = Accuracy(mlContext.Transforms.Text.FeaturizeText("Features", "Text")
    .Append(mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression()).Fit(train).Transform(test));
Console.WriteLine($"{set}: FeaturizeText + LR on all {train.GetRowCount() ?? -1:N0} training rows: {fullBaseline:P1}");
var points = LearningCurve.Run(train, test, "Label", ks, Enumerable.Range(firstSeed, seeds).ToArray(), approaches, Accuracy,
                               new Progress<string>(line => Console.WriteLine($"  [{clock.Elapsed:hh\\:mm\\:ss}] {line}")));
string table = LearningCurve.ToMarkdown(points);
Console.WriteLine($"\nAccuracy on {set} {(set == "sst2" ? "dev" : "test")} (mean ± std over {seeds} seeds); FeaturizeText + LR on all labels: {fullBaseline:P1}\n\n{table}");
File.WriteAllText($"learning-curve-{set}.md", $"FeaturizeText + LR, all labels: {fullBaseline:P1}\n\n{table}");
File.WriteAllLines($"learning-curve-{set}.csv", ["approach,k,mean,std,values", .. points.Select(p => $"{p.Approach},{p.K},{p.Mean:F4},{p.Std:F4},{string.Join(' ', p.Values.Select(v => v.ToString("F4")))}")]);
var series = points.GroupBy(p => p.Approach).Select(g => new CurveSeries(g.Key, g.Select(p => new CurvePoint(p.K, p.Mean, p.Std)).ToList())).ToList();
series.Add(new CurveSeries($"FeaturizeText + LR, all {train.GetRowCount():N0} labels", ks.Select(k => new CurvePoint(k, fullBaseline, 0)).ToList()));
LearningCurvePlot.Save($"learning-curve-{set}.png", $"{set}: accuracy vs labels per class ({seeds} seeds)", "labelled examples per class", "accuracy", series);
Console.WriteLine($"Total {clock.Elapsed.TotalMinutes:F1} min.");

/// <summary>One labelled text.</summary>
public sealed class LabeledText
{
    /// <summary>True = positive / ironic.</summary>
    public bool Label { get; set; }
    /// <summary>The text.</summary>
    public string Text { get; set; } = "";
}

/// <summary>Data sets from ../shared/data (their licences do not allow copying them into the repository).</summary>
static class SharedData
{
    public static string Folder(string name) => DataFiles.Find(Path.Combine("shared", "data", name));

    /// <summary>The texts of the files, in file order, without their labels.</summary>
    public static IEnumerable<string> Texts(string[] paths) => Labelled(paths).Select(t => t.Text);

    /// <summary>The texts of the files with their labels, in file order.</summary>
    public static IEnumerable<PoolText> Labelled(string[] paths) => paths.SelectMany(path => File.ReadLines(path).Skip(1))
        .Select(line => line.Split('\t', 2)).Select(p => new PoolText(p[1], p[0] == "1"));

    /// <summary>The items in a random order (seed 0, the same for every run of the same count).</summary>
    public static T[] Shuffled<T>(IEnumerable<T> texts)
    {
        var array = texts.ToArray();
        new Random(0).Shuffle(array);
        return array;
    }

    /// <summary>
    /// The sentences (at least 3 words) of long reviews in a labelled file, split at line breaks and at . ! ? followed by
    /// a space. Lower-cased with punctuation ignored, a sentence equal to one of the <paramref name="heldOut"/> texts, or
    /// containing one of at least 4 words, is dropped (shorter ones such as "awful" would drop ordinary sentences).
    /// </summary>
    public static IEnumerable<string> ReviewSentences(string path, IEnumerable<string> heldOut)
    {
        static string Normalise(string text) => System.Text.RegularExpressions.Regex.Replace(text.ToLowerInvariant(), @"\W+", " ").Trim();
        var held = heldOut.Select(Normalise).Where(t => t.Length > 0).ToHashSet();
        var longHeld = held.Where(t => t.Split(' ').Length >= 4).ToArray();
        bool IsHeldOut(string sentence) { string n = Normalise(sentence); return held.Contains(n) || longHeld.Any(n.Contains); }
        return Texts([path]).SelectMany(review => System.Text.RegularExpressions.Regex.Split(review, @"<br\s*/?>|(?<=[.!?])\s+"))
            .Select(sentence => sentence.Trim()).Where(sentence => sentence.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length >= 3)
            .Where(sentence => !IsHeldOut(sentence));
    }

    /// <summary>Texts as a data view with one Text column.</summary>
    public static IDataView ToDataView(MLContext mlContext, IEnumerable<string> texts) =>
        mlContext.Data.LoadFromEnumerable(texts.Select(t => new UnlabeledText { Text = t }).ToList());

    public static IDataView Load(MLContext mlContext, string[] paths) =>
        mlContext.Data.LoadFromEnumerable(Labelled(paths).Select(t => new LabeledText { Label = t.Label == true, Text = t.Text }).ToList());
}

/// <summary>A text of the unlabelled pool and, where the pool has one, its label (true = positive / ironic), used only to score pseudo-labels.</summary>
public sealed record PoolText(string Text, bool? Label);

/// <summary>One unlabelled text.</summary>
public sealed class UnlabeledText
{
    /// <summary>The text.</summary>
    public string Text { get; set; } = "";
}
