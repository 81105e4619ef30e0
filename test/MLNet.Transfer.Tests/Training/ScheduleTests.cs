using MLNet.Transfer.Training;

namespace MLNet.Transfer.Tests.Training;

[Category("Unit")]
public class ScheduleTests
{
    [Test]
    public void LinearWarmupThenDecayHasExactValues()
    {
        // 10 steps, 20% warm-up = 2 steps: 0, 0.5, then (10 - s)/8
        double[] expected = [0, 0.5, 1, 7 / 8.0, 6 / 8.0, 5 / 8.0, 4 / 8.0, 3 / 8.0, 2 / 8.0, 1 / 8.0];
        for (int s = 0; s < 10; s++)
            Assert.That(LearningRateSchedule.Multiplier(ScheduleKind.LinearWarmupDecay, s, 10, 0.2), Is.EqualTo(expected[s]).Within(1e-12), $"step {s}");
    }

    [Test]
    public void SlantedTriangularFollowsUlmfitEquation()
    {
        // T = 100, cut_frac = 0.1, ratio = 32 (Howard & Ruder 2018): cut = 10
        double At(int t) => LearningRateSchedule.Multiplier(ScheduleKind.SlantedTriangular, t, 100, 0.1, 32);
        Assert.That(At(0), Is.EqualTo(1 / 32.0).Within(1e-12));
        Assert.That(At(5), Is.EqualTo((1 + 0.5 * 31) / 32).Within(1e-12));
        Assert.That(At(10), Is.EqualTo(1).Within(1e-12));
        // after the cut: p = 1 - (t - cut) / (cut * (1/cut_frac - 1)) = 1 - (t - 10) / 90
        Assert.That(At(55), Is.EqualTo((1 + 0.5 * 31) / 32).Within(1e-12));
        Assert.That(At(100), Is.EqualTo(1 / 32.0).Within(1e-12));
    }

    [Test]
    public void ConstantScheduleWarmsUpThenHolds()
    {
        Assert.That(LearningRateSchedule.Multiplier(ScheduleKind.Constant, 1, 10, 0.2), Is.EqualTo(0.5));
        Assert.That(LearningRateSchedule.Multiplier(ScheduleKind.Constant, 9, 10, 0.2), Is.EqualTo(1));
    }
}
