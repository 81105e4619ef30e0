using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models.Recurrent;

/// <summary>
/// One LSTM layer with DropConnect on its hidden-to-hidden weights (the "weight-dropped LSTM" of AWD-LSTM, Merity et
/// al. 2017): in training, each forward pass zeroes a random <c>p</c> share of the entries of <c>weight_hh_l0</c> (and
/// scales the rest by 1/(1 − p)); in eval the weights are used as they are. Parameter names and the i, f, g, o gate
/// layout are those of a one-layer PyTorch <c>nn.LSTM</c>. The recurrence is unrolled here, one fused matrix product
/// per step, so the dropped weights stay an ordinary differentiable tensor.
/// </summary>
public sealed class WeightDropLstm : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // field names are the checkpoint keys
    private readonly Parameter weight_ih_l0;
    private readonly Parameter weight_hh_l0;
    private readonly Parameter bias_ih_l0;
    private readonly Parameter bias_hh_l0;
#pragma warning restore IDE1006

    /// <summary>Creates a layer initialised like PyTorch's LSTM (uniform ±1/√units).</summary>
    /// <param name="inputSize">Width of the input features.</param>
    /// <param name="units">Hidden units (output width).</param>
    /// <param name="weightDropout">DropConnect probability on the hidden-to-hidden weights in training.</param>
    public WeightDropLstm(int inputSize, int units, double weightDropout) : base(nameof(WeightDropLstm))
    {
        if (weightDropout is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(weightDropout), weightDropout, "must be in [0, 1)");
        InputSize = inputSize;
        Units = units;
        WeightDropout = weightDropout;
        double bound = 1 / Math.Sqrt(units);
        weight_ih_l0 = nn.Parameter(empty(4L * units, inputSize).uniform_(-bound, bound));
        weight_hh_l0 = nn.Parameter(empty(4L * units, units).uniform_(-bound, bound));
        bias_ih_l0 = nn.Parameter(empty(4L * units).uniform_(-bound, bound));
        bias_hh_l0 = nn.Parameter(empty(4L * units).uniform_(-bound, bound));
        RegisterComponents();
    }

    /// <summary>Width of the input features.</summary>
    public int InputSize { get; }

    /// <summary>Hidden units.</summary>
    public int Units { get; }

    /// <summary>DropConnect probability on <c>weight_hh_l0</c> in training.</summary>
    public double WeightDropout { get; }

    /// <summary>
    /// The hidden-to-hidden weights this forward pass would use: a fresh DropConnect sample of the raw weights in
    /// training (when <see cref="WeightDropout"/> &gt; 0), the raw weights themselves otherwise.
    /// </summary>
    public Tensor EffectiveHiddenWeight() =>
        training && WeightDropout > 0 ? nn.functional.dropout(weight_hh_l0, WeightDropout, training: true) : weight_hh_l0.alias();

    /// <summary>Runs the layer over <paramref name="input"/> [batch, seq, inputSize] from zero states; returns [batch, seq, units].</summary>
    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        long batch = input.shape[0], steps = input.shape[1];
        var hiddenWeight = EffectiveHiddenWeight().t();
        // The input projection of every step in one product; the loop then adds only the recurrent one.
        var projected = nn.functional.linear(input, weight_ih_l0, bias_ih_l0.Plus(bias_hh_l0));
        var h = zeros(batch, Units, dtype: input.dtype, device: input.device);
        var c = zeros(batch, Units, dtype: input.dtype, device: input.device);
        var outputs = new Tensor[steps];
        for (long t = 0; t < steps; t++)
        {
            var gates = addmm(projected.select(1, t), h, hiddenWeight, beta: 1, alpha: 1);
            var sigmoids = gates.sigmoid();
            var inputGate = sigmoids.narrow(1, 0, Units);
            var forgetGate = sigmoids.narrow(1, Units, Units);
            var cellInput = gates.narrow(1, 2L * Units, Units).tanh();
            var outputGate = sigmoids.narrow(1, 3L * Units, Units);
            c = (forgetGate * c).Plus(inputGate * cellInput);
            h = outputGate * c.tanh();
            outputs[t] = h;
        }
        return stack(outputs, 1).MoveToOuterDisposeScope();
    }
}
