namespace MLNet.Transfer.Plots;

/// <summary>One point of a learning curve: the mean of repeated runs at <paramref name="X"/> and their standard deviation.</summary>
/// <param name="X">Position on the x axis (e.g. number of training examples); must be &gt; 0 on a log2 axis.</param>
/// <param name="Mean">Mean of the metric over runs; NaN or infinite points are left out of the plot.</param>
/// <param name="Std">Standard deviation over runs (drawn as a ±std band); 0 or NaN draws no band at this point.</param>
public sealed record CurvePoint(double X, double Mean, double Std);

/// <summary>A named line of a learning curve plot.</summary>
/// <param name="Name">Legend text (e.g. "fine-tune" or "features + L-BFGS").</param>
/// <param name="Points">The points, in any order (they are drawn sorted by X).</param>
public sealed record CurveSeries(string Name, IReadOnlyList<CurvePoint> Points);
