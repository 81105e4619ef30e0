using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.Checkpoints;
using MLNet.Transfer.Models.Glomo;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Pretraining;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// A trained GLoMo-style (reduced) graph-transfer classifier applied to a text column: texts are tokenized with the graph
/// model's tokenizer, the graph model (frozen) predicts their graphs, which reweight the frozen token features before the
/// BiLSTM classifier (see <see cref="GraphTransferClassifier"/>). Adds ML.NET's standard columns — binary: Score (logit),
/// Probability, PredictedLabel; multiclass: Score (class probabilities) and PredictedLabel (key) — so Evaluate,
/// CrossValidate and PredictionEngine work unchanged. Saved with <c>mlContext.Model.Save</c> (classifier, token features,
/// tokenizer and graph model inside the zip); call <c>mlContext.RegisterTransferComponents()</c> before loading.
/// </summary>
public sealed class GraphTransferTransformer : BatchedTransformerBase, IPersistableModel<GraphTransferTransformer>, IDisposable
{
    private const string ClassifierStream = "Classifier.safetensors";
    private const string FeaturesKey = "token_features";

    private readonly GraphTransferClassifier _classifier;
    private readonly GlomoLanguageModel? _graphModel;
    private readonly BertWordPieceTokenizer _tokenizer;
    private readonly Setup _setup;
    private readonly TaskSpec _task;

    /// <summary>Everything besides the weights: columns, task, graphs, sizes and where the token features came from.</summary>
    internal sealed record Setup(string Text, TaskColumns Columns, TaskKind Kind, int Classes, GraphSource Graphs, int HiddenSize, int MaxTokens, string FeatureSource);

    internal GraphTransferTransformer(GraphTransferClassifier classifier, GlomoLanguageModel? graphModel, BertWordPieceTokenizer tokenizer, Setup setup)
        : base([new BatchInputColumn(setup.Text, TextDataViewType.Instance)], setup.Columns.Columns(TaskOf(setup)), batchSize: 64)
    {
        if (classifier.UsesGraphs != (graphModel is not null)) throw new ArgumentException("A classifier that applies graphs needs the graph model, and only then.", nameof(graphModel));
        _classifier = classifier;
        _graphModel = graphModel;
        _tokenizer = tokenizer;
        _setup = setup;
        _task = TaskOf(setup);
    }

    private static TaskSpec TaskOf(Setup s) => new("task", s.Kind, s.Kind == TaskKind.Binary ? 1 : s.Classes);

    /// <summary>Which graphs the classifier mixes in.</summary>
    public GraphSource Graphs => _setup.Graphs;

    /// <summary>The graph model whose graphs are applied (the pretrained one, or the untrained one of <see cref="GraphSource.Random"/>); null for <see cref="GraphSource.None"/>.</summary>
    public GlomoLanguageModel? GraphModel => _graphModel;

    /// <summary>The tokenizer of the texts (the graph model's).</summary>
    public BertWordPieceTokenizer Tokenizer => _tokenizer;

    /// <summary>The trained classifier (token features, graph mixing, BiLSTM, output layer).</summary>
    public GraphTransferClassifier Classifier => _classifier;

    /// <summary>Word pieces per text, including [CLS]/[SEP].</summary>
    public int MaxTokens => _setup.MaxTokens;

    /// <summary>Class names by index (multiclass), else null.</summary>
    public IReadOnlyList<string>? ClassNames => _setup.Columns.Names;

    /// <summary>The class logits of each text [text][class], without going through an IDataView.</summary>
    public float[][] Logits(IReadOnlyList<string> texts) => GraphTransferTrainer.Logits(_classifier, _graphModel, _tokenizer, texts, _setup.MaxTokens);

    /// <inheritdoc/>
    protected internal override void ComputeBatch(ColumnBatch batch)
    {
        var values = batch.Input<ReadOnlyMemory<char>>(0);
        var texts = new string[batch.RowCount];
        for (int i = 0; i < texts.Length; i++) texts[i] = values[i].ToString();
        var logits = Logits(texts);
        // Binary: the positive class's logit relative to the negative one, sigmoid(l1 − l0) = softmax(l)[1].
        var outputs = _setup.Kind == TaskKind.Binary ? logits.Select(l => new[] { l[1] - l[0] }).ToArray() : logits;
        _setup.Columns.Fill(_task, outputs, batch, 0);
    }

    /// <inheritdoc/>
    protected override void SaveModel(ModelSaveContext ctx) => ModelPersistence.Save<GraphTransferTransformer>(ctx, model =>
    {
        var w = model.Writer;
        var c = _setup.Columns;
        w.Write(_setup.Text); w.Write(c.Score); w.Write(c.Probability); w.Write(c.PredictedLabel);
        w.Write((int)_setup.Kind); w.Write(_setup.Classes);
        var names = c.Names ?? [];
        w.Write(names.Length);
        foreach (var n in names) w.Write(n);
        w.Write((int)_setup.Graphs); w.Write(_setup.HiddenSize); w.Write(_setup.MaxTokens); w.Write(_setup.FeatureSource);
        w.Write(_graphModel?.Config.GraphLayers ?? 0);
        GraphModelPayload.Write(model, _tokenizer, _graphModel, _setup.MaxTokens);
        var weights = new Dictionary<string, TorchSharp.torch.Tensor>(_classifier.state_dict()) { [FeaturesKey] = _classifier.TokenFeatures };
        model.WriteStream(ClassifierStream, s => Safetensors.Save(s, weights));
    });

    static PersistedModelInfo IPersistableModel<GraphTransferTransformer>.ModelInfo { get; } = new("MLNTGRAF", "MLNetTransferGraphs", 1);

    static GraphTransferTransformer IPersistableModel<GraphTransferTransformer>.Load(PersistedModelReader model)
    {
        var r = model.Reader;
        string text = r.ReadString(), score = r.ReadString(), probability = r.ReadString(), predicted = r.ReadString();
        var kind = (TaskKind)r.ReadInt32();
        int classes = r.ReadInt32();
        var names = new string[r.ReadInt32()];
        for (int i = 0; i < names.Length; i++) names[i] = r.ReadString();
        var graphs = (GraphSource)r.ReadInt32();
        int hidden = r.ReadInt32(), maxTokens = r.ReadInt32();
        string featureSource = r.ReadString();
        int graphLayers = r.ReadInt32();
        if (kind is not (TaskKind.Binary or TaskKind.Multiclass) || classes < 2 || !Enum.IsDefined(graphs) || hidden < 1 || maxTokens < 3 || graphLayers < 0
            || (graphs == GraphSource.None) != (graphLayers == 0))
            throw new ModelFormatException($"{model.Info.LoaderSignature}: invalid header ({kind}, {classes} classes, graphs {graphs}, {graphLayers} graph layers, hidden {hidden}, MaxTokens {maxTokens}).");
        var setup = new Setup(text, new TaskColumns(score, probability, predicted, names.Length == 0 ? null : names), kind, classes, graphs, hidden, maxTokens, featureSource);
        var (tokenizer, graphModel) = GraphModelPayload.Read(model);
        string source = $"model zip ({model.Info.LoaderSignature}) {ClassifierStream}";
        var weights = model.ReadStream(ClassifierStream, s => Safetensors.Load(s, source));
        try
        {
            if (!weights.Remove(FeaturesKey, out var features)) throw new ModelFormatException($"{source}: the token features ('{FeaturesKey}') are missing.");
            using (features)
            {
                var classifier = new GraphTransferClassifier(features, graphLayers, hidden, classes);
                StateDictLoader.Load(classifier, weights, source);
                classifier.eval();
                return new GraphTransferTransformer(classifier, graphModel, tokenizer, setup);
            }
        }
        catch
        {
            graphModel?.Dispose();
            throw;
        }
        finally
        {
            foreach (var w in weights.Values) w.Dispose();
        }
    }

    /// <summary>Releases the classifier and the graph model.</summary>
    public void Dispose()
    {
        _classifier.Dispose();
        _graphModel?.Dispose();
    }
}
