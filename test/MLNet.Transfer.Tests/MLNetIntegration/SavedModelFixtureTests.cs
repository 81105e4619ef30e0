using System.Text.Json;
using Microsoft.ML;

namespace MLNet.Transfer.Tests.MLNetIntegration;

/// <summary>
/// Model zips saved by an earlier release (test/fixtures/saved-models, see its README) load with this one and give the
/// outputs that release computed: users' saved models keep working across upgrades of the library and of ML.NET.
/// </summary>
[Category("Unit")]
public class SavedModelFixtureTests
{
    private static readonly string Folder = RepositoryFiles.Path("test", "fixtures", "saved-models");

    private static readonly Dictionary<string, Dictionary<string, float[][]>> Expected =
        JsonSerializer.Deserialize<Dictionary<string, Dictionary<string, float[][]>>>(File.ReadAllText(Path.Combine(Folder, "expected.json")))!;

    [TestCase("chain.zip")]
    [TestCase("multiclass.zip")]
    [TestCase("multitask.zip")]
    [TestCase("tagger.zip")]
    public void AZipSavedByTheEarlierReleaseLoadsAndScoresAsItDid(string zip)
    {
        var ml = new MLContext(seed: 1).RegisterTransferComponents();
        var model = ml.Model.Load(Path.Combine(Folder, zip), out _);
        var rows = zip == "tagger.zip" ? SavedModelFixture.TaggedRows(ml) : SavedModelFixture.TextRows(ml);
        var expected = Expected[zip];
        var actual = SavedModelFixture.Columns(model.Transform(rows), expected.Keys);
        foreach (var (column, values) in expected)
        {
            Assert.That(actual[column], Has.Length.EqualTo(values.Length), column);
            for (int row = 0; row < values.Length; row++)
                Assert.That(actual[column][row], Is.EqualTo(values[row]).Within(1e-5f), $"{zip} {column} row {row}");
        }
    }
}
