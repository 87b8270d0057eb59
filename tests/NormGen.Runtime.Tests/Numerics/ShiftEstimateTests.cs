using System;
using Xunit;

namespace NormGen.Runtime.Tests.Numerics;

/// <summary>
/// <see cref="SimdMath.Mean16"/>, the shift estimate of the per-sample layers' one-pass statistics, on whichever width
/// this process runs (CI runs it with Vector512, Vector256 and the scalar loop): the mean of exactly the 16 floats from
/// the start, added in double, and non-finite when one of them is.
/// </summary>
public sealed class ShiftEstimateTests
{
    [Fact]
    public void MeanOfTheFirstSixteenAddedInDouble()
    {
        var random = new Random(20261204);
        for (int trial = 0; trial < 200; trial++)
        {
            float[] values = new float[16 + 16];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-3, 6)));
            }

            int start = trial % 16;
            double sum = 0;
            for (int i = start; i < start + 16; i++)
            {
                sum += values[i];
            }

            // Sums of 16 doubles that each hold a float: exact up to the double rounding of each addition, so the
            // order of the additions moves the float result by at most one rounding of the mean.
            float expected = (float)(sum / 16);
            float actual = SimdMath.Mean16(ref values[start]);
            Assert.True(Math.Abs(actual - expected) <= Math.Abs(expected) * 1e-6 + 1e-30, $"trial {trial}: {actual:R}, expected {expected:R}");
        }
    }

    [Fact]
    public void ValuesWhoseFloatSumOverflowsStillHaveAFiniteMean()
    {
        float[] values = new float[16];
        Array.Fill(values, 3e38f);
        Assert.Equal(3e38f, SimdMath.Mean16(ref values[0]));
    }

    [Theory]
    [InlineData(float.PositiveInfinity, float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity, float.NegativeInfinity)]
    [InlineData(float.NaN, float.NaN)]
    public void AnInfOrNaNAmongThemGivesANonFiniteMean(float special, float expected)
    {
        for (int at = 0; at < 16; at++)
        {
            float[] values = new float[17];
            Array.Fill(values, 1.5f);
            values[at] = special;
            values[16] = float.NaN; // past the 16: never read
            Assert.Equal(expected, SimdMath.Mean16(ref values[0]));
        }
    }

    [Fact]
    public void OppositeInfinitiesGiveNaN()
    {
        float[] values = new float[16];
        values[3] = float.PositiveInfinity;
        values[12] = float.NegativeInfinity;
        Assert.True(float.IsNaN(SimdMath.Mean16(ref values[0])));
    }
}
