// Contextual embeddings (all-MiniLM-L6-v2, mean pooling, L2-normalised) as ML.NET features, side by side with the
// classic FeaturizeText bag of n-grams, both feeding the same L-BFGS logistic regression.
// Train: UCI yelp + amazon sentences; test: UCI imdb (another site); plus 5-fold CrossValidate on all three.
using Microsoft.ML;
using Microsoft.ML.Data;

var mlContext = new MLContext(seed: 1);
IDataView Load(params string[] files) => UciSentences.Load(mlContext, files);
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
