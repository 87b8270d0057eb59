using System;
using System.Runtime.Intrinsics;
using Xunit;

namespace NormGen.Runtime.Tests.Numerics;

/// <summary>
/// <see cref="SimdMath.Permute"/>, the one-source permute of the Vector256 permuted kernels (their layers, Bn2dPeriodic,
/// Bn2dPermutedPlane and the other small-plane and 14x14-like layers, are checked against PyTorch and the float64
/// references at every width CI pins).
/// </summary>
public class PermuteTests
{
    [Fact]
    public void PermuteTakesEachLaneFromItsIndex()
    {
        var rng = new Random(11);
        float[] values = new float[8];
        for (int i = 0; i < 8; i++)
        {
            values[i] = (float)rng.Next(-1000, 1000);
        }

        for (int round = 0; round < 64; round++)
        {
            int[] indices = new int[8];
            float[] expected = new float[8];
            for (int l = 0; l < 8; l++)
            {
                indices[l] = rng.Next(0, 8);
                expected[l] = values[indices[l]];
            }

            Assert.Equal(Vector256.Create(expected), SimdMath.Permute(Vector256.Create(values), Vector256.Create(indices)));
        }
    }
}
