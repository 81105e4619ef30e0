namespace MLNet.Transfer.Benchmarks.Support;

/// <summary>Comparing two sets of vectors (ours and the reference's).</summary>
internal static class Vectors
{
    /// <summary>Smallest cosine similarity between corresponding vectors.</summary>
    public static double MinCosine(float[][] a, float[][] b)
    {
        double min = 1;
        for (int i = 0; i < a.Length; i++)
        {
            double dot = 0, na = 0, nb = 0;
            for (int d = 0; d < a[i].Length; d++)
            {
                dot += (double)a[i][d] * b[i][d];
                na += (double)a[i][d] * a[i][d];
                nb += (double)b[i][d] * b[i][d];
            }
            min = Math.Min(min, dot / Math.Sqrt(na * nb));
        }
        return min;
    }

    /// <summary>Largest absolute element difference between two sets of vectors.</summary>
    public static double MaxAbsDifference(float[][] a, float[][] b)
    {
        double max = 0;
        for (int i = 0; i < a.Length; i++)
            for (int d = 0; d < a[i].Length; d++)
                max = Math.Max(max, Math.Abs(a[i][d] - b[i][d]));
        return max;
    }
}
