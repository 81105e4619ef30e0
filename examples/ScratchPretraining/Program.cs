// ScratchPretraining: does pretraining a small language model from scratch on unlabelled text, for minutes on a
// 2-core CPU, pay off when fine-tuning on a small labelled set? Language models over MiniLM's WordPiece vocabulary are
// trained on the task's unlabelled corpus (sst2, uci: Rotten Tomatoes snippets without the SST-2 dev sentences; agnews:
// the AG News training articles without labels): a 4-layer transformer with BERT's masked LM, the same transformer with
// a causal LM (the OpenAI transformer), an AWD-LSTM (ULMFiT) and optionally an ELMo-style bidirectional LSTM. Then each
// — and the same architecture with its random initial weights — is fine-tuned on a small labelled sample (and used as
// frozen features) and scored on the task's test set. Prints (and writes to <out>/scratch-pretraining.md) two markdown
// tables. Usage:
//   dotnet run -c Release --project examples/ScratchPretraining -- [--models mlm,clm,awd,bilstm] [--size tiny|small]
//       [--task sst2|uci|agnews] [--steps 300] [--lr 1e-3] [--rnn-lr 3e-3] [--seeds 3] [--train 500] [--epochs 4] [--recipe plain|ulmfit] [--vocab-min-count N]
//       [--threads N] [--out folder] [--reuse] [--aux-study] [--aux-weights 0,0.5] [--poolings mean,last]
// --aux-study: instead of the pretrained-vs-random comparison, fine-tune each pretrained causal transformer with the
// OpenAI transformer's recipe pieces on the same samples: every auxiliary language-model weight λ in --aux-weights
// (loss = task + λ × next-token loss of the batch) × every pooling in --poolings (last = the last real token's state,
// GPT-1's convention; mean = today's default); prints mean ± std and the paired difference to the first arm.
// --size small: the library's CPU defaults (hidden 256; TransformerLanguageModel.SmallConfig, RecurrentConfig.SmallAwdLstm);
// tiny (default): half as wide (128), so a shared 2-core machine gets through an epoch of the corpus in minutes.
// Data come from ../shared/data (not redistributed). Timings are wall-clock on whatever else the machine is running.
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Recurrent;
using MLNet.Transfer.Pretraining;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training;

var models = (Option("--models") ?? "mlm,clm,awd").Split(',');
bool tiny = (Option("--size") ?? "tiny") == "tiny";
bool ulmfit = (Option("--recipe") ?? "plain") == "ulmfit";
bool reuse = args.Contains("--reuse"); // fine-tune the models a previous run left in --out instead of pretraining again
int steps = int.Parse(Option("--steps") ?? "300");
double? transformerRate = Option("--lr") is { } t ? double.Parse(t, System.Globalization.CultureInfo.InvariantCulture) : null;
double? recurrentRate = Option("--rnn-lr") is { } r ? double.Parse(r, System.Globalization.CultureInfo.InvariantCulture) : null;
string taskName = Option("--task") ?? "sst2";
int seeds = int.Parse(Option("--seeds") ?? "3"), epochs = int.Parse(Option("--epochs") ?? "4");
int? trainSize = Option("--train") is { } n ? int.Parse(n) : null;
string output = Option("--out") ?? Path.Combine(Path.GetTempPath(), "scratch-pretraining");
if (Option("--threads") is { } threads) TorchSharp.torch.set_num_threads(int.Parse(threads)); // 1 fares better when other jobs share the cores
string? Option(string name) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }

var mlContext = new MLContext(seed: 1);
var task = LabelledTask.Create(taskName, mlContext, trainSize);
var corpus = task.Corpus;
// MiniLM's WordPiece vocabulary, or (--vocab-min-count N) only the pieces the corpus uses N times or more.
var tokenizer = BertWordPieceTokenizer.FromHuggingFaceDirectory(EmbeddedModels.EnsureDirectory("minilm"));
if (Option("--vocab-min-count") is { } minCount) tokenizer = tokenizer.RestrictTo(corpus, int.Parse(minCount));
// Every task is scored as multiclass (two classes for sentiment), so one pipeline and one metric serve all of them.
double Accuracy(ITransformer model) => mlContext.MulticlassClassification.Evaluate(model.Transform(task.Test)).MicroAccuracy;
IEstimator<ITransformer> Keyed(IEstimator<ITransformer> trainer) => mlContext.Transforms.Conversion.MapValueToKey("Label").Append(trainer);
Console.WriteLine($"corpus: {corpus.Length:N0} lines ({task.CorpusText}), {tokenizer.VocabSize:N0} word pieces; fine-tuning: {task.Description}; {seeds} seeds; {Environment.ProcessorCount} cores");

// 1. Pretrain every model (and keep its untrained twin: the same architecture and initial weights).
var lmRows = new List<string>();
var specs = models.Select(Spec).ToArray();
foreach (var spec in specs.Where(_ => !reuse))
{
    Console.WriteLine($"\n== {spec.Title}: pretraining {steps} steps (lr {spec.Settings.LearningRate:G2}) ==");
    var lm = spec.Create();
    lm.Save(spec.RandomDirectory);
    var result = lm.Train(corpus, spec.Settings with { Steps = steps }, new ConsoleProgress(steps));
    lm.Save(spec.PretrainedDirectory);
    lm.Dispose();
    Console.WriteLine($"held-out loss {result.HeldOutLossBefore:F3} → {result.HeldOutLossAfter:F3} (perplexity {result.PerplexityBefore:F0} → {result.PerplexityAfter:F0}), " +
                      $"{result.Duration.TotalMinutes:F1} min, {result.TokensPerSecond:F0} tokens/s");
    lmRows.Add($"| {spec.Title} | {spec.Shape} | {result.HeldOutLossBefore:F2} → {result.HeldOutLossAfter:F2} | {result.PerplexityBefore:F0} → {result.PerplexityAfter:F0} | " +
               $"{result.After.Accuracy:P1} | {result.Steps} | {result.TrainTokens:N0} | {result.Duration.TotalMinutes:F1} | {result.TokensPerSecond:F0} |");
}

if (args.Contains("--aux-study"))
{
    var weights = (Option("--aux-weights") ?? "0,0.5").Split(',').Select(w => double.Parse(w, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    var poolings = (Option("--poolings") ?? "mean,last").Split(',').Select(p => Enum.Parse<PoolingMode>(p, ignoreCase: true)).ToArray();
    foreach (var spec in specs.Where(s => s.Name == "clm"))
    {
        string study = AuxiliaryStudy.Run(spec.Title, weights, poolings, seeds, task.Description, epochs,
            (weight, pooling, seed) =>
            {
                var options = spec.FineTune(spec.PretrainedDirectory, seed);
                options.Pooling = pooling;
                options.AuxiliaryLanguageModelWeight = weight;
                return Accuracy(Keyed(mlContext.MulticlassClassification.Trainers.FineTuneTransformer(options)).Fit(task.TrainingSample(seed)));
            });
        Directory.CreateDirectory(output);
        File.WriteAllText(Path.Combine(output, $"aux-study-{spec.Name}.md"), study + "\n");
    }
    return;
}

// 2. Fine-tune each pretrained model and its random twin on the same sentences, several seeds; and, ELMo-style, train a
//    logistic regression on their frozen features (every layer, mean-pooled, concatenated).
var fineTuneRows = new List<string>();
foreach (var spec in specs)
{
    Console.WriteLine($"\n== {spec.Title}: fine-tuning ==");
    var (pretrained, random, pretrainedFeatures, randomFeatures) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
    var clock = Stopwatch.StartNew();
    for (int seed = 1; seed <= seeds; seed++)
    {
        var train = task.TrainingSample(seed);
        pretrained.Add(Accuracy(Keyed(mlContext.MulticlassClassification.Trainers.FineTuneTransformer(spec.FineTune(spec.PretrainedDirectory, seed))).Fit(train)));
        random.Add(Accuracy(Keyed(mlContext.MulticlassClassification.Trainers.FineTuneTransformer(spec.FineTune(spec.RandomDirectory, seed))).Fit(train)));
        pretrainedFeatures.Add(Accuracy(Features(spec.PretrainedDirectory).Fit(train)));
        randomFeatures.Add(Accuracy(Features(spec.RandomDirectory).Fit(train)));
        Console.WriteLine($"  seed {seed}: fine-tuned pretrained {pretrained[^1]:P1}, random init {random[^1]:P1}; " +
                          $"frozen features pretrained {pretrainedFeatures[^1]:P1}, random {randomFeatures[^1]:P1}  [{clock.Elapsed:hh\\:mm\\:ss}]");
    }
    fineTuneRows.Add($"| {spec.Title} | {Stat(pretrained)} | {Stat(random)} | {Delta(pretrained, random)} | {Stat(pretrainedFeatures)} | {Stat(randomFeatures)} | " +
                     $"{Delta(pretrainedFeatures, randomFeatures)} | {clock.Elapsed.TotalMinutes:F0} |");
}

IEstimator<ITransformer> Features(string dir)
{
    using var encoder = PretrainedEncoder.Load(dir);
    int[] layers = [.. Enumerable.Range(0, encoder.LayerCount + 1)];
    return Keyed(mlContext.Transforms.Text.ApplyContextualEmbeddings(new ContextualEmbeddingOptions
        {
            Model = dir, Layers = layers, Combination = LayerCombination.Concatenate, Pooling = PoolingMode.Mean, MaxTokens = 64,
        })
        .Append(mlContext.Transforms.NormalizeMeanVariance("Features"))
        .Append(Classifier()));
}

IEstimator<ITransformer> Classifier() => mlContext.MulticlassClassification.Trainers.LbfgsMaximumEntropy(l1Regularization: 0, l2Regularization: 1e-2f);

string Delta(List<double> a, List<double> b) => $"{(a.Average() - b.Average()) * 100:+0.0;-0.0}";

double baseline = Accuracy(Keyed(mlContext.Transforms.Text.FeaturizeText("Features", "Text").Append(Classifier())).Fit(task.TrainingSample(1)));
string table = string.Join('\n',
[
    $"Language models trained from scratch on {corpus.Length:N0} lines of {task.CorpusText}, vocabulary of {tokenizer.VocabSize:N0} MiniLM word pieces (5% of the lines held out; {steps} steps of 32 " +
    $"windows of at most 64 word pieces), {Environment.ProcessorCount} cores:",
    "",
    "| model | shape | held-out loss | held-out perplexity | held-out accuracy after | steps | tokens | minutes | tokens/s |",
    "|---|---|---|---|---|---|---|---|---|",
    .. lmRows,
    "",
    $"Fine-tuned on {task.Description} (a new sample and seed per run), {epochs} epochs, accuracy, " +
    $"mean ± std over {seeds} seeds; the same settings for both starts ({(ulmfit ? "ULMFiT recipe: discriminative rates ÷2.6 per layer, slanted triangular, gradual unfreezing" : "one rate, linear warm-up and decay")}). " +
    $"Frozen features: every layer mean-pooled, concatenated, standardised, L-BFGS maximum entropy. FeaturizeText + the same classifier on the seed-1 sample: {baseline:P1}.",
    "",
    "| model | fine-tuned: pretrained | fine-tuned: random init | Δ points | frozen features + LR: pretrained | frozen features + LR: random | Δ points | minutes |",
    "|---|---|---|---|---|---|---|---|",
    .. fineTuneRows,
]);
Console.WriteLine($"\n{table}");
Directory.CreateDirectory(output);
File.WriteAllText(Path.Combine(output, "scratch-pretraining.md"), table + "\n");

string Stat(List<double> values)
{
    double mean = values.Average(), std = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
    return $"{mean:P1} ± {std * 100:F1}";
}

ModelSpec Spec(string name)
{
    var pretraining = new PretrainingSettings { BatchSize = 32, MaxTokens = 64, Seed = 1, LearningRate = transformerRate ?? (tiny ? 1e-3 : 5e-4) };
    // The pretrained-vs-random comparison fine-tunes without the auxiliary language-model loss (λ = 0, as when its table
    // was measured); --aux-study sets λ per arm.
    FineTuneTransformerOptions FineTune(string dir, int seed, double lr, PoolingMode pooling) => ulmfit
        ? new()
        {
            // ULMFiT's classifier recipe: rates divided by 2.6 per layer down, slanted triangular schedule, gradual unfreezing.
            Model = dir, Seed = seed, Epochs = epochs, BatchSize = 16, MaxTokens = 64, LearningRate = lr * 2, Pooling = pooling,
            LayerLearningRateDecay = 1 / 2.6, Schedule = ScheduleKind.SlantedTriangular, UnfreezeBlocksPerEpoch = 2, AuxiliaryLanguageModelWeight = 0,
        }
        : new() { Model = dir, Seed = seed, Epochs = epochs, BatchSize = 16, MaxTokens = 64, LearningRate = lr, Pooling = pooling, AuxiliaryLanguageModelWeight = 0 };
    var transformer = tiny ? TransformerLanguageModel.SmallConfig(0) with { HiddenSize = 128, NumAttentionHeads = 2, IntermediateSize = 512 } : TransformerLanguageModel.SmallConfig(0);
    string transformerShape = $"{transformer.NumHiddenLayers} layers, hidden {transformer.HiddenSize}, FFN {transformer.IntermediateSize}";
    var awd = tiny ? RecurrentConfig.SmallAwdLstm(0) with { EmbeddingSize = 128, HiddenSize = 384 } : RecurrentConfig.SmallAwdLstm(0);
    var bilstm = tiny ? RecurrentConfig.SmallBiLstm(0) with { EmbeddingSize = 128, HiddenSize = 128 } : RecurrentConfig.SmallBiLstm(0);
    string Shape(RecurrentConfig c) => $"{c.NumHiddenLayers} LSTM layers{(c.Bidirectional ? " per direction" : "")} of " +
        $"{string.Join("/", Enumerable.Range(0, c.NumHiddenLayers).Select(c.LayerUnits))}, embeddings {c.EmbeddingSize}";
    var recurrent = pretraining with { Objective = LanguageModelObjective.CausalLm, LearningRate = recurrentRate ?? 3e-3 };
    return name switch
    {
        "mlm" => new(name, "transformer, masked LM (BERT)", transformerShape, pretraining with { Objective = LanguageModelObjective.MaskedLm },
                     () => Transformer(transformer, LanguageModelObjective.MaskedLm), (d, s) => FineTune(d, s, 2e-4, PoolingMode.Mean), output),
        "clm" => new(name, "transformer, causal LM (OpenAI GPT)", transformerShape, pretraining with { Objective = LanguageModelObjective.CausalLm },
                     () => Transformer(transformer, LanguageModelObjective.CausalLm), (d, s) => FineTune(d, s, 2e-4, PoolingMode.Mean), output),
        "awd" => new(name, "AWD-LSTM (ULMFiT)", Shape(awd), recurrent, () => Recurrent(awd), (d, s) => FineTune(d, s, 2e-3, PoolingMode.LastMaxMean), output),
        "bilstm" => new(name, "bidirectional LSTM (ELMo-style)", Shape(bilstm), recurrent, () => Recurrent(bilstm), (d, s) => FineTune(d, s, 2e-3, PoolingMode.MeanMax), output),
        _ => throw new ArgumentException($"unknown model '{name}' (mlm, clm, awd, bilstm)"),
    };
}

ScratchModel Transformer(BertConfig config, LanguageModelObjective objective)
{
    var lm = TransformerLanguageModel.FromScratch(config, tokenizer, objective, seed: 1);
    return new ScratchModel((c, s, p) => LanguageModelTrainer.Train(lm, c, s, p), lm.Save, lm);
}

ScratchModel Recurrent(RecurrentConfig config)
{
    var lm = RecurrentLanguageModel.FromScratch(config, tokenizer, seed: 1);
    return new ScratchModel((c, s, p) => LanguageModelTrainer.Train(lm, c, s, p), lm.Save, lm);
}

/// <summary>One language model to pretrain and fine-tune.</summary>
record ModelSpec(string Name, string Title, string Shape, PretrainingSettings Settings, Func<ScratchModel> Create,
                 Func<string, int, FineTuneTransformerOptions> FineTune, string Folder)
{
    public string PretrainedDirectory => Path.Combine(Folder, Name);
    public string RandomDirectory => Path.Combine(Folder, Name + "-random");
}

/// <summary>A language model of either family, reduced to what this example does with it.</summary>
record ScratchModel(Func<IReadOnlyList<string>, PretrainingSettings, IProgress<TrainingProgress>, PretrainingResult> Train, Action<string> Save, IDisposable Owner)
{
    public void Dispose() => Owner.Dispose();
}

/// <summary>About ten progress lines per run.</summary>
sealed class ConsoleProgress(int steps) : IProgress<TrainingProgress>
{
    public void Report(TrainingProgress p)
    {
        if (p.Step % Math.Max(1, steps / 10) == 0 || p.Step == p.TotalSteps)
            Console.WriteLine($"  step {p.Step}/{p.TotalSteps}  loss {p.Loss:F3}  {p.TokensPerSecond:F0} tokens/s  eta {p.Eta:hh\\:mm\\:ss}");
    }
}

/// <summary>Labelled text (labels as given in the files: 0/1 for sentiment, 1–4 for AG News).</summary>
sealed class LabeledText
{
    public string Label { get; set; } = "";
    public string Text { get; set; } = "";
}

/// <summary>An unlabelled corpus to pretrain on and a small labelled task to transfer to.</summary>
sealed record LabelledTask(string Description, string CorpusText, string[] Corpus, IDataView Test, Func<int, IDataView> TrainingSample)
{
    /// <summary>
    /// sst2: a seeded sample of SST-2 training sentences (≥ 6 words; default 500), tested on SST-2 dev, corpus = Rotten
    /// Tomatoes snippets without the dev sentences (the labelled text's own domain). uci: UCI yelp + amazon sentences
    /// (default 2,000) tested on UCI imdb, same corpus (labels from other domains, unlabelled text from the test's).
    /// agnews: a seeded sample of AG News training articles (default 64 per topic), tested on the 1,600 test articles,
    /// corpus = the text of the 6,000 training articles without their labels (ULMFiT's target-task LM data).
    /// </summary>
    public static LabelledTask Create(string name, MLContext mlContext, int? size)
    {
        IDataView Load(IEnumerable<LabeledText> rows) => mlContext.Data.LoadFromEnumerable(rows.ToList());
        IEnumerable<LabeledText> Shuffled(IEnumerable<LabeledText> rows, int seed) { var a = rows.ToArray(); new Random(seed).Shuffle(a); return a; }
        switch (name)
        {
            case "sst2":
            {
                var sentences = SharedData.Read(SharedData.File("sst2", "train.tsv")).Where(r => r.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length >= 6).ToArray();
                int n = size ?? 500;
                return new($"{n} SST-2 training sentences of at least 6 words, tested on SST-2 dev (872)", "Rotten Tomatoes snippets without the SST-2 dev sentences",
                    File.ReadAllLines(SharedData.File("unlabelled", "rt-snippets-minus-sst2-dev.txt")),
                    Load(SharedData.Read(SharedData.File("sst2", "dev.tsv"))), seed => Load(Shuffled(sentences, seed).Take(n)));
            }
            case "uci":
            {
                var reviews = SharedData.ReadUci("yelp", "amazon").ToArray();
                int n = Math.Min(size ?? 2000, reviews.Length);
                return new($"{n} UCI yelp + amazon sentences, tested on the 1,000 UCI imdb sentences", "Rotten Tomatoes snippets without the SST-2 dev sentences",
                    File.ReadAllLines(SharedData.File("unlabelled", "rt-snippets-minus-sst2-dev.txt")),
                    Load(SharedData.ReadUci("imdb")), seed => Load(Shuffled(reviews, seed).Take(n)));
            }
            case "agnews":
            {
                var articles = SharedData.Read(SharedData.File("agnews", "train.tsv")).ToArray();
                int k = size ?? 64;
                return new($"{k} AG News training articles per topic (4 topics), tested on the 1,600 test articles", "AG News training articles (text only)",
                    articles.Select(a => a.Text).ToArray(), Load(SharedData.Read(SharedData.File("agnews", "test.tsv"))),
                    seed => Load(Shuffled(articles, seed).GroupBy(a => a.Label).SelectMany(g => g.Take(k))));
            }
            default: throw new ArgumentException($"unknown task '{name}' (sst2, uci, agnews)");
        }
    }
}

/// <summary>Data from ../shared/data (their licences do not allow copying them into the repository) and the repository's data/.</summary>
static class SharedData
{
    public static string File(string folder, string name) => DataFiles.Find(Path.Combine("shared", "data", folder, name));

    /// <summary>The repository's UCI sentiment sentences of the given sites (CC BY 4.0).</summary>
    public static IEnumerable<LabeledText> ReadUci(params string[] sites)
    {
        string folder = DataFiles.Find(Path.Combine("data", "sentiment-uci"));
        return sites.SelectMany(site => Read(Path.Combine(folder, site + ".tsv"))).ToList();
    }

    /// <summary>Rows of a Label⇥Text file with a header line.</summary>
    public static IEnumerable<LabeledText> Read(string path) => System.IO.File.ReadLines(path).Skip(1)
        .Select(line => line.Split('\t', 2)).Select(p => new LabeledText { Label = p[0], Text = p[1] });
}
