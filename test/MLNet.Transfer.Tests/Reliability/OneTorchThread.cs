using static TorchSharp.torch;

namespace MLNet.Transfer.Tests.Reliability;

/// <summary>
/// Runs the reliability tests with one LibTorch intra-op thread, restoring the previous count afterwards. They check
/// correctness, not speed, and on a 2-core machine shared with another process LibTorch's spinning intra-op threads
/// make tiny-model forwards 10–20× slower (measured: 10,000 fuzz texts 30 s → 3 s per pass).
/// </summary>
[SetUpFixture]
public sealed class OneTorchThread
{
    private int _previous;

    [OneTimeSetUp]
    public void UseOneThread()
    {
        _previous = get_num_threads();
        set_num_threads(1);
    }

    [OneTimeTearDown]
    public void Restore() => set_num_threads(_previous);
}
