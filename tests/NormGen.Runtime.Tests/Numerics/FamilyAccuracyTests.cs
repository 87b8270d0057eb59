using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Runtime.Tests.Numerics;

// Layers for the accuracy goal of issue 3, in the shapes PyTorch was measured on (pytorch-norms.md §5: LN (64, 4096),
// GN (4, 32, 64, 64) with G = 8). eps = 0 and no affine make the output y = (x − mean)·rstd (RMSNorm: x·rstd), so
// the variance a layer used can be read back from its output; InstanceNorm's momentum 1 makes running_var the
// (unbiased) variance itself.

/// <summary>LayerNorm over 4096 features, eps 0, no affine.</summary>
[LayerNorm(4096, ElementwiseAffine = false, Eps = 0)] public partial class AccLn4096 { }

/// <summary>RMSNorm over 4096 features, eps 0, no weight.</summary>
[RmsNorm(4096, ElementwiseAffine = false, Eps = 0)] public partial class AccRms4096 { }

/// <summary>GroupNorm(8, 32) over (N, 32, 64, 64), eps 0, no affine.</summary>
[GroupNorm(8, 32, 64, 64, Affine = false, Eps = 0)] public partial class AccGn32x64x64 { }

/// <summary>InstanceNorm2d(8) over (N, 8, 64, 64), eps 0, running statistics with momentum 1.</summary>
[InstanceNorm2d(8, 64, 64, TrackRunningStats = true, Momentum = 1, Eps = 0)] public partial class AccIn8x64x64 { }

/// <summary>
/// The accuracy goal of issue 3: on float32 data with mean 1e4 and std 1 the variance used by every layer (LayerNorm,
/// GroupNorm, InstanceNorm; the mean square for RMSNorm) is within 1e-6 relative of a float64 reference computed from
/// the same float32 values; and a side-by-side table with PyTorch's CPU figures.
/// </summary>
/// <remarks>
/// <para><b>How the variance is observed.</b> With eps = 0 and no affine each layer outputs y_i = (x_i − m')·r' with
/// r' = 1/√v', where m' and v' are the mean and variance it computed (RMSNorm: m' = 0, v' = its mean square). Per
/// statistics slot the test computes in double the reference mean m and variance v of the float32 inputs and
/// ŷ_i = (x_i − m)/√v, and fits ρ = Σ y_i·ŷ_i / Σ ŷ_i². In exact arithmetic
/// Σ (x_i − m')·ŷ_i = Σ (x_i − m)·ŷ_i − (m' − m)·Σ ŷ_i = Σ (x_i − m)·ŷ_i because Σ ŷ_i = 0, so ρ = r'/r = √(v/v') whatever
/// the layer's mean error, and the <i>implied variance</i> v/ρ² equals v'.</para>
/// <para><b>What the output's rounding adds.</b> The layers compute y = fl(fl(fl(x − s)·S) + O) (or with one fused
/// rounding) with a float shift s near m', S = fl32(r') and a small offset O = fl32(−(m' − s)·r'), |O| ≤ ulp(s)·r'/2
/// (≈ 5e-4 at mean 1e4, std 1). The subtraction, the product and the sum each round by ≤ u = 2^-24 relative to
/// |y_i| + |O|, and S differs from r' by ≤ u. In ρ the per-element errors enter weighted by ŷ_i, the constant O
/// cancels (Σ ŷ_i = 0), and Σ |O|·|ŷ_i| / Σ ŷ_i² ≤ 1e-3; so ρ = (r'/r)·(1 + ξ) with |ξ| ≤ 4u·(1 + 1e-3), and the implied
/// variance differs from v' by a relative ≤ 8u·(1 + 1e-3) + O(u²) &lt; <see cref="OutputPathBound"/> = 9u ≈ 5.4e-7.
/// The test asserts an implied error ≤ 1e-6 − 9u, which proves |v'/v − 1| ≤ 1e-6 for the variance itself. (The S
/// rounding alone can make the implied figure up to 2u ≈ 1.2e-7 for a layer whose v' is exact: that is the floor of what this
/// observation can resolve.) The float64 reference is accurate to ~1e-15 (see <see cref="ReferenceFamily"/>), and the
/// double sums of the fit (4096–16384 terms) to ~1e-12: both negligible.</para>
/// <para>PyTorch's figures (pytorch-norms.md §5, torch 1.13 CPU, same shapes and data) are the error of the variance
/// implied by the rstd it returns, i.e. of v' alone; ours include the output's rounding, so they are upper bounds.</para>
/// </remarks>
public class FamilyAccuracyTests
{
    /// <summary>The issue's bound on the relative error of the variance.</summary>
    public const double Goal = 1e-6;

    /// <summary>2^-24, the unit roundoff of float32.</summary>
    public const double U = 1.0 / (1 << 24);

    /// <summary>Bound on what the output's float32 rounding adds to the implied variance (derivation in the remarks).</summary>
    public const double OutputPathBound = 9 * U;

    private readonly ITestOutputHelper _output;

    public FamilyAccuracyTests(ITestOutputHelper output) => _output = output;

    /// <summary>One layer of the measurement: how to run it on an input, its statistics slots, PyTorch's figures.</summary>
    private sealed record Subject(string Name, string Shape, int Batch, int SampleSize, int SlotLength, bool Centered, Func<float[], float[]> Run, string PyTorch);

    private static readonly Subject[] Subjects =
    [
        new("LayerNorm", "(64, 4096)", 64, AccLn4096.SampleSize, 4096, true, Run(new AccLn4096().Forward),
            "2.0e-7 / 6.2e-6 / 9.1e-5 (float Welford)"),
        new("GroupNorm", "(4, 32, 64, 64), G=8", 4, AccGn32x64x64.SampleSize, 4 * 4096, true, Run(new AccGn32x64x64().Forward),
            "NCHW 1.6e-7 / 3.4e-6 / 3.5e-5; NHWC 8.8e-7 / 2.0 / 1.8e+2"),
        new("InstanceNorm2d", "(4, 8, 64, 64)", 4, AccIn8x64x64.SampleSize, 4096, true, Run(new AccIn8x64x64().Forward),
            "not measured (runs batch_norm on (1, N*C, H, W))"),
        new("RMSNorm (mean square)", "(64, 4096)", 64, AccRms4096.SampleSize, 4096, false, Run(new AccRms4096().Forward),
            "not in torch 1.13"),
    ];

    public static TheoryData<string> SubjectNames() => new(Subjects.Select(s => s.Name));

    /// <summary>The issue's goal, per layer, at mean 1e4 and std 1: every slot's implied variance within 1e-6 − 9u.</summary>
    [Theory]
    [MemberData(nameof(SubjectNames))]
    public void VarianceAtMean1e4IsWithin1e6OfFloat64(string name)
    {
        Subject subject = Subjects.Single(s => s.Name == name);
        (double worst, int slot) = Measure(subject, 1e4, seed: 42);
        _output.WriteLine($"{name} {subject.Shape}: max relative error of the implied variance {worst:E2} (slot {slot}); asserted ≤ {Goal - OutputPathBound:E2}");
        Assert.True(worst <= Goal - OutputPathBound, $"{name}: implied variance off by {worst:E2} (slot {slot}) at mean 1e4, std 1; the goal needs ≤ {Goal - OutputPathBound:E2}.");
    }

    /// <summary>
    /// Ours side by side with PyTorch 1.13's CPU kernels (pytorch-norms.md §5) at offsets 0, 1e3 and 1e4, std 1, printed
    /// to the test output; ours must meet the goal at every offset.
    /// </summary>
    [Fact]
    public void SideBySideWithPyTorch()
    {
        double[] offsets = [0, 1e3, 1e4];
        var table = new StringBuilder();
        table.AppendLine("Relative error of the variance used, float32 data N(offset, 1), eps = 0, max over statistics slots.");
        table.AppendLine("NormGen: implied by the outputs (an upper bound, see remarks). PyTorch 1.13 CPU: implied by the returned rstd (pytorch-norms.md §5).");
        table.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{"layer",-22} {"shape",-22} {"offset 0",10} {"1e3",10} {"1e4",10}   PyTorch (offset 0 / 1e3 / 1e4)"));
        var failures = new List<string>();
        foreach (Subject subject in Subjects)
        {
            var cells = new List<string>();
            foreach (double offset in offsets)
            {
                (double worst, int slot) = Measure(subject, offset, seed: 7);
                cells.Add(worst.ToString("0.0E+0", CultureInfo.InvariantCulture));
                if (!(worst <= Goal - OutputPathBound))
                {
                    failures.Add($"{subject.Name} at offset {offset}: {worst:E2} (slot {slot})");
                }
            }

            table.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{subject.Name,-22} {subject.Shape,-22} {cells[0],10} {cells[1],10} {cells[2],10}   {subject.PyTorch}"));
        }

        table.Append(string.Create(CultureInfo.InvariantCulture, $"Goal (issue 3): < {Goal:0E+0}; asserted on the implied figure: ≤ {Goal - OutputPathBound:0.00E+0}."));
        _output.WriteLine(table.ToString());
        Assert.True(failures.Count == 0, "Over the goal: " + string.Join("; ", failures));
    }

    /// <summary>
    /// The layers compute each slot's statistics in one pass, shifted by the mean of the slot's first values, and redo a
    /// slot in two passes when that shift is farther than a standard deviation from the mean. Here the first 16 values of
    /// every slot sit <paramref name="outlier"/> above the others (N(1e4, 1)): a little (one pass, the shift inside the
    /// bound), far (the shift hundreds of standard deviations off: two passes). The goal holds either way.
    /// </summary>
    [Theory]
    [InlineData(0.5)]
    [InlineData(3)]
    [InlineData(1000)]
    [InlineData(-30000)]
    public void VarianceKeepsItsAccuracyWhenASlotStartsAwayFromItsMean(double outlier)
    {
        foreach (Subject subject in Subjects.Where(s => s.Centered))
        {
            float[] x = Normal(new Random(5), subject.Batch * subject.SampleSize, 1e4);
            for (int start = 0; start < x.Length; start += subject.SlotLength)
            {
                for (int i = start; i < start + 16; i++)
                {
                    x[i] = (float)(x[i] + outlier);
                }
            }

            (double worst, int slot) = WorstImpliedError(x, subject.Run(x), subject.SlotLength, centered: true);
            _output.WriteLine($"{subject.Name}, first 16 values of each slot {outlier} higher: max relative error of the implied variance {worst:E2} (slot {slot})");
            Assert.True(worst <= Goal - OutputPathBound, $"{subject.Name}: implied variance off by {worst:E2} (slot {slot}) with the first values {outlier} higher.");
        }
    }

    /// <summary>
    /// InstanceNorm also shows its variance directly: with momentum 1, running_var = fl32(mean over the batch of the
    /// unbiased per-sample variance), so for N = 1 it is that instance's variance rounded once to float32 (≤ u); the
    /// running_mean likewise. Both within 1e-6 − u of float64 at mean 1e4, std 1.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public void InstanceNormRunningStatisticsShowTheVarianceDirectly(int batch)
    {
        var layer = new AccIn8x64x64();
        float[] x = Normal(new Random(99 + batch), batch * AccIn8x64x64.SampleSize, 1e4);
        layer.Forward(x, new float[x.Length]);
        ReferenceFamily.SlotMoments moments = ReferenceFamily.Moments(x, 4096);
        ReadOnlySpan<float> runningMean = TensorExtensions.AsSpan(layer.RunningMean);
        ReadOnlySpan<float> runningVar = TensorExtensions.AsSpan(layer.RunningVar);
        for (int c = 0; c < AccIn8x64x64.NumFeatures; c++)
        {
            double variance = Enumerable.Range(0, batch).Average(n => moments.UnbiasedVar[n * AccIn8x64x64.NumFeatures + c]);
            double mean = Enumerable.Range(0, batch).Average(n => moments.Mean[n * AccIn8x64x64.NumFeatures + c]);
            double varError = Math.Abs(runningVar[c] / variance - 1);
            double meanError = Math.Abs(runningMean[c] / mean - 1);
            _output.WriteLine($"N={batch} channel {c}: running_var relative error {varError:E2}, running_mean {meanError:E2}");
            Assert.True(varError <= Goal - U, $"channel {c}: running_var {runningVar[c]:R} vs float64 {variance:R} ({varError:E2})");
            Assert.True(meanError <= Goal - U, $"channel {c}: running_mean {runningMean[c]:R} vs float64 {mean:R} ({meanError:E2})");
        }

        Assert.Equal(0L, layer.NumBatchesTracked);
    }

    /// <summary>Runs the subject on N(offset, 1) data; returns the worst slot's relative error of the implied variance.</summary>
    private static (double Worst, int Slot) Measure(Subject subject, double offset, int seed)
    {
        float[] x = Normal(new Random(seed), subject.Batch * subject.SampleSize, offset);
        float[] y = subject.Run(x);
        return WorstImpliedError(x, y, subject.SlotLength, subject.Centered);
    }

    /// <summary>Per slot: v/ρ² against v (see remarks); the maximum relative difference and where it is.</summary>
    public static (double Worst, int Slot) WorstImpliedError(float[] x, float[] y, int slotLength, bool centered)
    {
        double[] mean, variance;
        if (centered)
        {
            ReferenceFamily.SlotMoments moments = ReferenceFamily.Moments(x, slotLength);
            mean = moments.Mean;
            variance = moments.BiasedVar;
        }
        else
        {
            variance = ReferenceFamily.MeanSquares(x, slotLength);
            mean = new double[variance.Length];
        }

        double worst = 0;
        int worstSlot = -1;
        for (int s = 0; s < variance.Length; s++)
        {
            double rstd = 1 / Math.Sqrt(variance[s]);
            double cross = 0, squares = 0;
            for (int i = s * slotLength; i < (s + 1) * slotLength; i++)
            {
                double yHat = (x[i] - mean[s]) * rstd;
                cross += y[i] * yHat;
                squares += yHat * yHat;
            }

            double rho = cross / squares;
            double implied = variance[s] / (rho * rho);
            double error = Math.Abs(implied / variance[s] - 1);
            if (!(error <= worst))
            {
                worst = error;
                worstSlot = s;
            }
        }

        return (worst, worstSlot);
    }

    /// <summary>N(offset, 1) drawn in double and rounded to float32, as in the PyTorch measurement.</summary>
    private static float[] Normal(Random rng, int length, double offset)
    {
        var x = new float[length];
        for (int i = 0; i < length; i++)
        {
            x[i] = (float)(offset + TestData.Normal(rng));
        }

        return x;
    }

    private static Func<float[], float[]> Run(SpanForward forward) => x =>
    {
        var y = new float[x.Length];
        forward(x, y);
        return y;
    };
}
