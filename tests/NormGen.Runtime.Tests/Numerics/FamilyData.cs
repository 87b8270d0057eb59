using System;

namespace NormGen.Runtime.Tests.Numerics;

/// <summary>Deterministic random inputs and parameters for the family numerics and error tests.</summary>
public static class FamilyData
{
    /// <summary>
    /// Ordinary data. LayerNorm/RMSNorm: per row, mean U(−3, 3) and std log-uniform in [1e-2, 10]. GroupNorm/InstanceNorm:
    /// the same per (sample, channel), so GroupNorm's groups mix channels of different means. LocalResponseNorm: per
    /// (sample, channel) mean 0 and std with α·E[a²] log-uniform in [0.05, 2], so that α/n·Σa² is of order 0.1–1 and the
    /// window and divisor rules are visible (see <see cref="FamilyCompare"/>).
    /// </summary>
    public static float[] OrdinaryInput(Random rng, FamilySpec spec, int batch)
    {
        var x = new float[batch * spec.SampleSize];
        int blockLength = spec.IsRowwise ? spec.SampleSize : spec.PlaneSize;
        for (int block = 0; block < x.Length / blockLength; block++)
        {
            double mean, std;
            if (spec.Kind == FamilyKind.LocalResponseNorm)
            {
                mean = 0;
                std = Math.Sqrt(0.05 * Math.Pow(40, rng.NextDouble()) / spec.Alpha);
            }
            else
            {
                mean = -3 + 6 * rng.NextDouble();
                std = Math.Pow(10, -2 + 3 * rng.NextDouble());
            }

            for (int i = 0; i < blockLength; i++)
            {
                x[block * blockLength + i] = (float)(mean + std * TestData.Normal(rng));
            }
        }

        return x;
    }

    /// <summary>
    /// Mean 1e4 + U(0, 10), std 1e-2 per statistics slot; GroupNorm's channels get slot mean + 1e-2·N(0, 1) so that the
    /// group's spread stays ~1e-2.
    /// </summary>
    public static float[] LargeMeanInput(Random rng, FamilySpec spec, int batch)
    {
        var x = new float[batch * spec.SampleSize];
        int slotLength = spec.SlotLength;
        int blockLength = spec.IsRowwise ? spec.SampleSize : spec.PlaneSize;
        for (int slot = 0; slot < x.Length / slotLength; slot++)
        {
            double slotMean = 1e4 + 10 * rng.NextDouble();
            for (int block = 0; block < slotLength / blockLength; block++)
            {
                double mean = spec.Kind == FamilyKind.GroupNorm ? slotMean + 1e-2 * TestData.Normal(rng) : slotMean;
                for (int i = 0; i < blockLength; i++)
                {
                    x[slot * slotLength + block * blockLength + i] = (float)(mean + 1e-2 * TestData.Normal(rng));
                }
            }
        }

        return x;
    }

    /// <summary>γ uniform in ±[0.25, 2] (either sign), β uniform in [−1, 1].</summary>
    public static void RandomizeParameters(Random rng, FamilyHarness layer)
    {
        if (layer.Weight is not null)
        {
            Span<float> weight = layer.Weight();
            for (int i = 0; i < weight.Length; i++)
            {
                weight[i] = (float)((0.25 + 1.75 * rng.NextDouble()) * (rng.Next(2) == 0 ? -1 : 1));
            }
        }

        if (layer.Bias is not null)
        {
            Span<float> bias = layer.Bias();
            for (int i = 0; i < bias.Length; i++)
            {
                bias[i] = (float)(2 * rng.NextDouble() - 1);
            }
        }
    }

    /// <summary>running_mean uniform in [−1, 1], running_var uniform in [0.5, 2].</summary>
    public static void RandomizeRunningStats(Random rng, FamilyHarness layer)
    {
        if (layer.RunningMean is null)
        {
            return;
        }

        Span<float> mean = layer.RunningMean();
        Span<float> variance = layer.RunningVar!();
        for (int c = 0; c < mean.Length; c++)
        {
            mean[c] = (float)(2 * rng.NextDouble() - 1);
            variance[c] = (float)(0.5 + 1.5 * rng.NextDouble());
        }
    }
}
