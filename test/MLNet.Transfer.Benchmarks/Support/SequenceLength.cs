namespace MLNet.Transfer.Benchmarks.Support;

/// <summary>A named token length for the fixed-shape cells: short ≈ 12, medium ≈ 40, long = 256 tokens.</summary>
internal sealed record SequenceLength(string Name, int Tokens)
{
    public static readonly SequenceLength Short = new("short", 12);
    public static readonly SequenceLength Medium = new("medium", 40);
    public static readonly SequenceLength Long = new("long", 256);
    public static IReadOnlyList<SequenceLength> All { get; } = [Short, Medium, Long];
}
