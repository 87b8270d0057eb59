using System;
using Xunit;

namespace NormGen.Runtime.Tests.Numerics;

/// <summary>
/// <see cref="ChannelMath"/> against a plain per-channel loop of its documented formulas, bit for bit. CI runs this class on every vector width (Vector512, Vector256,
/// Vector128, scalar), so each path is compared with the loop; the channel counts cover whole vectors and every tail
/// length, and the data holds the special values (NaN, infinities, signed zeros, zero variance) whose handling differs
/// most easily between a vector and a scalar formula.
/// </summary>
public class ChannelMathTests
{
    private static readonly int[] ChannelCounts = [1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 33, 64, 71];

    public static TheoryData<int, bool, bool, bool, double> BatchCases()
    {
        var data = new TheoryData<int, bool, bool, bool, double>();
        foreach (int n in ChannelCounts)
        {
            foreach ((bool weight, bool bias) in new[] { (true, true), (false, false), (true, false), (false, true) })
            {
                data.Add(n, weight, bias, true, 1e-5);
            }

            data.Add(n, true, true, false, 1e-5);
            data.Add(n, true, true, true, 0.0);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BatchCases))]
    public void BatchCoefficientsMatchThePerChannelLoopBitForBit(int n, bool hasWeight, bool hasBias, bool tracks, double eps)
    {
        var random = new Random(n * 7 + (hasWeight ? 1 : 0) + (hasBias ? 2 : 0) + (tracks ? 4 : 0));
        double count = 50;
        double[] deviations = new double[n], squares = new double[n];
        float[] shift = new float[n], weight = new float[n], bias = new float[n];
        for (int c = 0; c < n; c++)
        {
            // Mostly ordinary channels; some with zero variance, signed zeros, NaN or infinite sums and shifts.
            double spread = Math.Pow(10, random.Next(-6, 7));
            deviations[c] = (random.NextDouble() - 0.5) * spread;
            squares[c] = deviations[c] * deviations[c] / count + random.NextDouble() * spread * spread * count;
            shift[c] = (float)((random.NextDouble() - 0.5) * 1e4);
            weight[c] = (float)(random.NextDouble() * 4 - 2);
            bias[c] = (float)(random.NextDouble() * 4 - 2);
            switch (c % 9)
            {
                case 2:
                    deviations[c] = 0;
                    squares[c] = 0; // zero variance: invStd is 0 when eps is 0
                    break;
                case 4:
                    deviations[c] = -0.0;
                    squares[c] = 0;
                    bias[c] = -0.0f;
                    break;
                case 5:
                    deviations[c] = double.NaN;
                    squares[c] = double.NaN;
                    shift[c] = float.NaN;
                    break;
                case 7:
                    deviations[c] = double.NaN;
                    squares[c] = double.PositiveInfinity;
                    shift[c] = c % 2 == 0 ? float.PositiveInfinity : float.NegativeInfinity;
                    break;
            }
        }

        var actual = new Outputs(n);
        ChannelMath.BatchCoefficients(deviations, squares, shift, hasWeight ? weight : default, hasBias ? bias : default, count, eps,
            actual.SaveMean, actual.SaveInvStd, tracks ? actual.BatchMean : default, tracks ? actual.BatchVar : default, actual.Scale, actual.Offset);

        var expected = new Outputs(n);
        for (int c = 0; c < n; c++)
        {
            double meanOffset = deviations[c] * (1 / count);
            double m2 = Math.Max(squares[c] - deviations[c] * meanOffset, 0.0);
            double variance = m2 * (1 / count);
            double invStd = eps == 0 ? (variance == 0 ? 0 : 1 / Math.Sqrt(variance)) : 1 / Math.Sqrt(variance + eps);
            double scale = hasWeight ? weight[c] * invStd : invStd;
            double offset = hasBias ? bias[c] - meanOffset * scale : -meanOffset * scale;
            expected.SaveMean[c] = shift[c] + meanOffset;
            expected.SaveInvStd[c] = invStd;
            if (tracks)
            {
                expected.BatchMean[c] = float.IsFinite(shift[c]) ? (float)(shift[c] + meanOffset) : shift[c];
                expected.BatchVar[c] = (float)(m2 * (1 / (count - 1)));
            }

            expected.Scale[c] = (float)scale;
            expected.Offset[c] = (float)offset;
        }

        expected.AssertBitwiseEqual(actual);
    }

    [Theory]
    [MemberData(nameof(BatchCases))]
    public void RunningCoefficientsMatchThePerChannelLoopBitForBit(int n, bool hasWeight, bool hasBias, bool unused, double eps)
    {
        _ = unused;
        var random = new Random(n);
        float[] runningMean = new float[n], runningVar = new float[n], weight = new float[n], bias = new float[n];
        for (int c = 0; c < n; c++)
        {
            runningMean[c] = (float)((random.NextDouble() - 0.5) * 100);
            runningVar[c] = c % 5 == 3 ? 0f : (float)(random.NextDouble() * 10);
            weight[c] = (float)(random.NextDouble() * 4 - 2);
            bias[c] = (float)(random.NextDouble() * 4 - 2);
        }

        runningVar[0] = float.NaN;
        var actual = new Outputs(n);
        ChannelMath.RunningCoefficients(runningMean, runningVar, hasWeight ? weight : default, hasBias ? bias : default, eps,
            actual.SaveMean, actual.SaveInvStd, actual.BatchMean, actual.Scale, actual.Offset);

        var expected = new Outputs(n);
        for (int c = 0; c < n; c++)
        {
            double invStd = 1 / Math.Sqrt(runningVar[c] + eps);
            expected.SaveMean[c] = runningMean[c];
            expected.SaveInvStd[c] = invStd;
            expected.BatchMean[c] = runningMean[c]; // the shift
            expected.Scale[c] = hasWeight ? (float)(weight[c] * invStd) : (float)invStd;
            expected.Offset[c] = hasBias ? bias[c] : 0f;
        }

        expected.AssertBitwiseEqual(actual);
    }

    public static TheoryData<int, bool, bool, bool> GradientCases()
    {
        var data = new TheoryData<int, bool, bool, bool>();
        foreach (int n in ChannelCounts)
        {
            data.Add(n, true, true, true);
            data.Add(n, true, true, false);
            data.Add(n, false, false, true);
            data.Add(n, false, true, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void GradientCoefficientsMatchThePerChannelLoopBitForBit(int n, bool hasWeight, bool hasBias, bool batchStatistics)
    {
        var random = new Random(1000 + n);
        double count = 98;
        double[] sumDy = new double[n], sumDyX = new double[n], mean = new double[n], invStd = new double[n];
        float[] weight = new float[n], weightGrad = new float[n], biasGrad = new float[n];
        for (int c = 0; c < n; c++)
        {
            sumDy[c] = (random.NextDouble() - 0.5) * 30;
            sumDyX[c] = (random.NextDouble() - 0.5) * 300;
            mean[c] = (random.NextDouble() - 0.5) * 1e4; // not a float: mean - (float)mean is not 0
            invStd[c] = random.NextDouble() * 10;
            weight[c] = (float)(random.NextDouble() * 4 - 2);
            weightGrad[c] = (float)random.NextDouble(); // gradients accumulate into what is there
            biasGrad[c] = (float)random.NextDouble();
        }

        sumDy[n / 2] = double.NaN;
        float[] expectedWeightGrad = (float[])weightGrad.Clone(), expectedBiasGrad = (float[])biasGrad.Clone();
        float[] a = new float[n], b = new float[n], c0 = new float[n];
        ChannelMath.GradientCoefficients(sumDy, sumDyX, mean, invStd, hasWeight ? weight : default, hasWeight ? weightGrad : default,
            hasBias ? biasGrad : default, count, batchStatistics, a, b, c0);

        float[] ea = new float[n], eb = new float[n], ec = new float[n];
        for (int c = 0; c < n; c++)
        {
            float shift = (float)mean[c];
            double sumDyXmu = sumDyX[c] - ((mean[c] - shift) * sumDy[c]);
            if (hasWeight)
            {
                expectedWeightGrad[c] += (float)(sumDyXmu * invStd[c]);
            }

            if (hasBias)
            {
                expectedBiasGrad[c] += (float)sumDy[c];
            }

            double gamma = hasWeight ? weight[c] : 1;
            double ac = invStd[c] * gamma, bc = 0, cc = 0;
            if (batchStatistics)
            {
                double meanG = gamma * sumDy[c] * (1 / count);
                double meanGx = gamma * sumDyXmu * invStd[c] * (1 / count);
                bc = -invStd[c] * invStd[c] * meanGx;
                cc = (-invStd[c] * meanG) - (bc * (mean[c] - shift));
            }

            ea[c] = (float)ac;
            eb[c] = (float)bc;
            ec[c] = (float)cc;
        }

        AssertBitwise(ea, a, "a");
        AssertBitwise(eb, b, "b");
        AssertBitwise(ec, c0, "c");
        AssertBitwise(expectedWeightGrad, weightGrad, "weightGrad");
        AssertBitwise(expectedBiasGrad, biasGrad, "biasGrad");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(33)]
    [InlineData(71)]
    public void NextToRedoFindsEveryChannelThePerChannelTestRejects(int n)
    {
        var random = new Random(300 + n);
        double count = 40;
        double[] deviations = new double[n], squares = new double[n];
        for (int c = 0; c < n; c++)
        {
            // Σd² = n·var + (Σd)²/n; the shift is |Σd|/n from the mean, accepted when (Σd/n)² <= var.
            double variance = random.NextDouble() + 0.1;
            double offset = Math.Sqrt(variance) * (c % 4 == 1 ? 1.5 : 0.5) * (c % 2 == 0 ? 1 : -1);
            deviations[c] = offset * count;
            squares[c] = (variance * count) + (deviations[c] * deviations[c] / count);
            switch (c % 11)
            {
                case 3: squares[c] = double.NaN; break;
                case 6: squares[c] = double.PositiveInfinity; break;
                case 8: deviations[c] = double.NaN; break;
                case 9: deviations[c] = 0; squares[c] = 0; break; // constant channel: accepted
            }
        }

        var expected = new System.Collections.Generic.List<int>();
        for (int c = 0; c < n; c++)
        {
            if (!(double.IsFinite(squares[c]) && 2 * deviations[c] * deviations[c] <= squares[c] * count))
            {
                expected.Add(c);
            }
        }

        var actual = new System.Collections.Generic.List<int>();
        for (int c = ChannelMath.NextToRedo(deviations, squares, count, 0); c < n; c = ChannelMath.NextToRedo(deviations, squares, count, c + 1))
        {
            actual.Add(c);
        }

        Assert.Equal(expected, actual);
        Assert.Equal(n, ChannelMath.NextToRedo(deviations, squares, count, n));
        Assert.Equal("start", Assert.Throws<ArgumentOutOfRangeException>(() => ChannelMath.NextToRedo(deviations, squares, count, n + 1)).ParamName);
        if (n > 1)
        {
            Assert.NotEmpty(expected); // the data above holds channels of every kind
        }
    }

    [Theory]
    [InlineData(1, 0.1f)]
    [InlineData(15, 0.1f)]
    [InlineData(33, 0.5f)]
    [InlineData(71, 1f / 3)]
    public void UpdateRunningMatchesThePerChannelLoopBitForBit(int n, float momentum)
    {
        var random = new Random(n);
        float[] running = new float[n], batch = new float[n];
        for (int c = 0; c < n; c++)
        {
            running[c] = (float)((random.NextDouble() - 0.5) * 1e3);
            batch[c] = (float)((random.NextDouble() - 0.5) * 1e3);
        }

        batch[n / 2] = float.NaN;
        float[] expected = new float[n];
        for (int c = 0; c < n; c++)
        {
            expected[c] = (1f - momentum) * running[c] + momentum * batch[c];
        }

        ChannelMath.UpdateRunning(running, batch, momentum);
        AssertBitwise(expected, running, "running");
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 17)]
    [InlineData(5, 64)]
    [InlineData(40, 33)]
    public void SumBlocksAddsTheBlocksInOrder(int blocks, int n)
    {
        int stride = n + 3;
        var random = new Random(blocks * 100 + n);
        double[] partials = new double[blocks * stride];
        for (int i = 0; i < partials.Length; i++)
        {
            // Magnitudes far apart, so that another order of addition would round differently.
            partials[i] = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-8, 9));
        }

        double[] totals = new double[n];
        ChannelMath.SumBlocks(partials, blocks, stride, totals);
        for (int c = 0; c < n; c++)
        {
            double expected = 0;
            for (int b = 0; b < blocks; b++)
            {
                expected += partials[b * stride + c];
            }

            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(totals[c]));
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(4, 7)]
    [InlineData(3, 8)]
    [InlineData(5, 49)]
    [InlineData(17, 196)]
    public void SumSegmentsAddsInTheDocumentedOrder(int segments, int length)
    {
        var random = new Random(segments * 1000 + length);
        double[] values = new double[segments * length + 5]; // longer than needed: the extra values are not read
        for (int i = 0; i < values.Length; i++)
        {
            // Magnitudes far apart, so that another order of addition would round differently.
            values[i] = (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-8, 9));
        }

        double[] sums = new double[segments];
        ChannelMath.SumSegments(values, length, sums);
        int whole = length / 8 * 8;
        for (int c = 0; c < segments; c++)
        {
            // The documented order, written out: eight interleaved partials, a fixed tree, then the rest in order.
            double[] p = new double[8];
            for (int i = 0; i < whole; i++)
            {
                p[i % 8] += values[c * length + i];
            }

            double expected = ((p[0] + p[4]) + (p[2] + p[6])) + ((p[1] + p[5]) + (p[3] + p[7]));
            for (int i = whole; i < length; i++)
            {
                expected += values[c * length + i];
            }

            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(sums[c]));
        }
    }

    [Fact]
    public void SumSegmentsIsExactOnSmallIntegers()
    {
        // Small integers add exactly in any order, so the sums are known independently of the order.
        double[] values = new double[3 * 49];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (i % 13) - 6;
        }

        double[] sums = new double[3];
        ChannelMath.SumSegments(values, 49, sums);
        for (int c = 0; c < 3; c++)
        {
            double expected = 0;
            for (int i = 0; i < 49; i++)
            {
                expected += ((c * 49 + i) % 13) - 6;
            }

            Assert.Equal(expected, sums[c]);
        }
    }

    [Fact]
    public void SumSegmentsRejectsInconsistentArguments()
    {
        double[] sums = new double[3];
        Assert.Equal("length", Assert.Throws<ArgumentOutOfRangeException>(() => ChannelMath.SumSegments(new double[9], 0, sums)).ParamName);
        ArgumentException tooShort = Assert.Throws<ArgumentException>(() => ChannelMath.SumSegments(new double[8], 3, sums));
        Assert.Equal("values", tooShort.ParamName);
        Assert.Contains("3 segments of 3 need 9 values, but 8 were given", tooShort.Message);
    }

    [Fact]
    public void SumBlocksRejectsInconsistentArguments()
    {
        double[] totals = new double[8];
        Assert.Equal("blocks", Assert.Throws<ArgumentOutOfRangeException>(() => ChannelMath.SumBlocks(new double[16], 0, 8, totals)).ParamName);
        Assert.Equal("stride", Assert.Throws<ArgumentOutOfRangeException>(() => ChannelMath.SumBlocks(new double[16], 2, 7, totals)).ParamName);
        ArgumentException tooShort = Assert.Throws<ArgumentException>(() => ChannelMath.SumBlocks(new double[15], 2, 8, totals));
        Assert.Equal("partials", tooShort.ParamName);
        Assert.Contains("need 16 partial sums, but 15 were given", tooShort.Message);
    }

    [Fact]
    public void CoefficientsRejectAnOutputShorterThanTheChannels()
    {
        double[] sums = new double[4];
        float[] four = new float[4], three = new float[3];
        ArgumentException e = Assert.Throws<ArgumentException>(() => ChannelMath.BatchCoefficients(sums, sums, four, default, default, 10, 1e-5,
            new double[4], new double[4], default, default, four, three));
        Assert.Equal("offset", e.ParamName);
        Assert.Contains("at least one value per channel (4), but it holds 3", e.Message);
        e = Assert.Throws<ArgumentException>(() => ChannelMath.GradientCoefficients(sums, sums, sums, sums, three, four, default, 10, true, four, four, four));
        Assert.Equal("weight", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => ChannelMath.RunningCoefficients(four, three, default, default, 1e-5, sums, sums, four, four, four));
        Assert.Equal("runningVar", e.ParamName);
    }

    private static void AssertBitwise(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]) && !(float.IsNaN(expected[i]) && float.IsNaN(actual[i])))
            {
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (vector width {VectorWidth()})");
            }
        }
    }

    private static void AssertBitwise(double[] expected, double[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.DoubleToInt64Bits(expected[i]) != BitConverter.DoubleToInt64Bits(actual[i]) && !(double.IsNaN(expected[i]) && double.IsNaN(actual[i])))
            {
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (vector width {VectorWidth()})");
            }
        }
    }

    private static int VectorWidth() => SimdMath.Use512 ? 512 : SimdMath.Use256 ? 256 : SimdMath.Use128 ? 128 : 0;

    /// <summary>The outputs of one call; unused ones stay 0.</summary>
    private sealed class Outputs(int n)
    {
        public double[] SaveMean { get; } = new double[n];

        public double[] SaveInvStd { get; } = new double[n];

        public float[] BatchMean { get; } = new float[n];

        public float[] BatchVar { get; } = new float[n];

        public float[] Scale { get; } = new float[n];

        public float[] Offset { get; } = new float[n];

        public void AssertBitwiseEqual(Outputs actual)
        {
            AssertBitwise(SaveMean, actual.SaveMean, "saveMean");
            AssertBitwise(SaveInvStd, actual.SaveInvStd, "saveInvStd");
            AssertBitwise(BatchMean, actual.BatchMean, "batchMean (or shift)");
            AssertBitwise(BatchVar, actual.BatchVar, "batchVar");
            AssertBitwise(Scale, actual.Scale, "scale");
            AssertBitwise(Offset, actual.Offset, "offset");
        }
    }
}
