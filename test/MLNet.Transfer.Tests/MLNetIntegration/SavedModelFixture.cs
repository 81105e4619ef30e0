using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.Transfer.MLNetIntegration;

namespace MLNet.Transfer.Tests.MLNetIntegration;

/// <summary>
/// The inputs and output columns of the committed model zips in test/fixtures/saved-models (written by an earlier
/// release, read back by <see cref="SavedModelFixtureTests"/>). Shared with the generator there, which compiles this file,
/// so the rows that made the expected outputs are the rows the test scores.
/// </summary>
public static class SavedModelFixture
{
    /// <summary>A tiny WordPiece vocabulary: the special tokens and every word of the rows below.</summary>
    public static readonly string[] Vocabulary =
    [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "good", "bad", "lovely", "boring", "film", "and", "the", "plot", "was",
        "great", "awful", "we", "met", "bob", "in", "london", "paris", "alice", "visited", "today", "##s", ".", "!", "sport", "news",
    ];

    /// <summary>Rows for the sentence models: text, a binary label, a topic and a rating.</summary>
    public sealed class TextRow
    {
        public string Text { get; set; } = "";
        public bool Label { get; set; }
        public string Topic { get; set; } = "";
        public float Rating { get; set; }
    }

    public static IDataView TextRows(MLContext ml) => ml.Data.LoadFromEnumerable(Enumerable.Range(0, 24).Select(i => new TextRow
    {
        Text = (i % 3) switch
        {
            0 => $"a good and lovely film{(i % 2 == 0 ? " !" : ".")}",
            1 => $"the plot was awful and boring{(i % 4 == 1 ? " !" : ".")}",
            _ => i % 2 == 0 ? "sport news today" : "the film was great",
        },
        Label = i % 3 != 1,
        Topic = (i % 3) switch { 0 => "praise", 1 => "complaint", _ => "other" },
        Rating = i % 3 == 1 ? 1 : 4 + i % 2,
    }).ToList());

    public static IDataView TaggedRows(MLContext ml) => ml.Data.LoadFromTaggedSentences(Enumerable.Range(0, 12).Select(i => i % 2 == 0
        ? new MLNet.Transfer.Text.Tagging.TaggedSentence(["we", "met", "bob", "in", "london"], ["O", "O", "B-person", "O", "B-location"])
        : new MLNet.Transfer.Text.Tagging.TaggedSentence(["alice", "visited", "paris", "today", "!"], ["B-person", "O", "B-location", "O", "O"])));

    /// <summary>
    /// Every row's value of each column as floats: a scalar becomes one value, a vector its values, a key its index
    /// (1-based, as ML.NET stores it), a Boolean 0/1.
    /// </summary>
    public static Dictionary<string, float[][]> Columns(IDataView scored, IEnumerable<string> names)
    {
        var result = new Dictionary<string, float[][]>();
        foreach (string name in names)
        {
            var column = scored.Schema[name];
            var rows = new List<float[]>();
            using var cursor = scored.GetRowCursor([column]);
            Func<float[]> read = column.Type switch
            {
                NumberDataViewType t when t.RawType == typeof(float) => Getter<float>(cursor, column, v => [v]),
                BooleanDataViewType => Getter<bool>(cursor, column, v => [v ? 1 : 0]),
                KeyDataViewType => Getter<uint>(cursor, column, v => [v]),
                VectorDataViewType { ItemType: NumberDataViewType } => Getter<VBuffer<float>>(cursor, column, v => v.DenseValues().ToArray()),
                VectorDataViewType { ItemType: KeyDataViewType } => Getter<VBuffer<uint>>(cursor, column, v => v.DenseValues().Select(k => (float)k).ToArray()),
                _ => throw new NotSupportedException($"Column '{name}' has type {column.Type}."),
            };
            while (cursor.MoveNext()) rows.Add(read());
            result[name] = [.. rows];
        }
        return result;
    }

    private static Func<float[]> Getter<T>(DataViewRowCursor cursor, DataViewSchema.Column column, Func<T, float[]> convert)
    {
        var getter = cursor.GetGetter<T>(column);
        return () => { T value = default!; getter(ref value); return convert(value); };
    }
}
