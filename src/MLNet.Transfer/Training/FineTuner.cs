using MLNet.Transfer.Models;
using MLNet.Transfer.Models.Heads;
using MLNet.Transfer.Models.Tagging;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training.SemiSupervised;
using MLNet.Transfer.Training.Tagging;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Training;

/// <summary>Outcome of a fine-tuning run.</summary>
/// <param name="Steps">Optimisation steps done (including those before a resume).</param>
/// <param name="StoppedEarly">Whether early stopping ended the run.</param>
/// <param name="BestValidation">Metrics of the best validation evaluation (null without validation data).</param>
/// <param name="History">Every evaluation's report.</param>
/// <param name="Duration">Wall time of this call.</param>
/// <param name="TokensPerSecond">Training throughput (non-padding tokens) of this call.</param>
public sealed record FineTuneResult(int Steps, bool StoppedEarly, IReadOnlyDictionary<string, double>? BestValidation,
                                    IReadOnlyList<TrainingProgress> History, TimeSpan Duration, double TokensPerSecond);

/// <summary>
/// Fine-tunes a <see cref="TransferModel"/> (encoder + heads) on tokenized examples: AdamW with decay groups,
/// warm-up/decay or slanted-triangular schedules, discriminative rates, gradual unfreezing, clipping, class
/// weights, early stopping with best-weight restore, resumable checkpoints, progress and cancellation. Tagging tasks learn
/// from examples that carry a sentence window (<see cref="TrainingExample.Window"/>): their loss is the token classifier's
/// (<see cref="TaggingLoss"/>), their CRF transitions train at <see cref="TaggerTrainer.DefaultCrfLearningRate"/>, and their
/// validation metric is entity F1. With <see cref="FineTuneSettings.AuxiliaryLanguageModelWeight"/> λ &gt; 0 (GPT-1's
/// recipe, causal encoders) each step adds λ × the next-token loss of the batch's texts through <see cref="LanguageModelHead"/>.
/// </summary>
public sealed class FineTuner(TransferModel model, FineTuneSettings settings, int padId)
{
    private readonly FineTuneSettings _settings = settings.Validate(model.Encoder.MaxTokens, model.Tasks);
    private int _totalSteps = 1;

    /// <summary>
    /// UDA-style consistency training on unlabelled texts (null = supervised only): every step adds its loss and anneals
    /// the supervised one (<see cref="ConsistencyObjective"/>; tagging tasks' word loss through its <see cref="ConsistencyObjective.Tagging"/> part).
    /// </summary>
    public ConsistencyObjective? Consistency { get; init; }

    /// <summary>
    /// The language-model head (tied to the encoder's word embeddings) of the auxiliary objective; needed when
    /// <see cref="FineTuneSettings.AuxiliaryLanguageModelWeight"/> is positive, ignored when it is 0. It is trained with the
    /// heads' rate and clipped with the model, but is not part of <see cref="TransferModel"/>: it is neither saved nor
    /// checkpointed (a resumed run continues from the head it is given).
    /// </summary>
    public BertLmHead? LanguageModelHead { get; init; }

    private BertLmHead? AuxiliaryHead => _settings.AuxiliaryLanguageModelWeight > 0 ? LanguageModelHead : null;

    /// <summary>Trains in place and returns a summary. Throws <see cref="OperationCanceledException"/> on cancellation.</summary>
    public FineTuneResult Train(IReadOnlyList<TrainingExample> train, IReadOnlyList<TrainingExample>? validation = null,
                                IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        CheckExamples(train, "training");
        if (validation is not null) CheckExamples(validation, "validation");
        CheckAuxiliaryObjective();
        var classWeights = model.Tasks.Select((t, i) => _settings.BalanceClasses ? ClassWeights(t, i, train) : null).ToArray();
        var groups = CrfParameterGroup.Separate(ParameterGroups.Build(model, _settings.LearningRate, _settings.LayerLearningRateDecay, _settings.WeightDecay),
                                                model, TaggerTrainer.DefaultCrfLearningRate);
        if (AuxiliaryHead is { } head) groups.AddRange(ParameterGroups.Build(head, 0, _settings.LearningRate, 1, _settings.WeightDecay)); // depth 0: the heads' rate
        var clipped = AuxiliaryHead is { } auxiliary ? new TorchSharp.Modules.ModuleList<nn.Module>(model, auxiliary) : (nn.Module)model;
        using var optimizer = new ScalarSafeAdamW(groups, _settings.LearningRate);
        var plan = TrainingLoopPlan.ForFineTuning(_settings, [.. train.Select(t => t.Tokens.Length)], model.Encoder.Device,
            (rows, step) =>
            {
                var batch = rows.Select(i => train[i]).ToArray();
                return (TrainStep(batch, optimizer, clipped, classWeights, step), batch.Sum(b => (long)b.Tokens.Length));
            },
            validation is null ? null : () => Evaluate(validation), "score", epoch => SortishBatches(train, epoch));
        _totalSteps = plan.TotalSteps;
        var loop = new TrainingLoop(model, optimizer, groups, plan);
        loop.ResumeOrSeed(Fingerprint(train), _settings.Seed);
        return loop.Run(progress, cancellation).ToFineTuneResult();
    }

    private double TrainStep(TrainingExample[] batch, OptimizerHelper optimizer, nn.Module clipped, float[]?[] classWeights, int step)
    {
        using var scope = NewDisposeScope();
        Tensor? total = null;
        void Add(TaskSpec task, Tensor? taskLoss)
        {
            if (taskLoss is null) return;
            var weighted = taskLoss.Times(task.LossWeight);
            total = total is null ? weighted : total.Plus(weighted);
        }
        var texts = batch.Where(b => b.Window is null).ToArray(); // the whole batch unless tagging windows are mixed in
        if (texts.Length > 0 && model.SentenceTasks.Any())
        {
            using var tokens = TokenBatch.Create(texts.Select(b => b.Tokens).ToArray(), padId, model.Encoder.Device);
            using var reversed = texts[0].Reversed is null ? null : TokenBatch.Create(texts.Select(b => b.Reversed!.Value).ToArray(), padId, model.Encoder.Device);
            Dictionary<string, Tensor> logits;
            if (AuxiliaryHead is { } head) // one forward pass (per ordering) feeds the heads and the language-model loss
            {
                Tensor features = null!;
                foreach (var batchTokens in reversed is null ? [tokens] : new[] { tokens, reversed })
                {
                    var states = model.Encoder.Forward(batchTokens.InputIds, batchTokens.TokenTypeIds, batchTokens.AttentionMask)[^1];
                    var pooled = Pooling.Pool(states, batchTokens.AttentionMask, model.Pooling);
                    features = features is null ? pooled : features.Plus(pooled);
                    var languageModel = NextTokenLoss.Compute(head, states, batchTokens.InputIds, batchTokens.AttentionMask)
                                                     .Times(_settings.AuxiliaryLanguageModelWeight / (reversed is null ? 1 : 2));
                    total = total is null ? languageModel : total.Plus(languageModel);
                }
                logits = model.HeadsOn(features);
            }
            else logits = reversed is null ? model.Forward(tokens.InputIds, tokens.TokenTypeIds, tokens.AttentionMask) : SymmetricPair.Forward(model, tokens, reversed);
            for (int t = 0; t < model.Tasks.Count; t++)
            {
                if (model.Tasks[t].Kind == TaskKind.Tagging) continue;
                var task = model.Tasks[t];
                var targets = texts.Select(b => b.Targets[t]).ToArray();
                if (Consistency is not null) targets = Consistency.AnnealedTargets(task, logits[task.Name], targets, step, _totalSteps);
                Add(task, TaskLosses.Compute(task, logits[task.Name], targets, classWeights[t]));
            }
        }
        if (Consistency?.Loss(model, padId, batch.Length, step) is { } consistency) total = total is null ? consistency : total.Plus(consistency);
        for (int t = 0; t < model.Tasks.Count; t++)
        {
            if (model.Tasks[t].Kind != TaskKind.Tagging) continue;
            var windows = batch.Where(b => b.Window is not null && b.Targets[t] is not null).ToArray();
            if (windows.Length == 0) continue;
            var tagger = model.Tagger(model.Tasks[t].Name);
            var emissions = tagger.Emissions(windows.Select(w => w.Window!).ToArray(), padId);
            double annealing = Consistency?.Tagging?.AnnealingThreshold(step, _totalSteps, tagger.Spec.Tags.Length) ?? 1;
            Add(model.Tasks[t], TaggingLoss.Compute(tagger, emissions, windows.Select(w => w.Targets[t]!.Select(i => (int)i).ToArray()).ToArray(), annealing));
        }
        if (total is null) return 0; // no labels in this batch for any task
        return GuardedStep.Run(total, optimizer, clipped, _settings.MaxGradNorm, step, "Training",
                               "Lower the learning rate or check the labels; the last checkpoint (if any) is intact.",
                               "Lower the learning rate; the last checkpoint (if any) is intact.");
    }

    /// <summary>Validation metrics of the current weights (the early-stopping "score" among them); leaves the model in training mode.</summary>
    internal Dictionary<string, double> Evaluate(IReadOnlyList<TrainingExample> validation)
    {
        model.eval();
        try
        {
            int batchSize = Math.Max(_settings.BatchSize, 32);
            var texts = Enumerable.Range(0, validation.Count).Where(i => validation[i].Window is null).ToArray();
            var predictor = new TaskPredictor(model, padId, batchSize);
            var predicted = texts.Length > 0 && validation[texts[0]].Reversed is not null
                ? SymmetricPair.Predict(model, predictor, texts.Select(i => validation[i].Tokens).ToArray(), texts.Select(i => validation[i].Reversed!.Value).ToArray())
                : predictor.Predict(texts.Select(i => validation[i].Tokens).ToArray());
            var outputs = model.Tasks.Select(_ => new float[validation.Count][]).ToArray();
            for (int t = 0; t < model.Tasks.Count; t++)
            {
                if (model.Tasks[t].Kind != TaskKind.Tagging)
                {
                    for (int k = 0; k < texts.Length; k++) outputs[t][texts[k]] = predicted[t][k];
                    continue;
                }
                var windows = Enumerable.Range(0, validation.Count).Where(i => validation[i].Window is not null && validation[i].Targets[t] is not null).ToArray();
                var tags = new TagPredictor(model.Tagger(model.Tasks[t].Name), padId, batchSize).PredictWindows(windows.Select(i => validation[i].Window!).ToArray());
                for (int k = 0; k < windows.Length; k++) outputs[t][windows[k]] = tags[k].Tags.Select(i => (float)i).ToArray();
            }
            return ValidationMetrics.Compute(model.Tasks, outputs, validation, _settings.EarlyStoppingTask);
        }
        finally { model.train(); }
    }

    /// <summary>Shuffled batches of similar length (fastai's "sortish" sampler), seeded per epoch so a resumed run sees the same order.</summary>
    private List<int[]> SortishBatches(IReadOnlyList<TrainingExample> train, int epoch) =>
        TaskBatches.ForEpoch(train, _settings.BatchSize, _settings.Seed, epoch, _settings.TaskSampling, _settings.SamplingTemperature, _settings.TokensPerBatch);

    /// <summary>A positive auxiliary weight needs a head and a causal encoder; refuses the rest clearly.</summary>
    private void CheckAuxiliaryObjective()
    {
        if (_settings.AuxiliaryLanguageModelWeight == 0) return;
        if (!NextTokenLoss.AppliesTo(model.Encoder))
            throw new ArgumentException(
                $"AuxiliaryLanguageModelWeight {_settings.AuxiliaryLanguageModelWeight} needs a causal (is_decoder) transformer encoder: the OpenAI transformer's auxiliary " +
                $"objective predicts each next token from the task's own forward pass. This {model.Encoder.ModelType} encoder reads both ways (or is recurrent); " +
                "set the weight to 0, or adapt the encoder to the domain beforehand (AdaptLanguageModel / pretrain) instead.");
        if (LanguageModelHead is null)
            throw new ArgumentException($"AuxiliaryLanguageModelWeight {_settings.AuxiliaryLanguageModelWeight} needs a LanguageModelHead tied to the encoder's word embeddings.");
    }

    private void CheckExamples(IReadOnlyList<TrainingExample> examples, string what)
    {
        if (examples.Count == 0) throw new ArgumentException($"The {what} set is empty.");
        var sentences = examples.Where(e => e.Window is null).ToArray();
        if (sentences.Any(e => e.Reversed is null) && sentences.Any(e => e.Reversed is not null))
            throw new ArgumentException($"The {what} set mixes symmetric pairs (Reversed) with ordinary examples; either every sentence example has its reversed pair or none does.");
        for (int i = 0; i < examples.Count; i++)
        {
            var targets = examples[i].Targets;
            if (targets.Length != model.Tasks.Count)
                throw new ArgumentException($"{what} example {i} has {targets.Length} targets but the model has {model.Tasks.Count} tasks.");
            for (int t = 0; t < targets.Length; t++)
                if (targets[t] is { } target && model.Tasks[t].Kind == TaskKind.Tagging
                    && (examples[i].Window is not { } window || target.Length != window.OwnedWords || targets.Count(x => x is not null) != 1))
                    throw new ArgumentException($"{what} example {i}: a tagging target needs the example's sentence window, one tag per owned word, and no other task's label.");
        }
    }

    private static float[]? ClassWeights(TaskSpec task, int index, IReadOnlyList<TrainingExample> train)
    {
        if (task.Kind is not (TaskKind.Binary or TaskKind.Multiclass)) return null;
        int classes = task.Kind == TaskKind.Binary ? 2 : task.Outputs;
        var counts = new int[classes];
        foreach (var e in train)
            if (e.Targets[index] is { } t) counts[task.Kind == TaskKind.Binary ? (t[0] > 0.5f ? 1 : 0) : TaskLosses.ClassOf(t)]++;
        double n = counts.Sum();
        return counts.Select(c => c == 0 ? 0f : (float)(n / (classes * c))).ToArray();
    }

    /// <summary>A stable (cross-process) fingerprint of settings, tasks and data shape, to refuse resuming another run.</summary>
    private string Fingerprint(IReadOnlyList<TrainingExample> train)
    {
        var text = new System.Text.StringBuilder();
        text.Append(_settings with { CheckpointDirectory = null }).Append('|').Append(train.Count).Append('|').Append(Consistency);
        foreach (var t in model.Tasks) text.Append('|').Append(t).Append(t.Tagging is { } tagger ? $" {tagger.Head} {tagger.CasingFeatures} {string.Join(' ', tagger.Tags)}" : "");
        if (train.Count > 0 && train[0].Reversed is not null) text.Append("|symmetric pairs");
        foreach (var e in train) text.Append(',').Append(e.Tokens.Length);
        return TrainingCheckpoint.Fingerprint(text.ToString());
    }
}
