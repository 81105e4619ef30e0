using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Training;

/// <summary>
/// TorchSharp's AdamW (decoupled weight decay, no AMSGrad) with the same update, state and checkpoint format, but
/// with every native Scalar held until its call returns. TorchSharp's own step passes numbers as implicit Scalars
/// that the GC's finalizer may free mid-call (see <see cref="Models.Scalars"/>); under load that crashed training.
/// fp32 parameters on the CPU take <see cref="FusedAdamW"/>'s single-pass update of the same arithmetic.
/// </summary>
internal sealed class ScalarSafeAdamW : AdamW
{
    /// <summary>One optimizer group per <see cref="ParameterGroup"/>, each with its peak rate and weight decay.</summary>
    public ScalarSafeAdamW(IEnumerable<ParameterGroup> groups, double lr)
        : base(groups.Select(g => new ParamGroup(g.Parameters, lr: g.PeakLearningRate, weight_decay: g.WeightDecay)), lr) { }

    /// <summary>A single group of <paramref name="parameters"/>.</summary>
    public ScalarSafeAdamW(IEnumerable<Parameter> parameters, double lr, double weightDecay)
        : base(parameters, lr, weight_decay: weightDecay) { }

    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var options = (Options)group.Options;
        double lr = options.LearningRate!.Value, beta1 = options.beta1!.Value, beta2 = options.beta2!.Value;
        using var keep = (1 - lr * options.weight_decay!.Value).ToScalar();
        using var beta1Scalar = beta1.ToScalar();
        using var beta2Scalar = beta2.ToScalar();
        using var oneMinusBeta1 = (1 - beta1).ToScalar();
        using var oneMinusBeta2 = (1 - beta2).ToScalar();
        using var eps = options.eps!.Value.ToScalar();
        using var one = 1.ToScalar();
        foreach (var param in group.Parameters)
        {
            var grad = param.grad;
            if (grad is null) continue;
            var state = (State)_state[param.Handle];
            state.step += 1;
            if (FusedAdamW.Applies(param, grad, state.exp_avg, state.exp_avg_sq))
            {
                using var noGrad = no_grad();
                FusedAdamW.Update(param, grad, state.exp_avg, state.exp_avg_sq, new FusedAdamW.Constants(
                    (float)(1 - lr * options.weight_decay!.Value), (float)beta1, (float)(1 - beta1), (float)beta2, (float)(1 - beta2),
                    (float)Math.Sqrt(1 - Math.Pow(beta2, state.step)), (float)options.eps!.Value, (float)(-lr / (1 - Math.Pow(beta1, state.step)))));
                continue;
            }
            param.mul_(keep);
            state.exp_avg.mul_(beta1Scalar).add_(grad, oneMinusBeta1);
            state.exp_avg_sq.mul_(beta2Scalar).addcmul_(grad, grad, oneMinusBeta2);
            using var correction2 = Math.Sqrt(1 - Math.Pow(beta2, state.step)).ToScalar();
            using var stepSize = (-lr / (1 - Math.Pow(beta1, state.step))).ToScalar();
            var denominator = state.exp_avg_sq.sqrt().div_(correction2).add_(eps, one);
            param.addcdiv_(state.exp_avg, denominator, stepSize);
        }
    }, closure);
}
