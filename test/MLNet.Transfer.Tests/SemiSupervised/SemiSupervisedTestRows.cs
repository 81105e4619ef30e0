using MLNet.Transfer.Training.SemiSupervised;

namespace MLNet.Transfer.Tests.SemiSupervised;

/// <summary>Unlabelled rows: the text in the default text column.</summary>
internal sealed class UnlabelledRow
{
    public string Text { get; set; } = "";
}

/// <summary>A row whose only text column is not named Text.</summary>
internal sealed class BodyRow
{
    public string Body { get; set; } = "";
}

/// <summary>Collects round reports on the reporting thread (Progress&lt;T&gt; would post them later).</summary>
internal sealed class SyncRounds(Action<SemiSupervisedRound> report) : IProgress<SemiSupervisedRound>
{
    public void Report(SemiSupervisedRound value) => report(value);
}
