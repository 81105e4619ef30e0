// ScratchPretraining: does pretraining a small language model from scratch on unlabelled text, for a few minutes on a
// 2-core CPU, pay off when fine-tuning on a small labelled set? Three models over MiniLM's WordPiece vocabulary are
// trained on Rotten Tomatoes snippets (the SST-2 dev sentences removed): a 4-layer transformer with BERT's masked LM, the
// same transformer with a causal LM (the OpenAI transformer) and an AWD-LSTM (ULMFiT). Each — and the same architecture
// with its random initial weights — is then fine-tuned on a few thousand SST-2 training sentences and scored on SST-2
// dev. Prints (and writes to scratch-pretraining.md) a markdown table. Usage:
//   dotnet run -c Release --project examples/ScratchPretraining -- [--models mlm,clm,awd,bilstm] [--steps 600]
//       [--awd-steps 400] [--seeds 3] [--train 2000] [--epochs 3] [--out folder]
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
int steps = int.Parse(Option("--steps") ?? "600"), recurrentSteps = int.Parse(Option("--awd-steps") ?? "400");
int seeds = int.Parse(Option("--seeds") ?? "3"), trainSize = int.Parse(Option("--train") ?? "2000"), epochs = int.Parse(Option("--epochs") ?? "3");
string output = Option("--out") ?? Path.Combine(Path.GetTempPath(), "scratch-pretraining");
string? Option(string name) { int i = Array.IndexOf(args, name); return i >= 0 && i + 1 < args.Length ? args[i + 1] : null; }

var tokenizer = BertWordPieceTokenizer.FromHuggingFaceDirectory(EmbeddedModels.EnsureDirectory("minilm"));
var corpus = File.ReadAllLines(SharedData.File("unlabelled", "rt-snippets-minus-sst2-dev.txt"));
var mlContext = new MLContext(seed: 1);
var test = SharedData.Load(mlContext, SharedData.File("sst2", "dev.tsv"));
double Accuracy(ITransformer model) => mlContext.BinaryClassification.Evaluate(model.Transform(test)).Accuracy;
Console.WriteLine($"corpus: {corpus.Length:N0} lines; fine-tuning: {trainSize} SST-2 training sentences, test: SST-2 dev (872); {seeds} seeds; {Environment.ProcessorCount} cores");

var rows = new List<string>();
foreach (var name in models)
{
    var spec = Spec(name);
    string pretrainedDir = Path.Combine(output, name), randomDir = Path.Combine(output, name + "-random");
    Console.WriteLine($"\n== {spec.Title}: pretraining {spec.Steps} steps (lr {spec.Settings.LearningRate:G2}) ==");
    var lm = spec.Create();
    lm.Save(randomDir); // the same architecture and initial weights, never trained: the fine-tuning baseline
    var result = lm.Train(corpus, spec.Settings with { Steps = spec.Steps }, new ConsoleProgress(spec.Steps));
    lm.Save(pretrainedDir);
    lm.Dispose();
    Console.WriteLine($"held-out loss {result.HeldOutLossBefore:F3} → {result.HeldOutLossAfter:F3} (perplexity {result.PerplexityBefore:F0} → {result.PerplexityAfter:F0}), " +
                      $"{result.Duration.TotalMinutes:F1} min, {result.TokensPerSecond:F0} tokens/s");

    var (pretrained, random) = (new List<double>(), new List<double>());
    var clock = Stopwatch.StartNew();
    for (int seed = 1; seed <= seeds; seed++)
    {
        var train = SharedData.Sample(mlContext, SharedData.File("sst2", "train.tsv"), trainSize, seed);
        pretrained.Add(Accuracy(mlContext.BinaryClassification.Trainers.FineTuneTransformer(spec.FineTune(pretrainedDir, seed)).Fit(train)));
        random.Add(Accuracy(mlContext.BinaryClassification.Trainers.FineTuneTransformer(spec.FineTune(randomDir, seed)).Fit(train)));
        Console.WriteLine($"  seed {seed}: pretrained {pretrained[^1]:P1}, random init {random[^1]:P1}  [{clock.Elapsed:hh\\:mm\\:ss}]");
    }
    rows.Add($"| {spec.Title} | {result.HeldOutLossBefore:F2} → {result.HeldOutLossAfter:F2} | {result.PerplexityAfter:F0} | {result.Steps} | " +
             $"{result.Duration.TotalMinutes:F1} | {result.TokensPerSecond:F0} | {Stat(pretrained)} | {Stat(random)} | {(pretrained.Average() - random.Average()) * 100:+0.0;-0.0} |");
}

var baselineTrain = SharedData.Sample(mlContext, SharedData.File("sst2", "train.tsv"), trainSize, seed: 1);
double baseline = Accuracy(mlContext.Transforms.Text.FeaturizeText("Features", "Text").Append(mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression()).Fit(baselineTrain));
string table = string.Join('\n',
[
    $"Pretraining on {corpus.Length:N0} Rotten Tomatoes snippets (5% held out), then fine-tuning on {trainSize} SST-2 training sentences " +
    $"({epochs} epochs), accuracy on SST-2 dev, mean ± std over {seeds} seeds. FeaturizeText + logistic regression on the same sentences: {baseline:P1}.",
    "",
    "| model | LM held-out loss | perplexity after | LM steps | LM minutes | LM tokens/s | fine-tuned: pretrained | fine-tuned: random init | Δ points |",
    "|---|---|---|---|---|---|---|---|---|",
    .. rows,
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
    var pretraining = new PretrainingSettings { BatchSize = 32, MaxTokens = 64, Seed = 1, LearningRate = 5e-4 };
    FineTuneTransformerOptions FineTune(string dir, int seed, double lr, PoolingMode pooling) => new()
    {
        Model = dir, Seed = seed, Epochs = epochs, BatchSize = 32, MaxTokens = 64, LearningRate = lr, Pooling = pooling,
    };
    return name switch
    {
        "mlm" => new("transformer, masked LM (BERT)", steps, pretraining with { Objective = LanguageModelObjective.MaskedLm },
                     () => Transformer(LanguageModelObjective.MaskedLm), (d, s) => FineTune(d, s, 2e-4, PoolingMode.Mean)),
        "clm" => new("transformer, causal LM (OpenAI GPT)", steps, pretraining with { Objective = LanguageModelObjective.CausalLm },
                     () => Transformer(LanguageModelObjective.CausalLm), (d, s) => FineTune(d, s, 2e-4, PoolingMode.Mean)),
        "awd" or "bilstm" => new(name == "awd" ? "AWD-LSTM (ULMFiT)" : "bidirectional LSTM (ELMo-style)", recurrentSteps,
                     pretraining with { Objective = LanguageModelObjective.CausalLm, LearningRate = 3e-3 },
                     () => Recurrent(name == "awd" ? RecurrentConfig.SmallAwdLstm(0) : RecurrentConfig.SmallBiLstm(0)),
                     (d, s) => FineTune(d, s, 2e-3, PoolingMode.LastMaxMean)),
        _ => throw new ArgumentException($"unknown model '{name}' (mlm, clm, awd, bilstm)"),
    };
}

ScratchModel Transformer(LanguageModelObjective objective)
{
    var lm = LanguageModel.FromScratch(LanguageModel.SmallConfig(0), tokenizer, objective, seed: 1);
    return new ScratchModel((c, s, p) => LanguageModelTrainer.Train(lm, c, s, p), lm.Save, lm);
}

ScratchModel Recurrent(RecurrentConfig config)
{
    var lm = RecurrentLanguageModel.FromScratch(config, tokenizer, seed: 1);
    return new ScratchModel((c, s, p) => LanguageModelTrainer.Train(lm, c, s, p), lm.Save, lm);
}

/// <summary>One language model to pretrain and fine-tune.</summary>
record ModelSpec(string Title, int Steps, PretrainingSettings Settings, Func<ScratchModel> Create, Func<string, int, FineTuneTransformerOptions> FineTune);

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
