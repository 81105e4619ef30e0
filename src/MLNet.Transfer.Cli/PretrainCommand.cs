using System.Globalization;
using System.Text.Json;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models.Glomo;
using MLNet.Transfer.Models.Recurrent;
using MLNet.Transfer.Pretraining;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.Cli;

/// <summary><c>pretrain</c>: adapt a pretrained encoder to unlabelled text, or train a small one from scratch.</summary>
public static class PretrainCommand
{
    /// <summary>The verb's definition: usage, options and notes.</summary>
    public static CliVerb Verb { get; } = new("pretrain", "adapt or train a language model (masked or causal) → Hugging Face directory",
        """
        mlnet-transfer pretrain --corpus file.txt --model minilm|arctic-xs|<dir>|scratch --objective mlm|clm
                                [--steps N] [--valid-fraction F] --output <dir> [--json]
                                [--arch transformer|awd-lstm|bilstm|glomo] [--tokenizer minilm|<hf-dir>] [--seed N] [--max-tokens N]
                                [--batch-size N] [--lr X] [--masking token|whole-word] [--head-warmup N]
                                [--contrastive-weight W] [--vocab-min-count N] [--checkpoint-dir DIR] [--device cpu|cuda[:N]]
        """,
        [
            CliOption.Value("corpus", "file.txt", "The unlabelled text, one text per line."),
            CliOption.Value("model", "minilm|arctic-xs|<dir>|scratch",
                "The model to continue pretraining (domain adaptation), or scratch for a small new one with the vocabulary of --tokenizer.", "minilm"),
            CliOption.OneOf("objective", ["mlm", "clm"],
                "mlm = BERT masked LM (15% of tokens: 80% [MASK], 10% random, 10% kept); clm = causal next-token LM (a transformer is "
                + "saved as a decoder, with is_decoder).", "mlm; clm for a recurrent or glomo model"),
            CliOption.Value("steps", "N", "Training steps.", "one pass over the text"),
            CliOption.Value("valid-fraction", "F",
                "The seeded fraction of the lines held out and scored with a fixed masking before and after training.", "0.05"),
            CliOption.Value("output", "<dir>", "The model directory to write (encoder + LM head)."),
            CliOption.Flag("json",
                "The last line is one JSON object with HeldOutLossBefore and HeldOutLossAfter (and perplexities, accuracies, steps, "
                + "tokens per second)."),
            CliOption.OneOf("arch", ["transformer", "awd-lstm", "bilstm", GlomoArch],
                "scratch only: transformer (4 layers, hidden 256; default), awd-lstm (ULMFiT's AWD-LSTM: 3 LSTM layers 512/512/256, "
                + "embeddings 256, weight-dropped, tied softmax), bilstm (ELMo-style forward and backward LSTMs, 2 layers of 256, shared "
                + "embeddings and softmax) or glomo (GLoMo-style (reduced) graph predictor: key/query convolutions over embeddings 128 "
                + "wide give 2 layers × 4 heads of graphs normalised by squared ReLU, trained with a feature predictor that predicts the "
                + "next 3 tokens in both directions from graph-aggregated context; its directory holds graphs for transfer, not an "
                + "encoder for the other verbs). A recurrent or glomo model trains with clm (the default for it; bilstm adds the "
                + "previous-token objective); a recurrent or glomo --model <dir> continues training it."),
            CliOption.Value("tokenizer", "minilm|<hf-dir>", "scratch only: the vocabulary of the new model.", "minilm"),
            CliOption.Value("seed", "N", "Seed of the held-out split, masking and initialisation.", "42"),
            CliOption.Value("max-tokens", "N", "Tokens per line, 3-512.", "128"),
            CliOption.Value("batch-size", "N", "Lines per step.", "32"),
            CliOption.Value("lr", "X", "Peak learning rate.", "1e-4; 5e-4 from scratch; recurrent: 1e-3, 3e-3 from scratch; glomo 2e-3"),
            CliOption.OneOf("masking", ["token", "whole-word"], "mlm: mask single word pieces, or every piece of a chosen word.", "token"),
            CliOption.Value("head-warmup", "N",
                "First trains only a new (random) LM head for N extra steps with the encoder frozen, so its large early gradients never "
                + "reach the pretrained weights; the held-out loss after it is a fair baseline. Default: min(200, --steps) when a "
                + "pretrained model has no LM head (e.g. minilm), else 0."),
            CliOption.Value("contrastive-weight", "W",
                "Adds W × an unsupervised SimCSE loss (each text encoded twice with dropout must find its twin in the batch) to the LM "
                + "loss, so adapting a sentence encoder (minilm, arctic-xs) keeps the pooled embeddings that classifiers build on; 0 "
                + "(default) = off. Each step costs about 2.4× as long."),
            CliOption.Value("vocab-min-count", "N",
                "scratch only: keeps only the word pieces of --tokenizer that the corpus uses at least N times (plus single characters "
                + "and special tokens): a smaller embedding table and output layer, so a model trained from scratch trains faster; with 1 "
                + "the corpus tokenizes exactly as before."),
            CliOption.Value("checkpoint-dir", "DIR",
                "Writes a resumable checkpoint every 500 steps and at the end; a run finding one there (same settings and corpus) resumes from it."),
            DeviceOption.Option,
        ],
        [
            "Trains a language model on one text per line of --corpus: continues pretraining (domain adaptation) of an existing model, "
            + "or trains a small one from scratch with the vocabulary of --tokenizer (default minilm).",
            "Writes a model directory (encoder + LM head) usable as --model <dir> by every other verb; it is written under a temporary "
            + "name and renamed when complete.",
        ],
        Run);

    private const string GlomoArch = "glomo";

    /// <summary>Runs the verb.</summary>
    public static int Run(CliArguments args)
    {
        string corpusPath = args.Required("corpus");
        string modelName = args.Optional("model") ?? "minilm";
        string? objectiveChoice = args.Choice("objective");
        int? steps = args.Int("steps", 1);
        double? validFraction = args.Double("valid-fraction", 1e-6, 0.5);
        string output = args.Required("output");
        bool json = args.Flag("json");
        string? archChoice = args.Choice("arch");
        string? tokenizerSource = args.Optional("tokenizer");
        int? seed = args.Int("seed");
        int? maxTokens = args.Int("max-tokens", 3, 512);
        int? batchSize = args.Int("batch-size", 1, 4096);
        double? learningRate = args.Double("lr", 1e-8, 1);
        string masking = args.Choice("masking") ?? "token";
        int? headWarmup = args.Int("head-warmup", 0);
        string? checkpoints = args.Optional("checkpoint-dir");
        string device = DeviceOption.Read(args);
        int? vocabMinCount = args.Int("vocab-min-count", 1);
        double? contrastiveWeight = args.Double("contrastive-weight", 0, 1000);
        args.RejectUnused();

        if (!File.Exists(corpusPath)) throw new CliException($"Corpus file '{corpusPath}' does not exist.");
        var corpus = File.ReadAllLines(corpusPath);
        if (corpus.All(string.IsNullOrWhiteSpace)) throw new CliException($"Corpus file '{corpusPath}' is empty (no non-blank lines).");
        bool scratch = modelName.Equals("scratch", StringComparison.OrdinalIgnoreCase);
        if (!scratch && tokenizerSource is not null) throw new CliException("--tokenizer only applies to --model scratch (a pretrained model brings its own).");
        if (!scratch && archChoice is not null) throw new CliException("--arch only applies to --model scratch (a pretrained model has its architecture).");
        if (!scratch && vocabMinCount is not null) throw new CliException("--vocab-min-count only applies to --model scratch (a pretrained model keeps its vocabulary).");
        string arch = scratch ? archChoice ?? "transformer" : RecurrentDirectory.IsRecurrentModel(modelName) ? RecurrentDirectory.ModelType(modelName)!
            : IsGlomoDirectory(modelName) ? GlomoArch : "transformer";
        bool glomo = arch == GlomoArch;
        bool recurrent = arch != "transformer" && !glomo;
        if ((recurrent || glomo) && objectiveChoice == "mlm")
            throw new CliException($"A {(glomo ? "GLoMo-style" : "recurrent")} language model ({arch}) predicts tokens it does not see: use --objective clm (its default), not mlm.");
        string objectiveText = objectiveChoice ?? (recurrent || glomo ? "clm" : "mlm");
        AtomicDirectory.EnsureReplaceable(output); // fail now, not after training
        var objective = objectiveText == "clm" ? LanguageModelObjective.CausalLm : LanguageModelObjective.MaskedLm;
        int runSeed = seed ?? 42;

        var tokenizer = scratch ? ScratchTokenizer(tokenizerSource ?? "minilm", corpus, vocabMinCount) : null;
        using var model = glomo ? Glomo(modelName, tokenizer, runSeed, device)
                        : recurrent ? Recurrent(modelName, tokenizer, arch, runSeed, device)
                        : Transformer(modelName, tokenizer, objective, runSeed, device);
        var settings = new PretrainingSettings
        {
            Objective = objective,
            Steps = steps ?? 0,
            ValidFraction = validFraction ?? 0.05,
            Seed = runSeed,
            MaxTokens = Math.Min(maxTokens ?? 128, model.MaxTokens),
            BatchSize = batchSize ?? 32,
            LearningRate = learningRate ?? (glomo ? 2e-3 : recurrent ? (scratch ? 3e-3 : 1e-3) : (scratch ? 5e-4 : 1e-4)),
            Masking = new MaskingOptions { WholeWordMasking = masking == "whole-word" },
            ContrastiveWeight = contrastiveWeight ?? 0,
            HeadWarmupSteps = headWarmup, // null: automatic (200 head-only steps, at most --steps, when the head starts random)
            CheckpointDirectory = checkpoints,
        };

        var stdout = Console.Out;
        stdout.WriteLine($"pretrain {objectiveText} on {model.Description}: {corpus.Length} lines from {corpusPath}");
        var progress = new ConsoleProgress(stdout, settings.Steps);
        var result = model.Train(corpus, settings, progress);
        if (result.AfterHeadWarmup is { } warm)
            stdout.WriteLine(Invariant($"after the head-only warm-up: held-out loss {warm.Loss:F4}, perplexity {warm.Perplexity:F2}, accuracy {warm.Accuracy:P1}"));
        stdout.WriteLine(Invariant($"held-out ({result.HeldOutLines} lines, {result.After.Predictions} predicted tokens): loss {result.HeldOutLossBefore:F4} → {result.HeldOutLossAfter:F4}, ") +
                         Invariant($"perplexity {result.PerplexityBefore:F2} → {result.PerplexityAfter:F2}, accuracy {result.Before.Accuracy:P1} → {result.After.Accuracy:P1}"));
        stdout.WriteLine(Invariant($"{result.Steps} steps on {result.TrainLines} lines, {result.TokensPerSecond:F0} tokens/s, {result.Duration.TotalSeconds:F1} s"));

        model.Save(output);
        stdout.WriteLine($"saved {output}");
        if (json)
        {
            stdout.WriteLine(JsonSerializer.Serialize(new
            {
                result.HeldOutLossBefore, result.HeldOutLossAfter, result.PerplexityBefore, result.PerplexityAfter,
                HeldOutLossAfterHeadWarmup = result.AfterHeadWarmup?.Loss,
                AccuracyBefore = result.Before.Accuracy, AccuracyAfter = result.After.Accuracy, HeldOutPredictions = result.After.Predictions,
                result.Steps, result.TokensPerSecond, DurationSeconds = result.Duration.TotalSeconds, Objective = objectiveText, Architecture = arch, Output = output,
            }));
        }
        return 0;
    }

    /// <summary>The model being trained, whatever its architecture: what the verb needs to train, describe and save it.</summary>
    private sealed record PretrainingRun(string Description, int MaxTokens, Func<IReadOnlyList<string>, PretrainingSettings, IProgress<TrainingProgress>, PretrainingResult> Train,
                              Action<string> Save, IDisposable Owner) : IDisposable
    {
        public void Dispose() => Owner.Dispose();
    }

    /// <param name="scratchTokenizer">The vocabulary of a model trained from scratch; null to load <paramref name="modelName"/>.</param>
    private static PretrainingRun Transformer(string modelName, BertWordPieceTokenizer? scratchTokenizer, LanguageModelObjective objective, int seed, string? device)
    {
        var model = scratchTokenizer is not null
            ? TransformerLanguageModel.FromScratch(TransformerLanguageModel.SmallConfig(0), scratchTokenizer, objective, seed, device)
            : TransformerLanguageModel.Load(modelName, objective, device, seed);
        var encoder = model.Encoder.Model;
        string description = scratchTokenizer is not null ? $"scratch (transformer, {encoder.LayerCount} layers, hidden {encoder.HiddenSize}, {encoder.VocabSize} word pieces)"
            : modelName + (model.HeadLoaded ? "" : " (the checkpoint has no LM head: starting it from random weights)");
        return new PretrainingRun(description, model.Encoder.MaxTokens, (corpus, s, p) => LanguageModelTrainer.Train(model, corpus, s, p), model.Save, model);
    }

    private static PretrainingRun Recurrent(string modelName, BertWordPieceTokenizer? scratchTokenizer, string arch, int seed, string? device)
    {
        RecurrentLanguageModel model;
        bool scratch = scratchTokenizer is not null;
        if (scratchTokenizer is not null)
        {
            var config = arch == RecurrentConfig.BiLstmType ? RecurrentConfig.SmallBiLstm(scratchTokenizer.VocabSize) : RecurrentConfig.SmallAwdLstm(scratchTokenizer.VocabSize);
            model = RecurrentLanguageModel.FromScratch(config, scratchTokenizer, seed, device);
        }
        else
        {
            model = RecurrentLanguageModel.Load(modelName, device);
        }
        var c = model.Config;
        string shape = $"{arch}, {c.NumHiddenLayers} layers{(c.Bidirectional ? " per direction" : "")}, embeddings {c.EmbeddingSize}, hidden {c.HiddenSize}, {c.VocabSize} word pieces";
        string description = scratch ? $"scratch ({shape})" : $"{modelName} ({shape})";
        return new PretrainingRun(description, model.Encoder.MaxTokens, (corpus, s, p) => LanguageModelTrainer.Train(model, corpus, s, p), model.Save, model);
    }

    /// <summary>Whether <paramref name="directory"/> holds a GLoMo-style graph model (config.json with model_type "glomo").</summary>
    private static bool IsGlomoDirectory(string directory)
    {
        string config = Path.Combine(directory, "config.json");
        return File.Exists(config) && MLNet.Transfer.Models.EncoderFactory.ModelType(File.ReadAllText(config), config) == GlomoConfig.GlomoType;
    }

    /// <summary>A GLoMo-style (reduced) graph model from scratch (<see cref="GlomoConfig.Small"/>), or <paramref name="modelName"/>'s to continue training it.</summary>
    private static PretrainingRun Glomo(string modelName, BertWordPieceTokenizer? scratchTokenizer, int seed, string? device)
    {
        var model = scratchTokenizer is not null
            ? GlomoLanguageModel.FromScratch(GlomoConfig.Small(scratchTokenizer.VocabSize), scratchTokenizer, seed, device)
            : GlomoLanguageModel.Load(modelName, device);
        var c = model.Config;
        string description = $"{(scratchTokenizer is not null ? "scratch" : modelName)} (GLoMo-style (reduced): {c.GraphLayers} graph layers × {c.Heads} heads, embeddings {c.EmbeddingSize}, " +
                             $"predicting {c.PredictionSteps} tokens each way, {c.VocabSize} word pieces)";
        return new PretrainingRun(description, model.Network.MaxTokens, (corpus, s, p) => LanguageModelTrainer.Train(model, corpus, s, p), model.Save, model);
    }

    private static BertWordPieceTokenizer ScratchTokenizer(string source, string[] corpus, int? vocabMinCount)
    {
        string directory = Directory.Exists(source) ? source
            : EmbeddedModels.IsKnown(source) ? EmbeddedModels.EnsureDirectory(source)
            : throw new CliException($"--tokenizer '{source}' is neither an embedded model ({string.Join(", ", EmbeddedModels.Names)}) nor a directory.");
        var tokenizer = BertWordPieceTokenizer.FromHuggingFaceDirectory(directory);
        return vocabMinCount is { } n ? tokenizer.RestrictTo(corpus, n) : tokenizer;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Prints about 20 progress lines per run (every step of short runs), synchronously.</summary>
    private sealed class ConsoleProgress(TextWriter writer, int plannedSteps) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress p)
        {
            int every = Math.Max(1, (plannedSteps > 0 ? plannedSteps : p.TotalSteps) / 20);
            if (p.Step % every != 0 && p.Step != p.TotalSteps && p.Validation is null) return;
            string held = p.Validation is { } v ? Invariant($"  held-out loss {v["loss"]:F4}") : "";
            writer.WriteLine(Invariant($"step {p.Step}/{p.TotalSteps}  epoch {p.Epoch}/{p.Epochs}  loss {p.Loss:F4}  lr {p.LearningRate:G3}  {p.TokensPerSecond:F0} tok/s  eta {p.Eta:hh\\:mm\\:ss}{held}"));
        }
    }
}
