namespace MLNet.Transfer.Benchmarks.Support;

/// <summary>Comparing two sets of vectors (ours and the reference's).</summary>
internal static class Vectors
{
    /// <summary>Smallest cosine similarity between corresponding vectors.</summary>
    public static double MinCosine(float[][] a, float[][] b)
    {
        double min = 1;
        for (int i = 0; i < a.Length; i++) min = Math.Min(min, Cosine(a[i], b[i]));
        return min;
    }

    /// <summary>Cosine similarity of two vectors.</summary>
    public static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int d = 0; d < a.Length; d++)
        {
            dot += (double)a[d] * b[d];
            na += (double)a[d] * a[d];
            nb += (double)b[d] * b[d];
        }
        return dot / Math.Sqrt(na * nb);
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
