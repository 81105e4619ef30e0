using MLNet.Transfer.Models.Tagging;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Heads;

/// <summary>A task head: dropout then a linear layer over the pooled sentence vector.</summary>
public sealed class TaskHead : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006
    private readonly Dropout dropout;
    private readonly Linear classifier;
#pragma warning restore IDE1006

    /// <summary>Creates a head mapping <paramref name="inputSize"/> features to <paramref name="outputs"/> logits.</summary>
    public TaskHead(int inputSize, int outputs, double dropoutProbability, double initializerRange) : base(nameof(TaskHead))
    {
        dropout = nn.Dropout(dropoutProbability);
        classifier = nn.Linear(inputSize, outputs);
        RegisterComponents();
        using var _ = no_grad();
        nn.init.normal_(classifier.weight!, 0, initializerRange);
        nn.init.zeros_(classifier.bias!);
    }

    /// <summary>Logits for pooled <paramref name="features"/> [batch, inputSize].</summary>
    public override Tensor forward(Tensor features)
    {
        using var dropped = dropout.call(features);
        return classifier.call(dropped);
    }

    /// <summary>The linear layer's bias, one value per output (a copy, on the CPU).</summary>
    public float[] Bias()
    {
        using var bias = classifier.bias!.detach().to(ScalarType.Float32).cpu();
        return bias.data<float>().ToArray();
    }
}

/// <summary>
/// One shared encoder with one or more task heads: sentence tasks ("heads.&lt;task&gt;.*") over a pooled sentence vector,
/// tagging tasks ("taggers.&lt;task&gt;.*": the token classifier's head, <see cref="TaggingModel.HeadOver"/>) over the
/// word pieces of sentence windows. A BERT lives under "bert.*" (the Hugging Face task-model prefix), any other
/// <see cref="TextEncoder"/> (e.g. a recurrent one) under "encoder.*". Knows nothing of ML.NET.
/// </summary>
public sealed class TransferModel : nn.Module
{
#pragma warning disable IDE1006 // field names are the checkpoint keys; exactly one of bert and encoder is set (TextEncoder.TaskModelPrefix)
    private readonly TextEncoder? bert;
    private readonly TextEncoder? encoder;
    private readonly ModuleDict<TaskHead> heads;
    private readonly ModuleDict<TaggingModel> taggers;
#pragma warning restore IDE1006

    /// <summary>Wraps <paramref name="encoder"/> (shared, not copied) with fresh heads for <paramref name="tasks"/>.</summary>
    public TransferModel(TextEncoder encoder, IReadOnlyList<TaskSpec> tasks, PoolingMode pooling, double headDropout) : base(nameof(TransferModel))
    {
        ArgumentNullException.ThrowIfNull(encoder);
        if (tasks.Count == 0) throw new ArgumentException("At least one task is needed.", nameof(tasks));
        if (tasks.Select(t => t.Name).Distinct().Count() != tasks.Count) throw new ArgumentException("Task names must be unique.", nameof(tasks));
        if (encoder.TaskModelPrefix == nameof(bert)) bert = encoder;
        else this.encoder = encoder;
        Tasks = tasks.Select(t => t.Validate()).ToArray();
        Pooling = pooling;
        int width = Models.Pooling.Width(pooling, encoder.HiddenSize);
        heads = new ModuleDict<TaskHead>();
        foreach (var task in SentenceTasks) heads.Add(task.Name, new TaskHead(width, task.Outputs, headDropout, encoder.InitializerRange));
        taggers = new ModuleDict<TaggingModel>();
        foreach (var task in Tasks.Where(t => t.Kind == TaskKind.Tagging)) taggers.Add(task.Name, TaggingModel.HeadOver(encoder, task.Tagging!, headDropout));
        RegisterComponents();
    }

    /// <summary>The tasks with a sentence head (every kind but <see cref="TaskKind.Tagging"/>), in head order.</summary>
    public IEnumerable<TaskSpec> SentenceTasks => Tasks.Where(t => t.Kind != TaskKind.Tagging);

    /// <summary>The tagging head of tagging task <paramref name="task"/> (over the shared encoder).</summary>
    public TaggingModel Tagger(string task) => taggers.TryGetValue(task, out var tagger) ? tagger
        : throw new ArgumentException($"Task '{task}' is not a tagging task of this model.", nameof(task));

    /// <summary>The shared encoder.</summary>
    public TextEncoder Encoder => bert ?? encoder!;

    /// <summary>The encoder's key prefix in the state dict, with the dot: "bert." or "encoder.".</summary>
    public string EncoderPrefix => bert is not null ? "bert." : "encoder.";

    /// <summary>The tasks, in head order.</summary>
    public IReadOnlyList<TaskSpec> Tasks { get; }

    /// <summary>How token states are pooled for the heads.</summary>
    public PoolingMode Pooling { get; }

    /// <summary>The sentence head of <paramref name="task"/>.</summary>
    public TaskHead Head(string task) => heads.TryGetValue(task, out var head) ? head
        : Tasks.Any(t => t.Name == task && t.Kind == TaskKind.Tagging)
            ? throw new NotSupportedException($"Task '{task}' is a tagging task: it has a tagging head (Tagger), not a sentence head; this operation covers sentence tasks only.")
            : throw new ArgumentException($"The model has no task '{task}'.", nameof(task));

    /// <summary>Pooled sentence vectors [batch, width] for a padded batch.</summary>
    public Tensor Features(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var scope = NewDisposeScope();
        var states = Encoder.Forward(inputIds, tokenTypeIds, attentionMask);
        return Models.Pooling.Pool(states[^1], attentionMask, Pooling).MoveToOuterDisposeScope();
    }

    /// <summary>Logits of every sentence head [batch, outputs], keyed by task name (tagging tasks: see <see cref="Tagger"/>).</summary>
    public Dictionary<string, Tensor> Forward(Tensor inputIds, Tensor tokenTypeIds, Tensor attentionMask)
    {
        using var features = Features(inputIds, tokenTypeIds, attentionMask);
        return HeadsOn(features);
    }

    /// <summary>Logits of every sentence head for pooled sentence vectors [batch, width] (e.g. <see cref="SymmetricPair"/>'s sums).</summary>
    public Dictionary<string, Tensor> HeadsOn(Tensor features) => SentenceTasks.ToDictionary(t => t.Name, t => heads[t.Name].call(features));

    /// <summary>
    /// <see cref="Forward"/> from last-layer token states the caller has already computed with <see cref="Encoder"/> (so the
    /// same pass can also feed another loss, e.g. <see cref="NextTokenLoss"/>).
    /// </summary>
    /// <param name="lastStates">The encoder's last-layer states [batch, seq, hidden].</param>
    /// <param name="attentionMask">[batch, seq]: 1 for a real token.</param>
    public Dictionary<string, Tensor> HeadsOver(Tensor lastStates, Tensor attentionMask)
    {
        using var features = Models.Pooling.Pool(lastStates, attentionMask, Pooling);
        return HeadsOn(features);
    }
}
