using Microsoft.ML;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.Cli;

/// <summary>
/// <c>train ... --graphs DIR [--graph-mode pretrained|random|none]</c> (binary or multiclass): the GLoMo-style (reduced)
/// graph-transfer classifier, whose token features (--model's frozen word-piece embeddings) are reweighted by the graphs
/// of a graph model from <c>pretrain --model scratch --arch glomo</c>.
/// </summary>
public sealed class GraphTransferOption
{
    /// <summary>The two options, declared for <c>train</c>.</summary>
    public static IReadOnlyList<CliOption> Options { get; } =
    [
        CliOption.Value("graphs", "DIR",
            "binary/multiclass: train the GLoMo-style (reduced) graph-transfer classifier instead of fine-tuning: the graphs that the "
            + "graph model DIR (from pretrain --model scratch --arch glomo) predicts for each text reweight --model's frozen word-piece "
            + "embeddings through a learned gate, then a BiLSTM (64 per direction), max pooling and a linear layer. Texts are "
            + "tokenized with DIR's tokenizer. --epochs (default 20), --lr (2e-3), --batch-size (16), --max-tokens (64) and --seed apply."),
        CliOption.OneOf("graph-mode", ["pretrained", "random", "none"],
            "With --graphs: the pretrained graphs; those of an untrained graph model of the same shape (seed 1000 + --seed); or none "
            + "(the same classifier without graph mixing). The last two are the ablations that show whether the graphs help.", "pretrained"),
    ];

    private GraphTransferOption(string directory, GraphSource graphs) => (Directory, Graphs) = (directory, graphs);

    /// <summary>The graph model directory.</summary>
    public string Directory { get; }
    /// <summary>Which graphs are applied.</summary>
    public GraphSource Graphs { get; }

    /// <summary>The options given (null without --graphs); --graph-mode alone is an error.</summary>
    public static GraphTransferOption? Read(CliArguments args)
    {
        string? directory = args.Optional("graphs");
        string? mode = args.Choice("graph-mode");
        if (directory is null)
            return mode is null ? null : throw new CliException("--graph-mode needs --graphs DIR (a graph model from pretrain --model scratch --arch glomo).");
        return new GraphTransferOption(directory, mode switch { "random" => GraphSource.Random, "none" => GraphSource.None, _ => GraphSource.Pretrained });
    }

    /// <summary>Rejects the task and the options that do not apply to the graph-transfer classifier (<paramref name="given"/>: option name → whether given).</summary>
    public static void Check(string task, IEnumerable<(string Name, bool Given)> given)
    {
        if (task is not ("binary" or "multiclass")) throw new CliException($"--graphs trains a classifier: use --task binary or multiclass, not {task}.");
        if (given.FirstOrDefault(g => g.Given).Name is { } name)
            throw new CliException($"--{name} does not apply with --graphs (the graph-transfer classifier takes --model, --epochs, --lr, --batch-size, --max-tokens and --seed).");
    }

    /// <summary>Trains the classifier on <paramref name="train"/> (columns Label, Text), printing a line per epoch.</summary>
    public ITransformer Fit(MLContext mlContext, string task, IDataView train, string model, int? epochs, double? lr, int? batchSize, int? maxTokens, int seed)
    {
        if (!System.IO.Directory.Exists(Directory)) throw new CliException($"--graphs: directory not found: {Directory}");
        var defaults = new GraphTransferOptions();
        var options = new GraphTransferOptions
        {
            GraphModelDirectory = Directory, Graphs = Graphs, Model = model, Seed = seed,
            Epochs = epochs ?? defaults.Epochs, LearningRate = lr ?? defaults.LearningRate, BatchSize = batchSize ?? defaults.BatchSize, MaxTokens = maxTokens ?? defaults.MaxTokens,
            Progress = new EpochLines(),
        };
        Console.WriteLine($"Graph transfer (GLoMo-style, reduced): {Graphs.ToString().ToLowerInvariant()} graphs of {Directory} over {model}'s word-piece embeddings; "
                          + $"{options.Epochs} epochs, lr {options.LearningRate:G3}, batch {options.BatchSize}, {options.MaxTokens} tokens.");
        try
        {
            return Pipelines.GraphTransfer(mlContext, task, options).Fit(train);
        }
        catch (InvalidDataException e)
        {
            throw new CliException($"--graphs: {e.Message}");
        }
    }

    private sealed class EpochLines : IProgress<MLNet.Transfer.Training.GraphTransferEpoch>
    {
        public void Report(MLNet.Transfer.Training.GraphTransferEpoch e) => Console.WriteLine($"epoch {e.Epoch}/{e.Epochs}  loss {e.MeanLoss:F4}");
    }
}
