using System.Globalization;
using System.Text.Json;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Pretraining;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.Cli;

/// <summary><c>pretrain</c>: adapt a pretrained encoder to unlabelled text, or train a small one from scratch.</summary>
public static class PretrainCommand
{
    /// <summary>Usage text.</summary>
    public const string Help = """
        mlnet-transfer pretrain --corpus file.txt --model minilm|arctic-xs|<hf-dir>|scratch --objective mlm|clm
                                [--steps N] [--valid-fraction F] --output <dir> [--json]
                                [--arch transformer] [--tokenizer minilm|<hf-dir>] [--seed N] [--max-tokens N]
                                [--batch-size N] [--lr X] [--masking token|whole-word] [--head-warmup N] [--device cpu|cuda]
          Trains a language model on one text per line of --corpus: continues pretraining (domain adaptation) of an
          existing model, or trains a small transformer (4 layers, hidden 256) from scratch with the vocabulary of
          --tokenizer (default minilm). mlm = BERT masked LM (15% of tokens: 80% [MASK], 10% random, 10% kept);
          clm = causal next-token LM (decoder, saved with is_decoder). A seeded --valid-fraction of the lines
          (default 0.05) is held out and scored with a fixed masking before and after training.
          --steps defaults to one pass over the text; --lr to 1e-4 (5e-4 from scratch); --batch-size 32; --max-tokens 128.
          --head-warmup N first trains only a new (random) LM head for N extra steps with the encoder frozen, so its
          large early gradients never reach the pretrained weights; the held-out loss after it is a fair baseline.
          Default: min(200, --steps) when a pretrained model has no LM head (e.g. minilm), else 0.
          Writes a Hugging Face directory (encoder + cls.* head) usable as --model <dir> by every other verb; it is
          written under a temporary name and renamed when complete. With --json the last line is one JSON object
          with HeldOutLossBefore and HeldOutLossAfter (and perplexities, accuracies, steps, tokens per second).
        """;

    /// <summary>Runs the verb.</summary>
    public static int Run(CliArguments args)
    {
        string corpusPath = args.Required("corpus");
        string modelName = args.Optional("model") ?? "minilm";
        string objectiveText = args.Choice("objective", "mlm", "clm") ?? "mlm";
        int? steps = args.Int("steps", 1);
        double? validFraction = args.Double("valid-fraction", 1e-6, 0.5);
        string output = args.Required("output");
        bool json = args.Flag("json");
        string arch = args.Choice("arch", "transformer") ?? "transformer";
        string? tokenizerSource = args.Optional("tokenizer");
        int? seed = args.Int("seed");
        int? maxTokens = args.Int("max-tokens", 3, 512);
        int? batchSize = args.Int("batch-size", 1, 4096);
        double? learningRate = args.Double("lr", 1e-8, 1);
        string masking = args.Choice("masking", "token", "whole-word") ?? "token";
        int? headWarmup = args.Int("head-warmup", 0);
        string? device = args.Optional("device");
        args.RejectUnknown("pretrain");

        if (!File.Exists(corpusPath)) throw new CliException($"Corpus file '{corpusPath}' does not exist.");
        var corpus = File.ReadAllLines(corpusPath);
        if (corpus.All(string.IsNullOrWhiteSpace)) throw new CliException($"Corpus file '{corpusPath}' is empty (no non-blank lines).");
        bool scratch = modelName.Equals("scratch", StringComparison.OrdinalIgnoreCase);
        if (!scratch && tokenizerSource is not null) throw new CliException("--tokenizer only applies to --model scratch (a pretrained model brings its own).");
        AtomicDirectory.EnsureReplaceable(output); // fail now, not after training
        var objective = objectiveText == "clm" ? LanguageModelObjective.CausalLm : LanguageModelObjective.MaskedLm;
        int runSeed = seed ?? 42;

        using var model = scratch
            ? LanguageModel.FromScratch(LanguageModel.SmallConfig(0), LoadTokenizer(tokenizerSource ?? "minilm"), objective, runSeed, device)
            : LanguageModel.Load(modelName, objective, device, runSeed);
        var settings = new PretrainingSettings
        {
            Objective = objective,
            Steps = steps ?? 0,
            ValidFraction = validFraction ?? 0.05,
            Seed = runSeed,
            MaxTokens = Math.Min(maxTokens ?? 128, model.Encoder.Config.MaxPositionEmbeddings),
            BatchSize = batchSize ?? 32,
            LearningRate = learningRate ?? (scratch ? 5e-4 : 1e-4),
            Masking = new MaskingOptions { WholeWordMasking = masking == "whole-word" },
            HeadWarmupSteps = headWarmup, // null: automatic (200 head-only steps, at most --steps, when the head starts random)
        };

        var stdout = Console.Out;
        string source = scratch ? $"scratch ({arch}, {model.Encoder.Config.NumHiddenLayers} layers, hidden {model.Encoder.Config.HiddenSize})" : modelName;
        stdout.WriteLine($"pretrain {objectiveText} on {source}: {corpus.Length} lines from {corpusPath}" +
                         (!scratch && !model.HeadLoaded ? " (the checkpoint has no LM head: starting it from random weights)" : ""));
        var progress = new ConsoleProgress(stdout, settings.Steps);
        var result = LanguageModelTrainer.Train(model, corpus, settings, progress);
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
                result.Steps, result.TokensPerSecond, DurationSeconds = result.Duration.TotalSeconds, Objective = objectiveText, Output = output,
            }));
        }
        return 0;
    }

    private static BertWordPieceTokenizer LoadTokenizer(string source)
    {
        string directory = Directory.Exists(source) ? source
            : EmbeddedModels.IsKnown(source) ? EmbeddedModels.EnsureDirectory(source)
            : throw new CliException($"--tokenizer '{source}' is neither an embedded model ({string.Join(", ", EmbeddedModels.Names)}) nor a directory.");
        return BertWordPieceTokenizer.FromHuggingFaceDirectory(directory);
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
