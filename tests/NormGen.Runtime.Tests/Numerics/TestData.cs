using System;

namespace NormGen.Runtime.Tests.Numerics;

/// <summary>Deterministic random inputs for the numerics and error tests.</summary>
public static class TestData
{
    /// <summary>A standard normal draw (Box–Muller).</summary>
    public static double Normal(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble();
        double u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>
    /// A contiguous (N, C, spatial...) input whose channel c is drawn from N(means[c], stds[c]²), computed
    /// in double and rounded to float32.
    /// </summary>
    public static float[] Input(Random rng, LayerSpec spec, int batch, double[] means, double[] stds)
    {
        var x = new float[batch * spec.SampleSize];
        for (int b = 0; b < batch; b++)
        {
            for (int c = 0; c < spec.NumFeatures; c++)
            {
                int start = (b * spec.NumFeatures + c) * spec.PlaneSize;
                for (int p = 0; p < spec.PlaneSize; p++)
                {
                    x[start + p] = (float)(means[c] + stds[c] * Normal(rng));
                }
            }
        }

        return x;
    }

    /// <summary>Per-channel means uniform in [-3, 3] and standard deviations log-uniform in [1e-2, 10].</summary>
    /// <remarks>
    /// The small standard deviations make eps (1e-5, 1e-3) a visible part of var + eps, so a layer that
    /// dropped or misplaced eps fails; the large ones exercise the scale of the tolerances.
    /// </remarks>
    public static (double[] Means, double[] Stds) ChannelDistributions(Random rng, int channels)
    {
        var means = new double[channels];
        var stds = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            means[c] = -3 + 6 * rng.NextDouble();
            stds[c] = Math.Pow(10, -2 + 3 * rng.NextDouble());
        }

        return (means, stds);
    }

    /// <summary>Index of element (b, c, p) in a contiguous (N, C, plane) input.</summary>
    public static int Index(LayerSpec spec, int b, int c, int p) => (b * spec.NumFeatures + c) * spec.PlaneSize + p;
}
