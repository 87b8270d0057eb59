using System;
using Xunit;

namespace NormGen.Runtime.Tests.Numerics;

/// <summary>
/// Comparisons of the family layers' float32 results with <see cref="ReferenceFamily"/> and
/// <see cref="ReferenceInstanceNorm"/>, and the tolerances they use.
/// </summary>
/// <remarks>
/// <para><b>LayerNorm, RMSNorm, GroupNorm, InstanceNorm outputs</b>: |y − y_ref| ≤ <see cref="Compare.OutputRelative"/>
/// (1e-5) · (|γ_i|·max|x̂| + |β_i|), max over the element's statistics slot (<see cref="ReferenceFamily.Result.Scale"/>),
/// for all data, including mean 1e4 with std 1e-2. The argument is the one in <see cref="Compare"/>: every input is an
/// exact float32 value; the layers centre on a float shift near the mean, so x − shift is exact (Sterbenz), the
/// statistics are summed in double, and y = (x − shift)·scale + offset (or ((x − shift)·rstd + c)·γ + β for the
/// elementwise affine of LayerNorm) commits a few roundings of relative size 2^-24 on quantities of the output scale,
/// plus the float rounding of rstd and of the affine coefficients: ≲ 10·2^-24 ≈ 6e-7 of the scale (measured over all
/// these tests at vector widths 512, 256, 128 and scalar: ≤ 2.4e-7 of the scale). 1e-5 leaves an
/// order of magnitude for reassociation (SIMD width, FMA, block order) and still catches every formula error: with std
/// down to 1e-2 in the test data eps = 1e-5 moves x̂ by 5%, biased vs unbiased variance moves it by ≈ 1/(2n) relative
/// (6.5e-4 for the largest slot, 768 elements: still 65× the tolerance), and a wrong slot (channel instead of group,
/// row instead of element, a misplaced per-channel γ) changes it by O(1). RMSNorm has no centring, so x is used as is (exact) and only the
/// multiplications round. In eval with running statistics (InstanceNorm) x − running_mean is rounded once, a relative
/// 2^-24 of |x − running_mean|, i.e. of |x̂|/rstd: the same bound.</para>
/// <para><b>LocalResponseNorm outputs</b>: |y − y_ref| ≤ <see cref="LrnRelative"/> (1e-6) · |y_ref|. Here y = x·f with
/// f = (k + α/n·Σa²)^−β a smooth function of the squares: squaring a float32 in float rounds by 2^-24 relative, the sum
/// of positive terms and k + α/n·Σ add at most 2^-24 relative to the base (in float; NormGen sums in double), the
/// power multiplies the base's relative error by β ≤ 1 and adds one rounding, the product and the final rounding to
/// float add two more: ≲ 5·2^-24 ≈ 3e-7 even for a float32 implementation like PyTorch's (NormGen, which sums and
/// raises to the power in double, measures ≤ 7.9e-8). 1e-6 still exposes the
/// edge rules: the test data makes α/n·Σa² of order 0.1–1, so a window off by one channel or a divisor other than
/// size at the edges changes y by ≥ 1e-3 relative.</para>
/// <para><b>Running statistics (InstanceNorm)</b>: <see cref="Compare.StateRelative"/> (1e-5) of
/// |running_mean| + m·|mean_n μ_n| + mean_n σ_n for running_mean and of |running_var| for running_var, as for
/// BatchNorm in <see cref="Compare"/>: the per-sample statistics are accumulated in double (≲ 1 ulp after rounding),
/// each float32 update adds ≤ ~2 ulp and damps earlier errors by 1 − m, so a few steps stay below ~12 ulp ≈ 7e-7,
/// while unbiased vs biased per-sample variance differs by 1/(plane − 1) ≥ 1.7% here.</para>
/// <para>NaN and ±∞ expected values must be matched exactly (<see cref="Compare.Value"/>).</para>
/// </remarks>
public static class FamilyCompare
{
    /// <summary>Relative tolerance (of |y|) on LocalResponseNorm outputs.</summary>
    public const double LrnRelative = 1e-6;

    /// <summary>Asserts every output element against the reference, with the tolerance of <paramref name="spec"/>'s kind.</summary>
    public static void Outputs(FamilySpec spec, ReferenceFamily.Result expected, ReadOnlySpan<float> input, ReadOnlySpan<float> actual, string context)
    {
        Assert.Equal(expected.Output.Length, actual.Length);
        double relative = spec.Kind == FamilyKind.LocalResponseNorm ? LrnRelative : Compare.OutputRelative;
        for (int i = 0; i < actual.Length; i++)
        {
            double tolerance = relative * expected.Scale[i];
            if (!double.IsFinite(tolerance))
            {
                tolerance = 0; // only slots with non-finite statistics reach this; their NaN/∞ outputs are matched exactly
            }

            if (!Within(expected.Output[i], actual[i], tolerance))
            {
                // Builds the message only on failure (the comparisons run over hundreds of thousands of elements).
                Compare.Value(expected.Output[i], actual[i], tolerance, $"{context}: output {spec.Describe(i)}, input {input[i]:R}");
            }
        }
    }

    /// <summary>
    /// Asserts running_mean, running_var (and num_batches_tracked = 0) of an InstanceNorm layer against the reference.
    /// </summary>
    /// <param name="lastBatch">Per (n, c) statistics of the last training batch (they scale the running_mean tolerance), or null.</param>
    /// <param name="skipMeanOf">A channel whose running_mean the caller checks separately, or −1.</param>
    public static void RunningStats(FamilyHarness layer, ReferenceInstanceNorm reference, ReferenceFamily.SlotMoments? lastBatch, string context, int skipMeanOf = -1)
    {
        if (!layer.Spec.TrackRunningStats)
        {
            Assert.Null(layer.RunningMean);
            return;
        }

        Assert.Equal(0L, layer.NumBatchesTracked!());
        ReadOnlySpan<float> mean = layer.RunningMean!();
        ReadOnlySpan<float> variance = layer.RunningVar!();
        int channels = layer.Spec.Channels;
        int batch = lastBatch is null ? 0 : lastBatch.Mean.Length / channels;
        for (int c = 0; c < channels; c++)
        {
            double batchMean = 0, batchSpread = 0;
            for (int n = 0; n < batch; n++)
            {
                batchMean += lastBatch!.Mean[n * channels + c] / batch;
                batchSpread += Math.Sqrt(lastBatch.BiasedVar[n * channels + c]) / batch;
            }

            double meanScale = Math.Abs(reference.RunningMean![c])
                + (double.IsFinite(batchMean) ? reference.Momentum * Math.Abs(batchMean) : 0)
                + (double.IsFinite(batchSpread) ? batchSpread : 0);
            if (c != skipMeanOf)
            {
                Compare.Value(reference.RunningMean[c], mean[c], Compare.StateRelative * meanScale, $"{context}: running_mean[{c}]");
            }

            Compare.Value(reference.RunningVar![c], variance[c], Compare.StateRelative * Math.Abs(reference.RunningVar[c]), $"{context}: running_var[{c}]");
        }
    }

    /// <summary>The test of <see cref="Compare.Value"/> without building a message.</summary>
    public static bool Within(double expected, float actual, double tolerance)
    {
        if (double.IsNaN(expected))
        {
            return float.IsNaN(actual);
        }

        if (double.IsInfinity(expected))
        {
            return actual == expected;
        }

        return Math.Abs(actual - expected) <= tolerance;
    }
}
