using MLNet.Transfer.Tests.MLNetIntegration;
using MLNet.Transfer.Tests.Reliability;

namespace MLNet.Transfer.Tests;

/// <summary>
/// Entry point of the test assembly when run as a program (the test host ignores it): tests that need a fresh
/// process run <c>dotnet MLNet.Transfer.Tests.dll &lt;command&gt; ...</c> through <see cref="ChildProcess"/>.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        try
        {
            return args.FirstOrDefault() switch
            {
                ChildCommands.ScoreModel => ChildCommands.RunScoreModel(args[1], args[2]),
                ChildCommands.ScoreTexts => ChildCommands.RunScoreTexts(args[1], args[2], args[3]),
                ChildCommands.ScoreSentences => ChildCommands.RunScoreSentences(args[1], args[2], args[3]),
                ChildCommands.ScoreSentencesReportingLibTorch => ChildCommands.RunScoreSentencesReportingLibTorch(args[1], args[2], args[3]),
                CheckpointChildCommands.FineTune => CheckpointChildCommands.RunFineTune(args[1], args[2]),
                CheckpointChildCommands.SaveLoop => CheckpointChildCommands.RunSaveLoop(args[1]),
                Encoders.EmbeddedModelConversionTests.FirstLoad => Encoders.EmbeddedModelConversionTests.RunFirstLoad(),
                _ => Usage(),
            };
        }
        catch (Exception e)
        {
            Console.Error.WriteLine(e);
            return 2;
        }
    }

    private static int Usage()
    {
        Console.Error.WriteLine($"usage: MLNet.Transfer.Tests {ChildCommands.ScoreModel} <model.zip> <output.txt>");
        return 64;
    }
}
