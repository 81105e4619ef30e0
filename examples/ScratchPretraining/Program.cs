// ScratchPretraining: does pretraining a small language model from scratch on unlabelled text, for minutes on a
// 2-core CPU, pay off when fine-tuning on a small labelled set? Language models over MiniLM's WordPiece vocabulary are
// trained on Rotten Tomatoes snippets (the SST-2 dev sentences removed): a 4-layer transformer with BERT's masked LM, the
// same transformer with a causal LM (the OpenAI transformer), an AWD-LSTM (ULMFiT) and optionally an ELMo-style
// bidirectional LSTM. Then each — and the same architecture with its random initial weights — is fine-tuned on a few
// hundred SST-2 training sentences and scored on SST-2 dev. Prints (and writes to scratch-pretraining.md) two markdown
// tables. Usage:
//   dotnet run -c Release --project examples/ScratchPretraining -- [--models mlm,clm,awd,bilstm] [--size tiny|small]
//       [--steps 300] [--lr 1e-3] [--rnn-lr 3e-3] [--seeds 3] [--train 500] [--epochs 4] [--recipe plain|ulmfit] [--threads N] [--out folder] [--reuse]
// --size small: the library's CPU defaults (hidden 256; LanguageModel.SmallConfig, RecurrentConfig.SmallAwdLstm);
// tiny (default): half as wide (128), so a shared 2-core machine gets through an epoch of the corpus in minutes.
// Data come from ../shared/data (not redistributed). Timings are wall-clock on whatever else the machine is running.
using System.Diagnostics;
using Microsoft.ML;
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
int seeds = int.Parse(Option("--seeds") ?? "3"), trainSize = int.Parse(Option("--train") ?? "500"), epochs = int.Parse(Option("--epochs") ?? "4");
string output = Option("--out") ?? Path.Combine(Path.GetTempPath(), "scratch-pretraining");
if (Option("--threads") is { } threads) TorchSharp.torch.set_num_threads(int.Parse(threads)); // 1 fares better when other jobs share the cores
string? Option(string name) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }

var tokenizer = BertWordPieceTokenizer.FromHuggingFaceDirectory(EmbeddedModels.EnsureDirectory("minilm"));
var corpus = File.ReadAllLines(SharedData.File("unlabelled", "rt-snippets-minus-sst2-dev.txt"));
var mlContext = new MLContext(seed: 1);
var test = SharedData.Load(mlContext, SharedData.File("sst2", "dev.tsv"));
double Accuracy(ITransformer model) => mlContext.BinaryClassification.Evaluate(model.Transform(test)).Accuracy;
Console.WriteLine($"corpus: {corpus.Length:N0} lines; fine-tuning: {trainSize} SST-2 training sentences, test: SST-2 dev (872); {seeds} seeds; {Environment.ProcessorCount} cores");

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

// 2. Fine-tune each pretrained model and its random twin on the same sentences, several seeds.
var fineTuneRows = new List<string>();
foreach (var spec in specs)
{
    Console.WriteLine($"\n== {spec.Title}: fine-tuning ==");
    var (pretrained, random) = (new List<double>(), new List<double>());
    var clock = Stopwatch.StartNew();
    for (int seed = 1; seed <= seeds; seed++)
    {
        var train = SharedData.Sample(mlContext, SharedData.File("sst2", "train.tsv"), trainSize, seed);
        pretrained.Add(Accuracy(mlContext.BinaryClassification.Trainers.FineTuneTransformer(spec.FineTune(spec.PretrainedDirectory, seed)).Fit(train)));
        random.Add(Accuracy(mlContext.BinaryClassification.Trainers.FineTuneTransformer(spec.FineTune(spec.RandomDirectory, seed)).Fit(train)));
        Console.WriteLine($"  seed {seed}: pretrained {pretrained[^1]:P1}, random init {random[^1]:P1}  [{clock.Elapsed:hh\\:mm\\:ss}]");
    }
    fineTuneRows.Add($"| {spec.Title} | {Stat(pretrained)} | {Stat(random)} | {(pretrained.Average() - random.Average()) * 100:+0.0;-0.0} | " +
                     $"{string.Join(" ", pretrained.Select(a => a.ToString("P1")))} / {string.Join(" ", random.Select(a => a.ToString("P1")))} | {clock.Elapsed.TotalMinutes:F0} |");
}

var baselineTrain = SharedData.Sample(mlContext, SharedData.File("sst2", "train.tsv"), trainSize, seed: 1);
double baseline = Accuracy(mlContext.Transforms.Text.FeaturizeText("Features", "Text").Append(mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression()).Fit(baselineTrain));
string table = string.Join('\n',
[
    $"Language models trained from scratch on {corpus.Length:N0} Rotten Tomatoes snippets (5% of the lines held out; {steps} steps of 32 " +
    $"windows of at most 64 word pieces), {Environment.ProcessorCount} cores shared with other jobs:",
    "",
    "| model | shape | held-out loss | held-out perplexity | held-out accuracy after | steps | tokens | minutes | tokens/s |",
    "|---|---|---|---|---|---|---|---|---|",
    .. lmRows,
    "",
    $"Fine-tuned on {trainSize} SST-2 training sentences (at least 6 words; a new sample per seed), {epochs} epochs, accuracy on SST-2 dev " +
    $"(872), mean ± std over {seeds} seeds; the same settings for both starts ({(ulmfit ? "ULMFiT recipe: discriminative rates ÷2.6 per layer, slanted triangular, gradual unfreezing" : "one rate, linear warm-up and decay")}). FeaturizeText + logistic regression on the seed-1 sentences: {baseline:P1}.",
    "",
    "| model | pretrained | random init | Δ points | per seed (pretrained / random) | minutes |",
    "|---|---|---|---|---|---|",
    .. fineTuneRows,
]);
Console.WriteLine($"\n{table}");
File.WriteAllText("scratch-pretraining.md", table + "\n");

string Stat(List<double> values)
{
    double mean = values.Average(), std = Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
    return $"{mean:P1} ± {std * 100:F1}";
}

ModelSpec Spec(string name)
{
    var pretraining = new PretrainingSettings { BatchSize = 32, MaxTokens = 64, Seed = 1, LearningRate = transformerRate ?? (tiny ? 1e-3 : 5e-4) };
    FineTuneTransformerOptions FineTune(string dir, int seed, double lr, PoolingMode pooling) => ulmfit
        ? new()
        {
            // ULMFiT's classifier recipe: rates divided by 2.6 per layer down, slanted triangular schedule, gradual unfreezing.
            Model = dir, Seed = seed, Epochs = epochs, BatchSize = 16, MaxTokens = 64, LearningRate = lr * 2, Pooling = pooling,
            LayerLearningRateDecay = 1 / 2.6, Schedule = ScheduleKind.SlantedTriangular, UnfreezeBlocksPerEpoch = 2,
        }
        : new() { Model = dir, Seed = seed, Epochs = epochs, BatchSize = 16, MaxTokens = 64, LearningRate = lr, Pooling = pooling };
    var transformer = tiny ? LanguageModel.SmallConfig(0) with { HiddenSize = 128, NumAttentionHeads = 2, IntermediateSize = 512 } : LanguageModel.SmallConfig(0);
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

ScratchModel Transformer(EncoderConfig config, LanguageModelObjective objective)
{
    var lm = LanguageModel.FromScratch(config, tokenizer, objective, seed: 1);
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

/// <summary>Labelled text.</summary>
sealed class LabeledText
{
    public bool Label { get; set; }
    public string Text { get; set; } = "";
}

/// <summary>Data from ../shared/data (their licences do not allow copying them into the repository).</summary>
static class SharedData
{
    public static string File(string folder, string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "data", folder, name);
            if (System.IO.File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"This example needs ../shared/data/{folder}/{name} next to the repository.");
    }

    public static IDataView Load(MLContext mlContext, string path) => mlContext.Data.LoadFromEnumerable(Read(path).ToList());

    /// <summary><paramref name="count"/> seeded training rows of at least six words (SST-2's training set also holds short phrases).</summary>
    public static IDataView Sample(MLContext mlContext, string path, int count, int seed)
    {
        var sentences = Read(path).Where(r => r.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length >= 6).ToArray();
        new Random(seed).Shuffle(sentences);
        return mlContext.Data.LoadFromEnumerable(sentences.Take(count).ToList());
    }

    private static IEnumerable<LabeledText> Read(string path) => System.IO.File.ReadLines(path).Skip(1)
        .Select(line => line.Split('\t', 2)).Select(p => new LabeledText { Label = p[0] == "1", Text = p[1] });
}
