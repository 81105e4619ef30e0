namespace MLNet.Transfer.MLNetIntegration;

/// <summary>
/// One axis of a hyperparameter search over an Options class: a name, the values to try, and how to set one on a
/// fresh options object, e.g. <c>SweepParameter.Of&lt;FineTuneTransformerOptions, double&gt;("LearningRate", [5e-5, 1e-4], (o, v) =&gt; o.LearningRate = v)</c>.
/// (Where Microsoft.ML.AutoML is available, the same axes map to its SearchSpace: one Choice per parameter.)
/// </summary>
/// <typeparam name="TOptions">The options type being swept.</typeparam>
/// <param name="Name">Shown in the results table.</param>
/// <param name="Values">Candidate values (at least one).</param>
/// <param name="Apply">Sets value number i on an options object.</param>
public sealed record SweepParameter<TOptions>(string Name, IReadOnlyList<object> Values, Action<TOptions, object> Apply);

/// <summary>Typed construction of <see cref="SweepParameter{TOptions}"/>.</summary>
public static class SweepParameter
{
    /// <summary>An axis with typed values and setter.</summary>
    public static SweepParameter<TOptions> Of<TOptions, TValue>(string name, IReadOnlyList<TValue> values, Action<TOptions, TValue> set)
        where TValue : notnull
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (values.Count == 0) throw new ArgumentException($"Sweep parameter '{name}' needs at least one value.", nameof(values));
        return new(name, values.Cast<object>().ToArray(), (o, v) => set(o, (TValue)v));
    }
}
