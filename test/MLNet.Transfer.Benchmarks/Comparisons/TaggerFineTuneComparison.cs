using MLNet.Transfer.Benchmarks.Quick;
using MLNet.Transfer.Benchmarks.Support;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Text;
using MLNet.Transfer.Text.Tagging;
using MLNet.Transfer.Training;
using MLNet.Transfer.Training.Tagging;

namespace MLNet.Transfer.Benchmarks.Comparisons;

/// <summary>
/// finetune-tagger-{linear,crf}-vs-classifier: fine-tuning tokens/s of a tagger (<see cref="TaggerTrainer"/>, linear or CRF
/// head over WNUT-17's 13 tags) against the sentence classifier (<see cref="FineTuner"/>, binary head, mean pooling) in the
/// same run, on all-MiniLM-L6-v2 with the same shapes as finetune-vs-matmul-peak: batch 32 × 64 tokens, every row exactly
/// 64 tokens (the same words: a tagger row is a word list whose pieces fill [CLS] + 62 + [SEP], the classifier reads the
/// words joined by spaces). Tags are synthetic (valid BIO, ~80% O): throughput depends on the tag count, not on the tags.
/// The three trainers run in the order classifier, linear, CRF, CRF, linear, classifier, each from a fresh copy of the
/// encoder for <see cref="WarmupSteps"/> + <see cref="TimedSteps"/> steps; a side's figure is its best (or median) timed step
/// over both runs, so load from other processes that drifts during the run hits every side alike.
/// </summary>
internal sealed class TaggerFineTuneComparison : IComparison
{
    public const int BatchSize = 32, SequenceLength = 64, WarmupSteps = 2, TimedSteps = 4;
    private const string Classifier = "classifier";

    private static readonly string[] EntityTypes = ["person", "location", "group", "corporation", "product", "creative-work"];

    public string Name => "finetune-tagger";

    public IEnumerable<ComparisonResult> Run(BenchContext context)
    {
        var steps = new Dictionary<string, List<double>> { [Classifier] = [], [nameof(TaggingHead.Linear)] = [], [nameof(TaggingHead.Crf)] = [] };
        var rows = Rows(context);
        context.Log.WriteLine($"  {Name}: {rows.Count} rows of {SequenceLength} tokens; {WarmupSteps} + {TimedSteps} steps per run");
        foreach (string side in new[] { Classifier, nameof(TaggingHead.Linear), nameof(TaggingHead.Crf), nameof(TaggingHead.Crf), nameof(TaggingHead.Linear), Classifier })
        {
            var seconds = side == Classifier ? TrainClassifier(rows) : TrainTagger(rows, Enum.Parse<TaggingHead>(side));
            steps[side].AddRange(seconds.Skip(WarmupSteps));
            context.Log.WriteLine($"  {side}: step times {string.Join(", ", seconds.Select(s => $"{s * 1000:F0}"))} ms");
        }
        double TokensPerSecond(string side)
        {
            var sorted = steps[side].Order().ToArray();
            return BatchSize * SequenceLength / (context.Measure.UseMedian ? sorted[sorted.Length / 2] : sorted[0]);
        }
        double classifier = TokensPerSecond(Classifier);
        yield return new ComparisonResult("finetune-tagger-linear-vs-classifier", TokensPerSecond(nameof(TaggingHead.Linear)), classifier, "tokens/s");
        yield return new ComparisonResult("finetune-tagger-crf-vs-classifier", TokensPerSecond(nameof(TaggingHead.Crf)), classifier, "tokens/s");
    }

    /// <summary>Word lists of real text whose pieces (each word tokenized alone, as the tagger does) make exactly one 64-token window.</summary>
    private static List<TaggedSentence> Rows(BenchContext context)
    {
        var tokenizer = context.Encoder.Tokenizer;
        int budget = SequenceLength - 2, needed = BatchSize * (WarmupSteps + TimedSteps);
        var random = new Random(42);
        var rows = new List<TaggedSentence>(needed);
        var words = new List<string>();
        int pieces = 0;
        foreach (string word in context.Corpus.Sentences.SelectMany(s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries)))
        {
            int length = Math.Max(1, tokenizer.EncodeWordPieces(word).Length); // a word with no pieces becomes [UNK]
            if (pieces + length > budget) continue; // try shorter words to fill the window exactly
            words.Add(word);
            pieces += length;
            if (pieces < budget) continue;
            var text = string.Join(' ', words);
            if (WordPieceAlignment.Windows(tokenizer, words, SequenceLength) is [{ Tokens.Length: SequenceLength }] && tokenizer.Encode(text, SequenceLength + 1).Length == SequenceLength)
                rows.Add(new TaggedSentence([.. words], Tags(words.Count, random)));
            words.Clear();
            pieces = 0;
            if (rows.Count == needed) return rows;
        }
        throw new InvalidOperationException($"The corpus gave only {rows.Count} of the {needed} rows of {SequenceLength} tokens.");
    }

    /// <summary>Valid BIO tags: mostly O, entities of one to three words.</summary>
    private static string[] Tags(int words, Random random)
    {
        var tags = new string[words];
        for (int w = 0; w < words; w++)
        {
            if (random.Next(5) > 0) { tags[w] = "O"; continue; }
            string type = EntityTypes[random.Next(EntityTypes.Length)];
            tags[w] = "B-" + type;
            for (int extra = random.Next(3); extra > 0 && w + 1 < words; extra--) tags[++w] = "I-" + type;
        }
        return tags;
    }

    internal static string[] TagSet() => ["O", .. EntityTypes.SelectMany(t => new[] { "B-" + t, "I-" + t })];

    private static FineTuneSettings Settings() => new() { BatchSize = BatchSize, Epochs = 1, MaxTokens = SequenceLength };

    private static List<double> TrainClassifier(IReadOnlyList<TaggedSentence> rows)
    {
        using var encoder = PretrainedEncoder.Load(BenchContext.ModelName); // fine-tuning changes weights: not the shared one
        var examples = rows.Select((r, i) => new TrainingExample(encoder.Tokenizer.Encode(string.Join(' ', r.Tokens), SequenceLength), [[i % 2]])).ToArray();
        using var model = new TransferModel(encoder.Model, [new TaskSpec("task", TaskKind.Binary, 1)], PoolingMode.Mean, headDropout: 0.1);
        var clock = new StepClock();
        new FineTuner(model, Settings(), encoder.Tokenizer.PadId).Train(examples, progress: clock);
        return clock.StepSeconds;
    }

    private static List<double> TrainTagger(IReadOnlyList<TaggedSentence> rows, TaggingHead head)
    {
        using var encoder = PretrainedEncoder.Load(BenchContext.ModelName);
        using var model = new TaggingModel(encoder.Model, new TaggerSpec(TagSet(), head), headDropout: 0.1);
        var clock = new StepClock();
        new TaggerTrainer(model, encoder.Tokenizer, Settings()).Train(rows, progress: clock);
        return clock.StepSeconds;
    }
}
