using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Text.Tagging;
using MLNet.Transfer.Training;
using MLNet.Transfer.Training.Tagging;

namespace MLNet.Transfer.Cli;

/// <summary>
/// <c>train --task tagging</c>, and <c>evaluate</c> / <c>predict</c> of a tagging model: CoNLL files (<c>token&lt;TAB&gt;tag</c>,
/// a blank line between sentences) in, entity-level metrics and per-word tags out.
/// </summary>
public static class TaggingCommand
{
    /// <summary>The task name stored in the model file.</summary>
    public const string Task = "tagging";

    /// <summary>Runs <c>train --task tagging</c>.</summary>
    public static int Train(CliArguments args, SemiSupervisedOption? semiSupervised)
    {
        string trainPath = args.Required("train");
        string? validPath = args.Optional("valid");
        string approach = args.Choice("approach", "finetune", "features") ?? "finetune";
        string? headChoice = args.Choice("head");
        string model = args.Optional("model") ?? "minilm";
        string device = DeviceOption.Read(args);
        int epochs = args.Int("epochs", 1, 1000) ?? 3, seed = args.Int("seed") ?? 42;
        int? batchSize = args.Int("batch-size", 1, 4096), maxTokens = args.Int("max-tokens", 3, 512);
        double? lr = args.Double("lr", 1e-8, 1);
        bool json = args.Flag("json");
        string? checkpointDir = args.Optional("checkpoint-dir");
        bool casing = args.Flag("casing");
        string output = args.Required("output");
        string? code = args.Optional("code");
        args.RejectUnused($"--task {Task}");
        semiSupervised?.Check(Task, approach);

        var all = ConllReader.ReadFile(trainPath);
        var (train, valid) = validPath is null ? HoldOut(all, seed) : (all, ConllReader.ReadFile(validPath));
        string head = headChoice ?? (TagConstraints.IsBio(train.SelectMany(s => s.Tags)) ? "crf" : "linear"); // the library's data-aware choice
        var mlContext = new MLContext(seed);
        var trainData = mlContext.Data.LoadFromTaggedSentences(train);
        var options = new TokenClassifierOptions
        {
            Model = model, Device = device, Epochs = epochs, Seed = seed, LearningRate = lr, FreezeEncoder = approach == "features",
            Head = head == "crf" ? TaggingHead.Crf : TaggingHead.Linear, ValidationSet = mlContext.Data.LoadFromTaggedSentences(valid),
            CheckpointDirectory = checkpointDir, CasingFeatures = casing,
        };
        if (batchSize is { } b) options.BatchSize = b;
        if (maxTokens is { } m) options.MaxTokens = m;
        semiSupervised?.ApplyTo(options, mlContext);
        Console.WriteLine($"Training tagger ({approach}, {head} head{(casing ? ", casing features" : "")}, {model}) on {trainPath}: {train.Count} sentences, {train.Sum(s => s.Tokens.Length)} words; "
                          + $"validation {(validPath ?? "10% held out")}: {valid.Count} sentences. Epochs {options.Epochs}, batch {options.BatchSize}, max tokens {options.MaxTokens}, seed {seed}.");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var estimator = mlContext.MulticlassClassification.Trainers.FineTuneTokenClassifier(options);
        var trained = TrainingDisplay.Run(progress => { options.Progress = progress; return estimator.Fit(trainData); });
        Console.WriteLine($"Trained in {clock.Elapsed.TotalSeconds:F1} s ({estimator.LastResult?.TokensPerSecond:F0} tokens/s).");
        semiSupervised?.WriteTagCounts(trained.Tags.ToArray());

        var info = new ModelInfo(Task, approach, "Tags", "Tokens", trained.Tags.ToArray(), model);
        ModelFile.Save(mlContext, trained, trainData.Schema, info, output);
        ConsumerCode.WriteIfRequested(code, info, output);
        var metrics = mlContext.MulticlassClassification.EvaluateTokenClassification(trained.Transform(options.ValidationSet));
        Console.WriteLine(validPath is null ? "Validation metrics (10% held out of --train):" : $"Validation metrics ({validPath}):");
        Console.WriteLine(metrics.ToTable());
        Console.WriteLine($"Saved {output}");
        if (json) Console.WriteLine(Json(metrics));
        return 0;
    }

    /// <summary>Runs <c>evaluate</c> on a tagging model.</summary>
    public static int Evaluate(CliArguments args, MLContext mlContext, ITransformer model, ModelInfo info, string modelPath, bool json)
    {
        string testPath = args.Required("test");
        args.RejectUnused();
        var test = ReadTest(testPath, info.Labels);
        var metrics = mlContext.MulticlassClassification.EvaluateTokenClassification(model.Transform(mlContext.Data.LoadFromTaggedSentences(test)));
        if (json)
        {
            Console.WriteLine(Json(metrics));
            return 0;
        }
        Console.WriteLine($"tagging metrics of {modelPath} on {testPath} ({test.Count} sentences):");
        Console.WriteLine(metrics.ToTable());
        return 0;
    }

    /// <summary>
    /// Reads a CoNLL test file. Tags the model never saw in training do not stop the evaluation (a rare type can be
    /// missing from a small training file): they are named in a warning on stderr and their words count as errors, as
    /// conlleval / seqeval count them.
    /// </summary>
    public static IReadOnlyList<TaggedSentence> ReadTest(string testPath, IReadOnlyList<string>? knownTags)
    {
        var test = ConllReader.ReadFile(testPath);
        var known = new HashSet<string>(knownTags ?? [], StringComparer.Ordinal);
        var unknown = test.SelectMany(s => s.Tags.Select((tag, w) => (Tag: tag, Line: s.Line + w)))
            .Where(t => !known.Contains(t.Tag))
            .GroupBy(t => t.Tag, StringComparer.Ordinal)
            .Select(g => $"'{g.Key}' ({g.Count()} word{(g.Count() == 1 ? "" : "s")}, first at line {g.First().Line})")
            .ToList();
        if (unknown.Count > 0)
            Console.Error.WriteLine($"warning: {testPath}: tags the model never saw in training: {string.Join(", ", unknown)}; "
                                    + $"their words count as errors (the model knows: {string.Join(", ", known)}).");
        return test;
    }

    /// <summary>The contract's four tagging metrics (Precision, Recall, F1Score, TokenAccuracy).</summary>
    public static Dictionary<string, double> Metrics(TokenClassificationMetrics m) => new()
    {
        ["Precision"] = m.Precision, ["Recall"] = m.Recall, ["F1Score"] = m.F1Score, ["TokenAccuracy"] = m.TokenAccuracy,
    };

    /// <summary>Runs <c>predict</c> on a tagging model: one line per word, <c>word&lt;TAB&gt;tag</c>, a blank line between texts.</summary>
    public static int Predict(MLContext mlContext, ITransformer model, IReadOnlyList<string> texts, bool json = false, bool continuing = false)
    {
        var sentences = texts.Select(t => t.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)).ToArray();
        if (sentences.Any(words => words.Length == 0)) throw new CliException("a text to tag has no words.");
        var scored = model.Transform(mlContext.Data.LoadFromEnumerable(
            sentences.Select(words => new TaggedSentenceRow { Tokens = words, Tags = words.Select(_ => "O").ToArray() }).ToList()));
        var column = scored.Schema["PredictedLabel"];
        var tags = KeyColumns.Names(column);
        var predicted = scored.GetColumn<VBuffer<uint>>(column).Select(v => v.DenseValues().ToArray()).ToArray();
        string Tag(uint key) => KeyColumns.Name(tags, key);
        if (json)
        {
            var scores = scored.GetColumn<VBuffer<float>>(scored.Schema["Score"]).Select(v => v.DenseValues().ToArray()).ToArray();
            for (int s = 0; s < sentences.Length; s++)
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["text"] = texts[s], ["Tokens"] = sentences[s], ["PredictedLabel"] = predicted[s].Select(Tag).ToArray(), ["Score"] = scores[s],
                }));
            return 0;
        }
        for (int s = 0; s < sentences.Length; s++)
        {
            if (s > 0 || continuing) Console.WriteLine(); // CoNLL style: a blank line between sentences (also across batches)
            for (int w = 0; w < sentences[s].Length; w++)
                Console.WriteLine($"{sentences[s][w]}\t{Tag(predicted[s][w])}");
        }
        return 0;
    }

    /// <summary>The four contract keys as one JSON object.</summary>
    private static string Json(TokenClassificationMetrics m) => JsonSerializer.Serialize(Metrics(m));

    /// <summary>A seeded 90/10 split of the sentences (at least one in each part when there are two or more).</summary>
    internal static (IReadOnlyList<TaggedSentence> Train, IReadOnlyList<TaggedSentence> Valid) HoldOut(IReadOnlyList<TaggedSentence> all, int seed)
    {
        if (all.Count < 2) throw new CliException($"--train has {all.Count} sentence; give --valid or at least two sentences to hold one out.");
        var order = Enumerable.Range(0, all.Count).ToArray();
        new Random(seed).Shuffle(order);
        int validCount = Math.Max(1, all.Count / 10);
        var valid = order.Take(validCount).Order().Select(i => all[i]).ToList();
        var train = order.Skip(validCount).Order().Select(i => all[i]).ToList();
        return (train, valid);
    }
}
