using System;
using System.Runtime.Intrinsics;
using Xunit;

namespace NormGen.Runtime.Tests.Numerics;

/// <summary>
/// <see cref="SimdMath.PairwiseSums(Vector512{float}, Vector512{float})"/> and its Vector256 form, the reduction trees
/// of the segment kernels (their layers, Bn2dSegments, Bn2dSegmentsWide and Bn2dSegmentsPlanes among them, are checked
/// against PyTorch and the float64 references at every width CI pins).
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

    [Fact]
    public void PairwiseSums256AddsNeighbouringLanesOfEachInput()
    {
        var rng = new Random(7);
        for (int round = 0; round < 16; round++)
        {
            float[] a = new float[8], b = new float[8];
            for (int i = 0; i < 8; i++)
            {
                a[i] = (float)rng.Next(-1000, 1000);
                b[i] = (float)rng.Next(-1000, 1000);
            }

            float[] expected = new float[8];
            for (int l = 0; l < 4; l++)
            {
                expected[l] = a[2 * l] + a[(2 * l) + 1];
                expected[l + 4] = b[2 * l] + b[(2 * l) + 1];
            }

            Assert.Equal(Vector256.Create(expected), SimdMath.PairwiseSums(Vector256.Create(a), Vector256.Create(b)));
            Assert.Equal(Vector256.Create(expected), SimdMath.PairwiseSumsSoftware(Vector256.Create(a), Vector256.Create(b)));
        }
    }

    /// <summary>8 vectors reduced in pairs, three levels: lane c is the sum of vector c's lanes.</summary>
    [Fact]
    public void ThreeLevelsOfPairs256GiveTheLaneSumsInOrder()
    {
        var vectors = new Vector256<float>[8];
        float[] expected = new float[8];
        for (int c = 0; c < 8; c++)
        {
            float[] lanes = new float[8];
            for (int l = 0; l < 8; l++)
            {
                lanes[l] = (c * 8) + l + 1;
                expected[c] += lanes[l];
            }

            vectors[c] = Vector256.Create(lanes);
        }

        Vector256<float> Level(Vector256<float> p, Vector256<float> q) => SimdMath.PairwiseSums(p, q);
        Vector256<float> result = Level(
            Level(Level(vectors[0], vectors[1]), Level(vectors[2], vectors[3])),
            Level(Level(vectors[4], vectors[5]), Level(vectors[6], vectors[7])));
        Assert.Equal(Vector256.Create(expected), result);
    }
}
