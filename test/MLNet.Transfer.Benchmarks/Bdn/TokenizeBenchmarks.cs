using BenchmarkDotNet.Attributes;
using MLNet.Transfer.Benchmarks.Comparisons;

namespace MLNet.Transfer.Benchmarks.Bdn;

/// <summary>Our WordPiece tokenizer against FastBertTokenizer on the first 2,000 corpus sentences, same vocabulary and budget.</summary>
public class TokenizeBenchmarks
{
    private string[] _sentences = [];
    private FastBertTokenizer.BertTokenizer? _fast;

    /// <summary>Loads the sentences and both tokenizers.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _sentences = [.. BdnRunner.Context.Corpus.Sentences.Take(2000)];
        _fast = TokenizeComparison.LoadFastBert();
    }

    /// <summary>Ours: BertWordPieceTokenizer.Encode for each sentence.</summary>
    [Benchmark]
    public int Ours()
    {
        var tokenizer = BdnRunner.Context.Encoder.Tokenizer;
        int total = 0;
        foreach (string s in _sentences) total += tokenizer.Encode(s, TokenizeComparison.MaxTokens).Length;
        return total;
    }

    /// <summary>FastBertTokenizer.Encode for each sentence.</summary>
    [Benchmark(Baseline = true)]
    public int FastBert()
    {
        int total = 0;
        foreach (string s in _sentences) total += _fast!.Encode(s, TokenizeComparison.MaxTokens).InputIds.Length;
        return total;
    }
}
