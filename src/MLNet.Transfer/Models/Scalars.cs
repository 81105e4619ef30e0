using TorchSharp;
using static TorchSharp.torch;

namespace MLNet.Transfer.Models;

/// <summary>
/// Tensor operations with a number, made safe against a TorchSharp hazard: a number passed where TorchSharp wants a
/// <see cref="Scalar"/> (and <c>a + b</c>, which passes alpha = 1 that way) becomes a native Scalar that nothing keeps
/// alive during the native call, so the GC's finalizer thread can free it mid-operation. Under load that crashed the
/// test host ("Expected false to be true ... toFloat at c10/core/Scalar.h" in <c>a + b</c>). Every Scalar here is
/// either shared and never collected, or held by a <c>using</c> until the call returns. Library code uses these
/// instead of operators or methods that take a number.
/// </summary>
internal static class Scalars
{
    // Native Scalars are immutable, so one instance serves every thread.
    private static readonly Scalar One = 1.ToScalar();

    /// <summary><paramref name="a"/> + <paramref name="b"/>.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary><paramref name="a"/> + <paramref name="value"/>.</summary>
    public static Tensor Plus(this Tensor a, double value) => With(value.ToScalar(), s => a.add(s, One));

    /// <summary><paramref name="a"/> += <paramref name="b"/>, in place.</summary>
    public static Tensor PlusInPlace(this Tensor a, Tensor b) => a.add_(b, One);

    /// <summary><paramref name="a"/> × <paramref name="value"/>.</summary>
    public static Tensor Times(this Tensor a, double value) => With(value.ToScalar(), a.mul);

    /// <summary><paramref name="a"/> ×= <paramref name="value"/>, in place.</summary>
    public static Tensor TimesInPlace(this Tensor a, double value) => With(value.ToScalar(), a.mul_);

    /// <summary><paramref name="a"/> / <paramref name="value"/>.</summary>
    public static Tensor DividedBy(this Tensor a, double value) => With(value.ToScalar(), s => a.div(s));

    /// <summary>Integer <paramref name="a"/> − <paramref name="value"/> (stays an integer tensor).</summary>
    public static Tensor Minus(this Tensor a, long value) => With(value.ToScalar(), a.sub);

    /// <summary>max(<paramref name="a"/>, <paramref name="value"/>) element-wise.</summary>
    public static Tensor AtLeast(this Tensor a, double value) => With(value.ToScalar(), a.clamp_min);

    /// <summary>Integer max(<paramref name="a"/>, <paramref name="value"/>) element-wise.</summary>
    public static Tensor AtLeast(this Tensor a, long value) => With(value.ToScalar(), a.clamp_min);

    /// <summary><paramref name="a"/> with <paramref name="value"/> where <paramref name="mask"/> is true.</summary>
    public static Tensor FilledWhere(this Tensor a, Tensor mask, double value) => With(value.ToScalar(), s => a.masked_fill(mask, s));

    /// <summary>Boolean <paramref name="a"/> == <paramref name="value"/>.</summary>
    public static Tensor EqualTo(this Tensor a, long value) => With(value.ToScalar(), a.eq);

    /// <summary>Boolean <paramref name="a"/> != <paramref name="value"/>.</summary>
    public static Tensor NotEqualTo(this Tensor a, long value) => With(value.ToScalar(), a.ne);

    /// <summary>Boolean <paramref name="a"/> &gt; <paramref name="value"/>.</summary>
    public static Tensor GreaterThan(this Tensor a, double value) => With(value.ToScalar(), a.gt);

    /// <summary>0, 1, …, <paramref name="count"/> − 1 as Int64.</summary>
    public static Tensor Range(long count, Device device) => With(count.ToScalar(), s => arange(s, ScalarType.Int64, device));

    /// <summary>An Int64 tensor of <paramref name="shape"/> filled with <paramref name="value"/>.</summary>
    public static Tensor Full(long[] shape, long value, Device device) => With(value.ToScalar(), s => full(shape, s, ScalarType.Int64, device));

    /// <summary>Runs <paramref name="op"/> with <paramref name="scalar"/> held alive until it returns, then frees it.</summary>
    private static Tensor With(Scalar scalar, Func<Scalar, Tensor> op)
    {
        using (scalar) return op(scalar);
    }
}
