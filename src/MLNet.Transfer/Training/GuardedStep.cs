using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Training;

/// <summary>
/// One optimizer step on a loss, shared by the fine-tuning, tagging and language-model trainers: backpropagate, clip
/// the trainable parameters' gradient norm, step — and stop with <see cref="TrainingDivergedException"/> before the
/// weights are touched when the loss or the gradient norm is not finite.
/// </summary>
internal static class GuardedStep
{
    /// <summary>Runs the step and returns the loss value.</summary>
    /// <param name="loss">The batch loss.</param>
    /// <param name="optimizer">The optimizer over <paramref name="module"/>'s parameters.</param>
    /// <param name="module">Whose trainable parameters are clipped.</param>
    /// <param name="maxGradNorm">Clipping bound; 0 = no clipping.</param>
    /// <param name="step">0-based step, for the message.</param>
    /// <param name="what">What diverged, e.g. "Training".</param>
    /// <param name="lossAdvice">The advice after a non-finite loss.</param>
    /// <param name="normAdvice">The advice after a non-finite gradient norm.</param>
    public static double Run(Tensor loss, OptimizerHelper optimizer, nn.Module module, double maxGradNorm, int step,
                             string what, string lossAdvice, string normAdvice)
    {
        double value = loss.item<float>();
        if (!double.IsFinite(value))
            throw new TrainingDivergedException($"{what} diverged at step {step + 1}: the loss is {value}. {lossAdvice}");
        optimizer.zero_grad();
        loss.backward();
        if (maxGradNorm > 0)
        {
            double norm = nn.utils.clip_grad_norm_(module.parameters().Where(p => p.requires_grad).ToArray(), maxGradNorm);
            if (!double.IsFinite(norm))
                throw new TrainingDivergedException($"{what} diverged at step {step + 1}: the gradient norm is {norm}. {normAdvice}");
        }
        optimizer.step();
        return value;
    }
}
