using MLNet.Transfer.Models;
using System.Diagnostics;
using MLNet.Transfer.Encoders;
using MLNet.Transfer.Text;
using MLNet.Transfer.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Pretraining;

/// <summary>
/// Language-model pretraining and domain adaptation (ULMFiT stage 2, BERT's masked LM, the OpenAI transformer's
/// causal LM) on unlabelled text: AdamW with warm-up/decay, clipping, dynamic masking, held-out loss measured with
/// a fixed masking before and after, resumable checkpoints, progress and cancellation.
/// </summary>
/// <example><code>
/// using var encoder = PretrainedEncoder.Load("minilm");
/// var result = LanguageModelTrainer.Adapt(encoder, File.ReadAllLines("movie-reviews.txt"), new PretrainingSettings { Steps = 1000 });
/// Console.WriteLine($"held-out loss {result.HeldOutLossBefore:F3} → {result.HeldOutLossAfter:F3}");
/// encoder.Save("minilm-movies");
/// </code></example>
public static class LanguageModelTrainer
{
    /// <summary>
    /// Adapts <paramref name="encoder"/> in place to the domain of <paramref name="corpus"/> (one text per item) with
    /// a temporary language-model head, discarded afterwards; save the encoder with <see cref="PretrainedEncoder.Save"/>.
    /// To keep the head too, use <see cref="TransformerLanguageModel.FromEncoder"/>, <see cref="Train(TransformerLanguageModel, IReadOnlyList{string}, PretrainingSettings?, IProgress{TrainingProgress}?, CancellationToken)"/> and <see cref="TransformerLanguageModel.Save"/>.
    /// A recurrent encoder (AWD-LSTM, bidirectional LSTM) is always adapted with the causal objective, ULMFiT's stage 2.
    /// </summary>
    /// <exception cref="ArgumentException">The corpus is empty or too small to hold out text.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the encoder keeps the weights of the last step.</exception>
    public static PretrainingResult Adapt(PretrainedEncoder encoder, IReadOnlyList<string> corpus, PretrainingSettings? settings = null,
                                          IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        settings ??= new PretrainingSettings();
        if (encoder.Model is Models.Recurrent.RecurrentEncoder)
        {
            using var recurrent = RecurrentLanguageModel.FromEncoder(encoder, settings.Seed);
            return Train(recurrent, corpus, settings with { Objective = LanguageModelObjective.CausalLm }, progress, cancellation);
        }
        using var model = TransformerLanguageModel.FromEncoder(encoder, settings.Objective, settings.Seed);
        return Train(model, corpus, settings, progress, cancellation);
    }

    /// <summary>Trains <paramref name="model"/> (encoder and head) in place on <paramref name="corpus"/>.</summary>
    /// <exception cref="ArgumentException">The corpus is empty or too small, or the settings' objective is not the model's.</exception>
    /// <exception cref="TrainingDivergedException">The loss or gradient norm became NaN or infinite.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the model keeps the weights of the last step.</exception>
    public static PretrainingResult Train(TransformerLanguageModel model, IReadOnlyList<string> corpus, PretrainingSettings? settings = null,
                                          IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Run(model, corpus, settings, progress, cancellation);
    }

    /// <summary>
    /// Trains a recurrent <paramref name="model"/> (AWD-LSTM or bidirectional LSTM) in place on <paramref name="corpus"/>
    /// with the causal objective (the bidirectional model adds the previous-token one). The settings are the same as
    /// for transformers; recurrent models from scratch want a larger rate (≈3e-3).
    /// </summary>
    /// <exception cref="ArgumentException">The corpus is empty or too small, or the settings ask for the masked objective.</exception>
    /// <exception cref="TrainingDivergedException">The loss or gradient norm became NaN or infinite.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the model keeps the weights of the last step.</exception>
    public static PretrainingResult Train(RecurrentLanguageModel model, IReadOnlyList<string> corpus, PretrainingSettings? settings = null,
                                          IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return RunCausal(model, "A recurrent language model predicts the next token", corpus, settings, progress, cancellation);
    }

    /// <summary>
    /// Trains a GLoMo-style (reduced) graph model in place on <paramref name="corpus"/>: graph predictor and feature
    /// predictor together, each position predicting the tokens 1 … D ahead and behind. The settings' objective must be
    /// the causal one (its targets are never in the input); from scratch it wants a larger rate (≈2e-3).
    /// </summary>
    /// <exception cref="ArgumentException">The corpus is empty or too small, or the settings ask for the masked objective.</exception>
    /// <exception cref="TrainingDivergedException">The loss or gradient norm became NaN or infinite.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; the model keeps the weights of the last step.</exception>
    public static PretrainingResult Train(GlomoLanguageModel model, IReadOnlyList<string> corpus, PretrainingSettings? settings = null,
                                          IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return RunCausal(model, "A GLoMo-style model predicts tokens outside its context", corpus, settings, progress, cancellation);
    }

    /// <summary><see cref="Run"/> for a model that only has the causal objective; <paramref name="why"/> opens the refusal of the masked one.</summary>
    private static PretrainingResult RunCausal(ITrainableLanguageModel model, string why, IReadOnlyList<string> corpus, PretrainingSettings? settings,
                                               IProgress<TrainingProgress>? progress, CancellationToken cancellation)
    {
        if (settings is { Objective: LanguageModelObjective.MaskedLm })
            throw new ArgumentException($"{why}: use the causal objective (CausalLm), not the masked one.", nameof(settings));
        return Run(model, corpus, settings, progress, cancellation);
    }

    private static PretrainingResult Run(ITrainableLanguageModel model, IReadOnlyList<string> corpus, PretrainingSettings? settings,
                                         IProgress<TrainingProgress>? progress, CancellationToken cancellation)
    {
        var s = (settings ?? new PretrainingSettings { Objective = model.Objective }).Validate(model.Encoder.MaxTokens);
        if (s.Objective != model.Objective)
            throw new ArgumentException($"The settings ask for {s.Objective} but the model's head is for {model.Objective}.", nameof(settings));
        var clock = Stopwatch.StartNew();
        var module = model.Network;
        var masking = new TokenMasking(model.Tokenizer, s.Masking);
        var data = PretrainingData.Prepare(model.Tokenizer, masking, corpus, s);
        var before = LanguageModelEvaluator.Evaluate(model, data.HeldOut);
        if (s.UnigramOutputBias ?? model.IsFromScratch) SetUnigramOutputBias(model, data.Train);

        var groups = ParameterGroups.Build(module, model.Encoder, model.EncoderPrefix, s.LearningRate, s.LayerLearningRateDecay, s.WeightDecay);
        using var optimizer = new ScalarSafeAdamW(groups, s.LearningRate);
        int stepsPerEpoch = (data.Train.Count + s.BatchSize - 1) / s.BatchSize;
        int totalSteps = s.Steps > 0 ? s.Steps : stepsPerEpoch;
        var lengths = data.Train.Select(w => w.Length).ToArray();
        var loop = new TrainingLoop(module, optimizer, groups, new TrainingLoopPlan
        {
            TotalSteps = totalSteps, StepsPerEpoch = stepsPerEpoch, Epochs = (totalSteps + stepsPerEpoch - 1) / stepsPerEpoch,
            Schedule = s.Schedule, WarmupFraction = s.WarmupFraction,
            EpochBatches = epoch => [.. LengthBatching.ShuffledBatches(lengths, s.BatchSize, unchecked(s.Seed * 1_000_003 + epoch))],
            Step = (rows, step) =>
            {
                var examples = PretrainingData.StepExamples(data.Train, rows, s.Objective, masking, s.Seed, step);
                var unmasked = s.ContrastiveWeight > 0 ? rows.Select(r => data.Train[r]).ToArray() : null;
                return (TrainStep(model, optimizer, examples, s, step, unmasked), examples.Sum(e => (long)e.InputIds.Length));
            },
            Evaluate = () => LanguageModelEvaluator.Evaluate(model, data.HeldOut).ToMetrics(),
            EvaluatesAfter = done => s.EvaluateEverySteps > 0 && done % s.EvaluateEverySteps == 0 && done < totalSteps,
            CheckpointDirectory = s.CheckpointDirectory,
            CheckpointsAfter = done => done % s.CheckpointEverySteps == 0 || done == totalSteps,
            TimeStepsOnly = true,
        });
        LanguageModelEvaluation? afterHeadWarmup = null;
        int headWarmupSteps = s.HeadWarmupSteps ?? (model.HeadStartsRandom ? Math.Min(200, totalSteps) : 0);
        if (!loop.ResumeOrSeed(Fingerprint(s, data), s.Seed) && headWarmupSteps > 0)
        {
            HeadWarmup(model, data, s, headWarmupSteps, masking, cancellation);
            afterHeadWarmup = LanguageModelEvaluator.Evaluate(model, data.HeldOut);
        }
        var run = loop.Run(progress, cancellation);

        var after = LanguageModelEvaluator.Evaluate(model, data.HeldOut);
        return new PretrainingResult(model.Objective, before, afterHeadWarmup, after, run.Steps, data.TrainLines, data.HeldOutLines, run.Tokens, clock.Elapsed,
                                     run.Tokens / Math.Max(run.StepTime.TotalSeconds, 1e-9), run.History);
    }

    /// <summary>Trains only the head's own parameters (transform, bias) for <paramref name="steps"/> steps (<see cref="PretrainingSettings.HeadWarmupSteps"/>).</summary>
    private static void HeadWarmup(ITrainableLanguageModel model, PretrainingData data, PretrainingSettings s, int steps, TokenMasking masking,
                                   CancellationToken cancellation)
    {
        var module = model.Network;
        var encoderParameters = model.Encoder.parameters().ToArray();
        foreach (var p in encoderParameters) p.requires_grad = false;
        using var optimizer = new ScalarSafeAdamW(model.Head.parameters(), s.HeadWarmupLearningRate, weightDecay: 0);
        var lengths = data.Train.Select(w => w.Length).ToArray();
        int stepsPerEpoch = (data.Train.Count + s.BatchSize - 1) / s.BatchSize;
        module.train();
        try
        {
            int[][] batches = [];
            for (int k = 0; k < steps; k++)
            {
                cancellation.ThrowIfCancellationRequested();
                if (k % stepsPerEpoch == 0)
                    batches = [.. LengthBatching.ShuffledBatches(lengths, s.BatchSize, unchecked(s.Seed * 1_000_003 - 1 - k / stepsPerEpoch))];
                var examples = PretrainingData.StepExamples(data.Train, batches[k % stepsPerEpoch], s.Objective, masking, s.Seed, -1 - k);
                TrainStep(model, optimizer, examples, s, k);
            }
        }
        finally
        {
            foreach (var p in encoderParameters) p.requires_grad = true;
            module.eval();
        }
    }

    /// <summary>Sets the output bias to the add-one-smoothed log frequency of every id that is ever a target (all but each window's first).</summary>
    private static void SetUnigramOutputBias(ITrainableLanguageModel model, IReadOnlyList<int[]> windows)
    {
        var bias = model.OutputBias; // the module's own parameter: not disposed here
        var counts = new double[bias.shape[0]];
        foreach (var window in windows)
            for (int t = 1; t < window.Length; t++)
                if ((uint)window[t] < (uint)counts.Length) counts[window[t]]++;
        double total = counts.Sum() + counts.Length;
        var logPrior = counts.Select(c => (float)Math.Log((c + 1) / total)).ToArray();
        using var _ = no_grad();
        using var values = tensor(logPrior, dtype: bias.dtype, device: bias.device);
        bias.copy_(values);
    }

    /// <summary>
    /// One AdamW step on the mean cross-entropy of the batch's predicted tokens, plus the weighted
    /// <see cref="SentenceContrast"/> loss of <paramref name="unmasked"/> (the same windows unmasked) when given;
    /// returns the language-model part, comparable with the held-out loss.
    /// </summary>
    private static double TrainStep(ITrainableLanguageModel model, OptimizerHelper optimizer, LanguageModelExample[] examples, PretrainingSettings s, int step,
                                    int[][]? unmasked = null)
    {
        using var scope = NewDisposeScope();
        if (examples.All(e => e.Predictions == 0)) return double.NaN; // nothing to predict (only special tokens)
        var module = model.Network;
        var (tokens, labels) = LanguageModelBatch.Create(examples, model.Tokenizer.PadId, model.Encoder.Device);
        var predictions = model.Predict(tokens, labels);
        var lmLoss = nn.functional.cross_entropy(predictions.Logits, predictions.Targets);
        var loss = unmasked is not { Length: >= 2 } ? lmLoss // one text has no other to be told apart from
            : lmLoss.Plus(SentenceContrast.Loss(model.Encoder, unmasked, model.Tokenizer.PadId, s.ContrastiveTemperature).Times(s.ContrastiveWeight));
        const string advice = "Lower the learning rate; the last checkpoint (if any) is intact.";
        double value = GuardedStep.Run(loss, optimizer, module, s.MaxGradNorm, step, "Language-model training", advice, advice);
        return ReferenceEquals(loss, lmLoss) ? value : lmLoss.item<float>();
    }

    /// <summary>A stable (cross-process) fingerprint of settings and data shape, to refuse resuming another run.</summary>
    private static string Fingerprint(PretrainingSettings settings, PretrainingData data)
    {
        var text = new System.Text.StringBuilder();
        text.Append(settings with { CheckpointDirectory = null, EvaluateEverySteps = 0 }).Append('|').Append(settings.Masking).Append('|').Append(data.Train.Count);
        foreach (var window in data.Train) text.Append(',').Append(window.Length).Append(':').Append(window.Length > 1 ? window[1] : 0);
        return TrainingCheckpoint.Fingerprint(text.ToString());
    }
}
