using System;
using System.Globalization;
using Xunit;
using Xunit.Sdk;

namespace NormGen.Runtime.Tests.Backward;

/// <summary>The input distributions of the gradient tests.</summary>
internal enum DataKind
{
    /// <summary>Means in [-2, 2], standard deviations in [0.5, 2]: the finite-difference data (a step of 1e-3 is small against every spread).</summary>
    Moderate,

    /// <summary>Means in [-3, 3], standard deviations log-uniform in [1e-2, 10]: eps matters for the small ones.</summary>
    Wide,

    /// <summary>Means 1e3 ± 1, standard deviations in [0.5, 2]: an uncentered x·b + c form would lose ~10 bits here.</summary>
    LargeMean,
}

/// <summary>Deterministic data and the comparison helpers of the backward tests.</summary>
internal static class GradData
{
    /// <summary>The unit roundoff of float32, 2^-24.</summary>
    public const double U = 1.0 / (1 << 24);

    /// <summary>
    /// gradInput tolerance in units of <see cref="U"/> times <see cref="RefGradients.InputScale"/>. A float32 evaluation of
    /// dx = a·dy + b·(x − shift) + c, with a, b, c rounded from double once each, x − shift rounded once, g = dy·γ rounded
    /// once inside the double reductions and two (fused or unfused) multiply-adds, errs by at most ~5u times the
    /// magnitude of the terms to first order; the statistics themselves are double. 8u leaves room for second-order terms
    /// and for the float-rounded inverse standard deviation of running statistics, while a formula error (a missing or
    /// misplaced mean term, n instead of n − 1) is at least ~1/n of the scale (≥ 1e-4, i.e. ≥ 2000u).
    /// </summary>
    public const double GradInputUnits = 8;

    /// <summary>
    /// Weight and bias gradient tolerance in units of <see cref="U"/> times Σ|dy|·(|x̂| + 1) (or Σ|dy|): 8u for the final rounding
    /// and the rounded coefficients, plus one u per sample because a Backward may add its per-sample (or per-row) partial
    /// sums into the float32 Grad one by one (the recursive-summation bound γ_N ≈ N·u).
    /// </summary>
    public static double ParamUnits(int batch) => 8 + batch;

    public static double Normal(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble();
        double u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>A value on the 2^-10 grid (exact in float32 and short in JSON).</summary>
    public static float Grid(double value) => (float)(Math.Round(value * 1024) / 1024);

    /// <summary>
    /// An input of <paramref name="batch"/> samples: each (sample, channel) block (BatchNorm, InstanceNorm, GroupNorm,
    /// LocalResponseNorm) or each row (LayerNorm, RMSNorm) drawn from its own normal distribution.
    /// </summary>
    public static float[] Input(Random rng, GradSpec spec, int batch, DataKind kind)
    {
        var x = new float[batch * spec.SampleSize];
        bool perRow = spec.Kind is GradKind.Layer or GradKind.Rms;
        int blocks = perRow ? batch : batch * spec.Channels;
        int blockLength = perRow ? spec.SampleSize : spec.Plane;
        for (int b = 0; b < blocks; b++)
        {
            (double mean, double std) = kind switch
            {
                DataKind.Moderate => (-2 + (4 * rng.NextDouble()), 0.5 + (1.5 * rng.NextDouble())),
                DataKind.Wide => (-3 + (6 * rng.NextDouble()), Math.Pow(10, -2 + (3 * rng.NextDouble()))),
                _ => (1000 - 1 + (2 * rng.NextDouble()), 0.5 + (1.5 * rng.NextDouble())),
            };
            for (int i = 0; i < blockLength; i++)
            {
                x[(b * blockLength) + i] = (float)(mean + (std * Normal(rng)));
            }
        }

        return x;
    }

    /// <summary>A standard normal gradOutput.</summary>
    public static float[] GradOutput(Random rng, int length)
    {
        var dy = new float[length];
        for (int i = 0; i < length; i++)
        {
            dy[i] = (float)Normal(rng);
        }

        return dy;
    }

    /// <summary>Weight ±[0.5, 1.5] and bias in [-1, 1], on the 2^-10 grid.</summary>
    public static void RandomizeParameters(Random rng, GradLayer layer)
    {
        if (layer.Weight is not null)
        {
            Span<float> w = layer.Weight.DataSpan;
            for (int i = 0; i < w.Length; i++)
            {
                w[i] = Grid((rng.Next(2) == 0 ? -1 : 1) * (0.5 + rng.NextDouble()));
            }
        }

        if (layer.Bias is not null)
        {
            Span<float> b = layer.Bias.DataSpan;
            for (int i = 0; i < b.Length; i++)
            {
                b[i] = Grid(-1 + (2 * rng.NextDouble()));
            }
        }
    }

    /// <summary>running_mean in [-1, 1] and running_var in [0.25, 4], on the 2^-10 grid (no-op without running statistics).</summary>
    public static void RandomizeRunningStats(Random rng, GradLayer layer)
    {
        if (layer.RunningMean is null)
        {
            return;
        }

        Span<float> mean = TensorExtensions.AsSpan(layer.RunningMean);
        Span<float> variance = TensorExtensions.AsSpan(layer.RunningVar!);
        for (int i = 0; i < mean.Length; i++)
        {
            mean[i] = Grid(-1 + (2 * rng.NextDouble()));
            variance[i] = Grid(0.25 + (3.75 * rng.NextDouble()));
        }
    }

    public static double[] Widen(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = values[i];
        }

        return result;
    }

    /// <summary>γ per channel in double (ones without a weight).</summary>
    public static double[] WeightOf(GradLayer layer)
    {
        if (layer.Weight is not null)
        {
            return Widen(layer.Weight.DataSpan);
        }

        var ones = new double[layer.Spec.Channels];
        Array.Fill(ones, 1.0);
        return ones;
    }

    /// <summary>β per channel in double (zeros without a bias).</summary>
    public static double[] BiasOf(GradLayer layer) => layer.Bias is not null ? Widen(layer.Bias.DataSpan) : new double[layer.Spec.Channels];

    public static double[]? RunningMeanOf(GradLayer layer) => layer.RunningMean is null ? null : Widen(TensorExtensions.AsSpan(layer.RunningMean));

    public static double[]? RunningVarOf(GradLayer layer) => layer.RunningVar is null ? null : Widen(TensorExtensions.AsSpan(layer.RunningVar));

    /// <summary>
    /// Asserts |actual[i] − expected[i]| ≤ units·U·scale[i] for every i (a NaN or infinite actual value fails), naming
    /// the worst element; returns the largest error in units of U·scale, for the log.
    /// </summary>
    public static double AssertWithin(string context, ReadOnlySpan<float> actual, double[] expected, double[] scale, double units)
    {
        Assert.Equal(expected.Length, actual.Length);
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]);
            double unit = U * scale[i];
            double tolerance = (units * unit) + 1e-37;
            if (!double.IsFinite(actual[i]) || !(err <= tolerance))
            {
                throw new XunitException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{context}: index {i}: expected {expected[i]:R}, actual {actual[i]:R}, |error| {err:E3} > tolerance {tolerance:E3} ({units}u x scale {scale[i]:E3}; error = {(unit > 0 ? err / unit : double.PositiveInfinity):F1}u x scale)."));
            }

            if (unit > 0)
            {
                worst = Math.Max(worst, err / unit);
            }
        }

        return worst;
    }

    /// <summary>"" when bitwise equal, else how many elements differ and the first of them (expected vs actual).</summary>
    public static string Difference(string what, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        if (expected.Length != actual.Length)
        {
            return $"{what}: length {actual.Length} instead of {expected.Length}";
        }

        int first = -1, count = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                count++;
                first = first < 0 ? i : first;
            }
        }

        return count == 0
            ? ""
            : string.Create(CultureInfo.InvariantCulture, $"{what}: {count} of {expected.Length} differ, first at index {first}: expected {expected[first]:R}, actual {actual[first]:R}");
    }

    /// <summary>Bitwise equality of two float spans (NaN-aware), naming the first difference.</summary>
    public static void AssertIdentical(string context, ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                throw new XunitException(string.Create(CultureInfo.InvariantCulture, $"{context}: index {i}: expected {expected[i]:R}, actual {actual[i]:R} (bitwise comparison)."));
            }
        }
    }
}
