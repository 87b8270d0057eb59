using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics.Tensors;
using Xunit;

namespace NormGen.Runtime.Tests.Dynamic;

/// <summary><see cref="TensorMath.Mean"/> against torch.mean's shapes and against independent nested loops.</summary>
public class TensorMathTests
{
    [Fact]
    public void ShapesFollowTorchMean()
    {
        Tensor<float> x = Tensor.Create(Enumerable.Range(0, 24).Select(i => (float)i).ToArray(), [1, 2, 3, 4]);
        Tensor<float> kept = TensorMath.Mean(x, [0, 2, 3], keepDim: true);
        Assert.Equal(new nint[] { 1, 2, 1, 1 }, kept.Lengths.ToArray());
        Tensor<float> dropped = TensorMath.Mean(x, [0, 2, 3]);
        Assert.Equal(new nint[] { 2 }, dropped.Lengths.ToArray());

        // Channel 0 holds 0..11, channel 1 holds 12..23.
        Assert.Equal(new[] { 5.5f, 17.5f }, TensorExtensions.AsSpan(kept).ToArray());
        Assert.Equal(new[] { 5.5f, 17.5f }, TensorExtensions.AsSpan(dropped).ToArray());

        // Negative dims count from the end; the order of dims does not matter.
        Assert.Equal(new[] { 5.5f, 17.5f }, TensorExtensions.AsSpan(TensorMath.Mean(x, [-1, 0, -2])).ToArray());

        // Empty dims reduce everything, as in PyTorch; Tensor<T> has no rank 0, so the result is [1] without keepDim.
        Tensor<float> all = TensorMath.Mean(x, []);
        Assert.Equal(new nint[] { 1 }, all.Lengths.ToArray());
        Assert.Equal(11.5f, all[0]);
        Assert.Equal(new nint[] { 1, 1, 1, 1 }, TensorMath.Mean(x, [], keepDim: true).Lengths.ToArray());
        Assert.Equal(new nint[] { 1 }, TensorMath.Mean(x, [0, 1, 2, 3]).Lengths.ToArray());

        // Reducing nothing but a length-1 dimension keeps the values.
        Tensor<float> same = TensorMath.Mean(x, [0]);
        Assert.Equal(new nint[] { 2, 3, 4 }, same.Lengths.ToArray());
        Assert.Equal(TensorExtensions.AsSpan(x).ToArray(), TensorExtensions.AsSpan(same).ToArray());
    }

    /// <summary>Every subset of the dimensions of a (2, 3, 4, 5) tensor, spelled with positive and negative indices, with and without keepDim.</summary>
    [Fact]
    public void EverySubsetOfDimsMatchesNestedLoops()
    {
        int[] shape = [2, 3, 4, 5];
        var rng = new Random(4);
        float[] data = Enumerable.Range(0, 120).Select(_ => (float)((rng.NextDouble() * 20) - 5)).ToArray();
        Tensor<float> x = Tensor.Create(data, shape.Select(s => (nint)s).ToArray());
        for (int mask = 1; mask < 16; mask++)
        {
            int[] dims = Enumerable.Range(0, 4).Where(d => (mask & (1 << d)) != 0).ToArray();
            double[] expected = NestedLoopMean(data, shape, dims, out int[] keptShape);
            int[] negative = dims.Select(d => d - 4).Reverse().ToArray();
            foreach (int[] spelling in new[] { dims, negative })
            {
                foreach (bool keepDim in new[] { false, true })
                {
                    Tensor<float> mean = TensorMath.Mean(x, spelling, keepDim);
                    nint[] expectedShape = keepDim
                        ? shape.Select((s, d) => dims.Contains(d) ? 1 : (nint)s).ToArray()
                        : keptShape.Length == 0 ? [1] : keptShape.Select(s => (nint)s).ToArray();
                    string context = $"dims [{string.Join(", ", spelling)}] keepDim={keepDim}";
                    Assert.True(expectedShape.SequenceEqual(mean.Lengths.ToArray()), $"{context}: shape {string.Join("x", mean.Lengths.ToArray())}");
                    AssertMatches(expected, TensorExtensions.AsSpan(mean), context);
                }
            }
        }
    }

    /// <summary>Float accumulation would lose about 1e-4 relative here; double accumulation gives the correctly rounded mean.</summary>
    [Fact]
    public void LargeMeansAreAccumulatedInDouble()
    {
        var rng = new Random(6);
        const int Count = 1 << 16;
        float[] data = Enumerable.Range(0, 2 * Count).Select(_ => (float)(1e4 + rng.NextDouble())).ToArray();
        Tensor<float> x = Tensor.Create(data, [2, Count]);
        double[] expected = NestedLoopMean(data, [2, Count], [1], out _);
        AssertMatches(expected, TensorExtensions.AsSpan(TensorMath.Mean(x, [-1])), "large mean");
    }

    [Fact]
    public void StridedInputIsReadThroughItsStrides()
    {
        // A (3, 4) view with row stride 6 into a (3, 6) buffer: the padding must not be read.
        float[] buffer = Enumerable.Range(0, 18).Select(i => i % 6 >= 4 ? 1e6f : i).ToArray();
        Tensor<float> view = Tensor.Create(buffer, 0, [3, 4], [6, 1]);
        Assert.False(view.IsDense);
        float[] dense = [0, 1, 2, 3, 6, 7, 8, 9, 12, 13, 14, 15];
        foreach (int[] dims in new[] { new[] { 0 }, new[] { 1 }, new[] { 0, 1 } })
        {
            Tensor<float> expected = TensorMath.Mean(Tensor.Create(dense, [3, 4]), dims);
            Tensor<float> actual = TensorMath.Mean(view, dims);
            Assert.Equal(expected.Lengths.ToArray(), actual.Lengths.ToArray());
            Assert.Equal(TensorExtensions.AsSpan(expected).ToArray(), TensorExtensions.AsSpan(actual).ToArray());
        }

        Assert.Equal(new[] { 6f, 7f, 8f, 9f }, TensorExtensions.AsSpan(TensorMath.Mean(view, [0])).ToArray());
    }

    [Fact]
    public void EmptyReductionsAreNaNAndEmptyOutputsAreEmpty()
    {
        Tensor<float> x = Tensor.Create(Array.Empty<float>(), [0, 3]);
        Tensor<float> overRows = TensorMath.Mean(x, [0]);
        Assert.Equal(new nint[] { 3 }, overRows.Lengths.ToArray());
        Assert.All(TensorExtensions.AsSpan(overRows).ToArray(), v => Assert.True(float.IsNaN(v)));
        Tensor<float> overColumns = TensorMath.Mean(x, [1], keepDim: true);
        Assert.Equal(new nint[] { 0, 1 }, overColumns.Lengths.ToArray());
        Assert.Equal(0, overColumns.FlattenedLength);
    }

    [Fact]
    public void InvalidDimsAreRejected()
    {
        Tensor<float> x = Tensor.Create(new float[24], [1, 2, 3, 4]);
        ArgumentOutOfRangeException range = Assert.Throws<ArgumentOutOfRangeException>(() => TensorMath.Mean(x, [0, 4]));
        Assert.Equal("dims", range.ParamName);
        Assert.StartsWith("Dimension out of range (expected to be in range of [-4, 3], but got 4)", range.Message, StringComparison.Ordinal);
        range = Assert.Throws<ArgumentOutOfRangeException>(() => TensorMath.Mean(x, [-5]));
        Assert.StartsWith("Dimension out of range (expected to be in range of [-4, 3], but got -5)", range.Message, StringComparison.Ordinal);

        ArgumentException repeated = Assert.Throws<ArgumentException>(() => TensorMath.Mean(x, [1, -3]));
        Assert.Equal("dims", repeated.ParamName);
        Assert.StartsWith("dim 1 appears multiple times in the list of dims", repeated.Message, StringComparison.Ordinal);
        repeated = Assert.Throws<ArgumentException>(() => TensorMath.Mean(x, [2, 2]));
        Assert.StartsWith("dim 2 appears multiple times in the list of dims", repeated.Message, StringComparison.Ordinal);

        Assert.Throws<ArgumentNullException>(() => TensorMath.Mean(null!, [0]));
    }

    /// <summary>
    /// The mean written as explicit loops: for every element, its output index over the kept dimensions (row-major),
    /// summed in double. <paramref name="keptShape"/> is the shape without keepDim.
    /// </summary>
    private static double[] NestedLoopMean(float[] data, int[] shape, int[] reducedDims, out int[] keptShape)
    {
        int rank = shape.Length;
        keptShape = Enumerable.Range(0, rank).Where(d => !reducedDims.Contains(d)).Select(d => shape[d]).ToArray();
        int outputCount = keptShape.Aggregate(1, (a, b) => a * b);
        int reducedCount = reducedDims.Aggregate(1, (a, d) => a * shape[d]);
        var sums = new double[outputCount];
        var index = new int[rank];
        for (int flat = 0; flat < data.Length; flat++)
        {
            int rest = flat;
            for (int d = rank - 1; d >= 0; d--)
            {
                index[d] = rest % shape[d];
                rest /= shape[d];
            }

            int slot = 0;
            for (int d = 0; d < rank; d++)
            {
                if (!reducedDims.Contains(d))
                {
                    slot = (slot * shape[d]) + index[d];
                }
            }

            sums[slot] += data[flat];
        }

        return sums.Select(s => s / reducedCount).ToArray();
    }

    /// <summary>Each float result is the double reference rounded once: within one float32 ulp (the double sums differ only in order).</summary>
    private static void AssertMatches(IReadOnlyList<double> expected, ReadOnlySpan<float> actual, string context)
    {
        Assert.Equal(expected.Count, actual.Length);
        for (int i = 0; i < actual.Length; i++)
        {
            float rounded = MathF.Abs((float)expected[i]);
            double ulp = MathF.BitIncrement(rounded) - rounded;
            Assert.True(Math.Abs(actual[i] - expected[i]) <= ulp, $"{context}: element {i} is {actual[i]:R}, expected {expected[i]:R}");
        }
    }
}
