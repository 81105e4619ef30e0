using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.MLNetIntegration;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.Cli;

/// <summary><c>train</c>: fine-tune, featurize or baseline → model.zip, then the validation metrics.</summary>
public static class TrainCommand
{
    /// <summary>Usage text.</summary>
    public const string Help = """
        mlnet-transfer train --task binary|multiclass|regression --train data.tsv [--valid data.tsv]
                             --label-col Label --text-col Text [--approach finetune|features|baseline]
                             [--model minilm|arctic-xs|<hf-dir>] [--epochs N] [--max-tokens N] [--seed N]
                             [--lr X] [--batch-size N] [--truncation head|tail|head+tail] [--balance-classes]
                             [--checkpoint-dir DIR] --output model.zip
          finetune (default): fine-tune the encoder with a task head (ULMFiT/BERT recipe).
          features: contextual embeddings + an ML.NET linear trainer (L-BFGS logistic regression / maximum entropy, SDCA regression).
          baseline: ML.NET FeaturizeText + the same trainer.
          Without --valid, 10% of --train (seeded) is held out for the reported metrics.
          Binary labels: 0/1 or true/false. The model file is a standard ML.NET zip.
        """;

    /// <summary>Runs the verb.</summary>
    public static int Run(CliArguments args)
    {
        string task = args.Choice("task", "binary", "multiclass", "regression") ?? throw new CliException("Missing required option --task (binary, multiclass or regression).");
        string trainPath = args.Required("train");
        string? validPath = args.Optional("valid");
        string labelCol = args.Optional("label-col") ?? "Label", textCol = args.Optional("text-col") ?? "Text";
        string approach = args.Choice("approach", "finetune", "features", "baseline") ?? "finetune";
        string model = args.Optional("model") ?? "minilm";
        int? epochs = args.Int("epochs", 1, 1000), maxTokens = args.Int("max-tokens", 2, 512), batchSize = args.Int("batch-size", 1, 4096);
        int seed = args.Int("seed") ?? 42;
        double? lr = args.Double("lr", 1e-8, 1);
        string truncation = args.Choice("truncation", "head", "tail", "head+tail") ?? "head";
        bool balance = args.Flag("balance-classes");
        string? checkpoints = args.Optional("checkpoint-dir");
        string output = args.Required("output");
        args.RejectUnknown("train");

        var mlContext = new MLContext(seed);
        var trainFile = TsvFile.Read(trainPath);
        var trainData = LabeledData.Load(mlContext, trainFile, task, labelCol, textCol);
        IDataView validData;
        if (validPath is not null)
        {
            validData = LabeledData.Load(mlContext, TsvFile.Read(validPath), task, labelCol, textCol);
        }
        else
        {
            var split = mlContext.Data.TrainTestSplit(trainData, testFraction: 0.1, seed: seed);
            (trainData, validData) = (split.TrainSet, split.TestSet);
        }
        string[]? labels = task == "multiclass" ? LabeledData.Labels(trainFile, labelCol) : null;
        if (labels is { Length: < 2 }) throw new CliException($"{trainPath}: column '{labelCol}' has only one class ('{labels[0]}'); a classifier needs at least two.");

        var fineTune = new FineTuneTransformerOptions
        {
            Model = model, Seed = seed, Epochs = epochs ?? 3, MaxTokens = maxTokens ?? 128, BatchSize = batchSize ?? 32, LearningRate = lr ?? 1e-4,
            BalanceClasses = balance, CheckpointDirectory = checkpoints, ValidationSet = validData,
            Truncation = truncation switch { "tail" => TruncationStrategy.Tail, "head+tail" => TruncationStrategy.HeadAndTail, _ => TruncationStrategy.Head },
        };
        var pipeline = Pipelines.Build(mlContext, task, approach, fineTune);
        Console.WriteLine($"Training {task} model ({approach}{(approach == "baseline" ? "" : $", {model}")}) on {trainPath}...");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        ITransformer trained = approach == "finetune"
            ? TrainingDisplay.Run(progress => { fineTune.Progress = progress; return pipeline.Fit(trainData); })
            : pipeline.Fit(trainData);
        Console.WriteLine($"Trained in {clock.Elapsed.TotalSeconds:F1} s.");

        var metrics = Metrics.Evaluate(mlContext, task, trained.Transform(validData));
        Metrics.Print(metrics, json: false, title: validPath is null ? "Validation metrics (10% held out of --train):" : $"Validation metrics ({validPath}):");
        ModelFile.Save(mlContext, trained, trainData.Schema, new ModelInfo(task, approach, labelCol, textCol, labels, approach == "baseline" ? null : model), output);
        Console.WriteLine($"Saved {output}");
        return 0;
    }
}
