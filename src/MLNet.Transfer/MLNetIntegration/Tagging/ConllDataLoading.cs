using Microsoft.ML;
using MLNet.Transfer.Text.Tagging;

namespace MLNet.Transfer.MLNetIntegration;

/// <summary>One sentence as an ML.NET row: the words and their tags (vectors of text of equal length).</summary>
public sealed class TaggedSentenceRow
{
    /// <summary>The words.</summary>
    public string[] Tokens { get; set; } = [];

    /// <summary>One tag per word.</summary>
    public string[] Tags { get; set; } = [];
}

/// <summary>Loads CoNLL-style tagging files as an <see cref="IDataView"/> with a Tokens and a Tags column.</summary>
internal static class ConllDataLoading
{
    /// <summary>The sentences as rows (Tokens, Tags: variable-length vectors of text).</summary>
    public static IDataView Load(MLContext mlContext, IEnumerable<TaggedSentence> sentences) =>
        mlContext.Data.LoadFromEnumerable(sentences.Select(s => new TaggedSentenceRow { Tokens = s.Tokens, Tags = s.Tags }).ToList());
}
