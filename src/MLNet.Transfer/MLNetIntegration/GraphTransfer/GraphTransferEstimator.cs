using Microsoft.ML;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Glomo;
using MLNet.Transfer.Pretraining;
using MLNet.Transfer.Training;
using MLNet.Transfer.Runtime;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// Trains a GLoMo-style (reduced) graph-transfer classifier on a text column: the graphs a pretrained graph model predicts
/// for each text (frozen) reweight another encoder's frozen word-piece embeddings through a learned gate, and a BiLSTM with
/// max pooling and a linear layer classifies (see <see cref="GraphTransferTrainer"/>). Returns a
/// <see cref="GraphTransferTransformer"/>. Reach it through <c>mlContext.BinaryClassification.Trainers.GraphTransfer</c> or
/// <c>mlContext.MulticlassClassification.Trainers.GraphTransfer</c>.
/// </summary>
/// <remarks>
/// A trainer rather than a featurizer because the transfer has learned parts that need labels: the gate that mixes graph-
/// aggregated features with the originals and the weights over graph layers are trained with the classifier; a featurizer
/// would have to fix them untrained.
/// </remarks>
public sealed class GraphTransferEstimator : IEstimator<GraphTransferTransformer>
{
    private readonly GraphTransferOptions _options;
    private readonly TaskKind _kind;

    /// <summary>Creates the trainer for <paramref name="kind"/> (binary or multiclass).</summary>
    public GraphTransferEstimator(GraphTransferOptions options, TaskKind kind)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (kind is not (TaskKind.Binary or TaskKind.Multiclass))
            throw new ArgumentException($"The graph-transfer classifier is a binary or multiclass classifier, not {kind}.", nameof(kind));
        _options = options;
        _kind = kind;
    }

    /// <summary>Reads the labelled texts, trains the classifier with the chosen graphs, and returns it.</summary>
    /// <exception cref="DirectoryNotFoundException">The graph model directory does not exist.</exception>
    /// <exception cref="InvalidDataException">The directory is not a GLoMo-style graph model, or its vocabulary is not the encoder's.</exception>
    public GraphTransferTransformer Fit(IDataView input)
    {
        ArgumentNullException.ThrowIfNull(input);
        LibTorchRequirement.Ensure("Training with graph transfer (GraphTransferEstimator.Fit)");
        var o = _options;
        var settings = o.ToSettings();
        string directory = o.RequireGraphModelDirectory();
        var names = LabeledTextReader.Names(input, o.LabelColumnName, _kind);
        var data = LabeledTextReader.Read(input, o.TextColumnName, null, 1, [new LabelSource(0, o.LabelColumnName, _kind)], [names], allowMissing: false, "training data");
        int classes = _kind == TaskKind.Binary ? 2 : names!.Length;
        if (classes < 2) throw new InvalidDataException($"Label column '{o.LabelColumnName}' has only one class; a classifier needs at least two.");
        var labels = data.Targets.Select(t => (int)t[0]![0]).ToArray();

        var pretrained = LoadGraphModel(directory);
        GlomoLanguageModel? graphModel = null;
        try
        {
            using var features = TokenFeatures(o, pretrained);
            graphModel = o.Graphs switch
            {
                GraphSource.Pretrained => pretrained,
                GraphSource.Random => GlomoLanguageModel.FromScratch(pretrained.Config, pretrained.Tokenizer, o.RandomGraphSeed ?? 1000 + o.Seed),
                _ => null,
            };
            var classifier = GraphTransferTrainer.Train(graphModel, pretrained.Tokenizer, features, data.Texts, labels, classes, settings);
            var columns = new TaskColumns(o.ScoreColumnName, o.ProbabilityColumnName, o.PredictedLabelColumnName, names);
            var setup = new GraphTransferTransformer.Setup(o.TextColumnName, columns, _kind, classes, o.Graphs, settings.HiddenSize, settings.MaxTokens, o.Encoder?.Name ?? o.Model);
            return new GraphTransferTransformer(classifier, graphModel, pretrained.Tokenizer, setup);
        }
        catch
        {
            graphModel?.Dispose();
            throw;
        }
        finally
        {
            if (!ReferenceEquals(graphModel, pretrained)) pretrained.Dispose();
        }
    }

    /// <summary>Loads the graph model, first checking that the directory holds one (a clear message otherwise).</summary>
    private static GlomoLanguageModel LoadGraphModel(string directory)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Graph model directory '{directory}' does not exist (make one with `mlnet-transfer pretrain --model scratch --arch glomo`).");
        string config = Path.Combine(directory, "config.json");
        string type = File.Exists(config) ? EncoderFactory.ModelType(File.ReadAllText(config), config) : "none: no config.json";
        if (type != GlomoConfig.GlomoType)
            throw new InvalidDataException($"'{directory}' is not a GLoMo-style graph model (model_type {type}); make one with `mlnet-transfer pretrain --model scratch --arch glomo`.");
        return GlomoLanguageModel.Load(directory);
    }

    /// <summary>The encoder's word-piece embeddings re-indexed to the graph model's vocabulary.</summary>
    private static TorchSharp.torch.Tensor TokenFeatures(GraphTransferOptions o, GlomoLanguageModel graphModel)
    {
        var encoder = o.Encoder ?? PretrainedEncoder.Load(o.Model);
        try
        {
            return TokenFeatureTable.Select(encoder.Model, encoder.Tokenizer, graphModel.Tokenizer, encoder.Name);
        }
        finally
        {
            if (o.Encoder is null) encoder.Dispose();
        }
    }

    /// <summary>Adds the prediction columns after checking the text and label columns.</summary>
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var o = _options;
        SchemaShapes.RequireText(inputSchema, o.TextColumnName, "Text");
        var label = SchemaShapes.Find(inputSchema, o.LabelColumnName, "Label");
        var columns = new TaskColumns(o.ScoreColumnName, o.ProbabilityColumnName, o.PredictedLabelColumnName, null);
        return SchemaShapes.With(inputSchema, columns.Shapes(_kind, label.Annotations));
    }
}
