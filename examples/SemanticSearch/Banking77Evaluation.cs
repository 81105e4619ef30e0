using System.Diagnostics;
using Microsoft.ML;
using MLNet.Transfer;
using MLNet.Transfer.AI;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Training;

namespace SemanticSearch;

/// <summary>
/// Retrieval quality on BANKING77 (77 banking intents, ../shared/data/banking77): the training texts are indexed, every
/// test query is searched, and the intents of its nearest training texts are scored against its own
/// (<see cref="NearestNeighbourScores"/>). Each model is measured as shipped and after SetFit contrastive tuning on the
/// training texts (a copy of the encoder; the index is then rebuilt with the tuned one).
/// </summary>
public sealed class Banking77Evaluation(int setFitPairs, int? limit)
{
    /// <summary>One row of the result table.</summary>
    public sealed record Row(string Model, string Variant, NearestNeighbourScores Scores, double Sampled8Mean, double Sampled8Std,
                             TimeSpan Tuning, TimeSpan Indexing, TimeSpan QueryEmbedding, TimeSpan Searching, int Indexed, int Queries);

    /// <summary>Runs the plain and SetFit-tuned variants of every model and returns one row each.</summary>
    public async Task<List<Row>> RunAsync(IEnumerable<string> models)
    {
        string folder = DataFiles.Find(Path.Combine("shared", "data", "banking77"));
        var train = LabelledCorpus.Read(Path.Combine(folder, "train.tsv")).Spread(limit);
        var test = LabelledCorpus.Read(Path.Combine(folder, "test.tsv")).Spread(limit);
        Console.WriteLine($"BANKING77: {train.Count:N0} training texts indexed, {test.Count:N0} test queries, {train.Labels.Distinct().Count()} intents.");
        var rows = new List<Row>();
        foreach (string model in models)
        {
            using (var plain = TransferEmbeddingGenerator.Load(model))
                rows.Add(await MeasureAsync(model, "plain", plain, TimeSpan.Zero, train, test));

            var clock = Stopwatch.StartNew();
            var tuned = SetFit(model, train);
            var tuning = clock.Elapsed;
            using (var generator = TransferEmbeddingGenerator.FromTransformer(tuned))
                rows.Add(await MeasureAsync(model, $"SetFit ({setFitPairs:N0} pairs)", generator, tuning, train, test));
            tuned.Encoder.Dispose();
        }
        return rows;
    }

    private ContextualEmbeddingTransformer SetFit(string model, LabelledCorpus train)
    {
        var mlContext = new MLContext(seed: 1);
        var data = mlContext.Data.LoadFromEnumerable(train.Texts.Zip(train.Labels, (t, l) => new IntentText { Label = l, Text = t }).ToList());
        int reported = 0;
        var options = new SetFitEmbeddingOptions
        {
            // The model's own pooling and normalisation; pairs capped for a CPU (SetFit's 20 rounds over 9,003 texts would be 360,000).
            Embeddings = new ContextualEmbeddingOptions { Model = model }, MaxPairs = setFitPairs, Seed = 1,
            Progress = new ImmediateProgress<TrainingProgress>(p =>
            {
                if (p.Step < reported + 25 && p.Step != p.TotalSteps) return;
                reported = p.Step;
                Console.WriteLine($"  SetFit {model}: step {p.Step}/{p.TotalSteps}, loss {p.Loss:F4}");
            }),
        };
        Console.WriteLine($"{model}: SetFit tuning on {train.Count:N0} labelled texts, {setFitPairs:N0} pairs (batch 16, lr 2e-5)...");
        return mlContext.Transforms.Text.ApplySetFitEmbeddings(options).Fit(data);
    }

    private static async Task<Row> MeasureAsync(string model, string variant, TransferEmbeddingGenerator generator, TimeSpan tuning,
                                                LabelledCorpus train, LabelledCorpus test)
    {
        var index = new VectorIndex(generator, batchSize: 512);
        var clock = Stopwatch.StartNew();
        await index.AddAsync(train.Texts, Report($"{model} {variant}: indexed", train.Count, clock));
        var indexing = clock.Elapsed;

        clock.Restart();
        var queries = await index.EmbedAsync(test.Texts, Report($"{model} {variant}: embedded queries", test.Count, clock));
        var queryEmbedding = clock.Elapsed;
        clock.Restart();
        var scores = NearestNeighbourScores.Measure(index, train.Labels, queries, test.Labels);
        var searching = clock.Elapsed;

        var (mean, std) = NearestNeighbourScores.SampledTop1(index, train.Labels, queries, test.Labels, perLabel: 8, seeds: Enumerable.Range(1, 10));
        Console.WriteLine($"{model} {variant}: top-1 {scores.Top1:P1}, top-5 {scores.Top5:P1}, MRR@10 {scores.Mrr10:F3}; 8 per intent: {mean:P1} ± {std:P1}");
        return new Row(model, variant, scores, mean, std, tuning, indexing, queryEmbedding, searching, train.Count, test.Count);
    }

    private static ImmediateProgress<int> Report(string what, int total, Stopwatch clock) => new(done =>
        Console.WriteLine($"  {what} {done:N0}/{total:N0} ({done / Math.Max(clock.Elapsed.TotalSeconds, 1e-3):F0} texts/s)"));

    /// <summary>The result table in Markdown.</summary>
    public static string ToMarkdown(IEnumerable<Row> rows) => string.Join('\n',
    [
        "| model | embeddings | top-1 accuracy | top-5 hit rate | MRR@10 | top-1, 8 training texts per intent (10 draws) | tuning | indexing | embedding queries | search per query |",
        "|---|---|---|---|---|---|---|---|---|---|",
        .. rows.Select(r => $"| {r.Model} | {r.Variant} | {r.Scores.Top1:P1} | {r.Scores.Top5:P1} | {r.Scores.Mrr10:F3} | {r.Sampled8Mean:P1} ± {r.Sampled8Std:P1} | " +
                            $"{(r.Tuning == TimeSpan.Zero ? "–" : $"{r.Tuning.TotalSeconds:F0} s")} | {r.Indexing.TotalSeconds:F0} s | {r.QueryEmbedding.TotalSeconds:F0} s | " +
                            $"{r.Searching.TotalMilliseconds / r.Queries:F2} ms |"),
    ]);

    private sealed class IntentText
    {
        public string Label { get; set; } = "";
        public string Text { get; set; } = "";
    }
}
