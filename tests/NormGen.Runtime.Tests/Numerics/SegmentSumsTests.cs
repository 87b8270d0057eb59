using System;
using System.Runtime.Intrinsics;
using Xunit;

namespace NormGen.Runtime.Tests.Numerics;

/// <summary>
/// <see cref="SimdMath.PairwiseSums"/>, the reduction tree of the Vector512 segment kernels of small planes (their
/// layers, Bn2dSegments and Bn2dSegmentsWide among them, are checked against PyTorch and the float64 references).
/// </summary>
public class SegmentSumsTests
{
    [Fact]
    public void PairwiseSumsAddsNeighbouringLanesOfEachInput()
    {
        var rng = new Random(5);
        float[] a = new float[16], b = new float[16];
        for (int i = 0; i < 16; i++)
        {
            a[i] = (float)rng.Next(-1000, 1000);
            b[i] = (float)rng.Next(-1000, 1000);
        }

        float[] expected = new float[16];
        for (int l = 0; l < 8; l++)
        {
            expected[l] = a[2 * l] + a[(2 * l) + 1];
            expected[l + 8] = b[2 * l] + b[(2 * l) + 1];
        }

        Assert.Equal(Vector512.Create(expected), SimdMath.PairwiseSums(Vector512.Create(a), Vector512.Create(b)));
    }

    /// <summary>16 vectors reduced in pairs, then their results in pairs, four levels: lane c is the sum of vector c's lanes.</summary>
    [Fact]
    public void FourLevelsOfPairsGiveTheLaneSumsInOrder()
    {
        var vectors = new Vector512<float>[16];
        float[] expected = new float[16];
        for (int c = 0; c < 16; c++)
        {
            float[] lanes = new float[16];
            for (int l = 0; l < 16; l++)
            {
                lanes[l] = (c * 1000) + (l * l) + 1; // small integers: every sum is exact in float
                expected[c] += lanes[l];
            }

            vectors[c] = Vector512.Create(lanes);
        }

        Vector512<float>[] level = vectors;
        while (level.Length > 1)
        {
            var next = new Vector512<float>[level.Length / 2];
            for (int i = 0; i < next.Length; i++)
            {
                next[i] = SimdMath.PairwiseSums(level[2 * i], level[(2 * i) + 1]);
            }

            level = next;
        }

        Assert.Equal(Vector512.Create(expected), level[0]);
    }
}
