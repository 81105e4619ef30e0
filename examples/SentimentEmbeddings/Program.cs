// Contextual embeddings (all-MiniLM-L6-v2, mean pooling, L2-normalised) as ML.NET features, side by side with the
// classic FeaturizeText bag of n-grams, both feeding the same L-BFGS logistic regression.
// Train: UCI yelp + amazon sentences; test: UCI imdb (another site); plus 5-fold CrossValidate on all three.
using Microsoft.ML;
using Microsoft.ML.Data;

var mlContext = new MLContext(seed: 1);
string data = FindData();
IDataView Load(params string[] files) => mlContext.Data.LoadFromEnumerable(
    files.SelectMany(f => File.ReadLines(Path.Combine(data, f)).Skip(1))
         .Select(line => line.Split('\t', 2))
         .Select(p => new Review { Label = p[0] == "1", Text = p[1] }).ToList());
var train = Load("yelp.tsv", "amazon.tsv");
var test = Load("imdb.tsv");
var all = Load("yelp.tsv", "amazon.tsv", "imdb.tsv");

var pipelines = new (string Name, IEstimator<ITransformer> Pipeline)[]
{
    ("FeaturizeText + L-BFGS", mlContext.Transforms.Text.FeaturizeText("Features", "Text")
        .Append(mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression())),
    ("MiniLM embeddings + L-BFGS", mlContext.Transforms.Text.ApplyContextualEmbeddings("Features", "Text", model: "minilm", normalize: true)
        .AppendCacheCheckpoint(mlContext) // trainers pass over the data many times: encode once
        .Append(mlContext.BinaryClassification.Trainers.LbfgsLogisticRegression())),
};

Console.WriteLine($"{"pipeline",-28}{"imdb Accuracy",15}{"AUC",8}{"F1",8}{"5-fold CV Accuracy",22}");
foreach (var (name, pipeline) in pipelines)
{
    var metrics = mlContext.BinaryClassification.Evaluate(pipeline.Fit(train).Transform(test));
    var folds = mlContext.BinaryClassification.CrossValidate(all, pipeline, numberOfFolds: 5);
    double mean = folds.Average(f => f.Metrics.Accuracy);
    double std = Math.Sqrt(folds.Average(f => Math.Pow(f.Metrics.Accuracy - mean, 2)));
    Console.WriteLine($"{name,-28}{metrics.Accuracy,15:P1}{metrics.AreaUnderRocCurve,8:F3}{metrics.F1Score,8:F3}{$"{mean:P1} ± {std:P1}",22}");
}

static string FindData()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        string candidate = Path.Combine(dir.FullName, "data", "sentiment-uci");
        if (Directory.Exists(candidate)) return candidate;
    }
    throw new DirectoryNotFoundException("data/sentiment-uci not found: run from the repository.");
}

/// <summary>One labelled review sentence.</summary>
public sealed class Review
{
    /// <summary>True = positive.</summary>
    public bool Label { get; set; }
    /// <summary>The sentence.</summary>
    public string Text { get; set; } = "";
}
