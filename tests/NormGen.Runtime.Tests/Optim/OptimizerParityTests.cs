using System;
using System.Globalization;
using System.Text;
using NormGen.Optim;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Runtime.Tests.Optim;

/// <summary>
/// Runs Sgd and AdamW through the 10 steps of each torch.optim fixture (tests/fixtures/make_optim_fixtures.py,
/// torch 1.13 CPU, single-tensor implementation) and compares every parameter after every step.
/// </summary>
/// <remarks>
/// <para><b>Tolerance</b>: |actual − expected| ≤ 4 ulp(max(|expected_t|, |expected_t−1|)), i.e. 4·2⁻²³ relative to the
/// larger of the parameter before and after the step. Each step ends in p ← p + Δ with |Δ| well below |p| in
/// these fixtures, so the rounding of that last addition is one ulp of that magnitude; an implementation whose
/// float32 operation order differs from PyTorch's (another FMA contraction, a reciprocal instead of a division,
/// a bias correction one double ulp off from another libm's pow) differs by about one such ulp per step, and
/// a carried difference is not amplified (SGD is linear in p; AdamW's Δ depends on p only through the decay
/// factor). 4 ulps leave room for a few such differences to add up over 10 steps.</para>
/// <para>Observed: the implementation follows PyTorch's CPU kernels operation by operation (fused
/// <c>add(alpha)</c>, <c>fma((1 − β2)·g, g, v)</c> for addcmul, true division), all of them correctly rounded, so on
/// this fixture set it reproduces PyTorch bit for bit (the test logs the worst ulp distance).</para>
/// </remarks>
public sealed class OptimizerParityTests(ITestOutputHelper output)
{
    private const int ToleranceUlps = 4;

    public static TheoryData<string> Cases() => new(OptimFixture.Cases);

    [Theory]
    [MemberData(nameof(Cases))]
    public void TenStepsMatchTorch(string name)
    {
        OptimFixture fixture = OptimFixture.Load(name);
        Assert.Equal(name, fixture.Name);
        Assert.Equal(10, fixture.Params.Length);
        Parameter[] parameters = fixture.CreateParameters();
        NormGen.Optim.Optimizer optimizer = fixture.CreateOptimizer(parameters);

        long worstUlps = 0;
        var problems = new StringBuilder();
        for (int step = 0; step < fixture.Params.Length; step++)
        {
            for (int i = 0; i < parameters.Length; i++)
            {
                fixture.Grads[step][i].CopyTo(parameters[i].GradSpan);
            }

            optimizer.Step();

            for (int i = 0; i < parameters.Length; i++)
            {
                ReadOnlySpan<float> actual = parameters[i].DataSpan;
                float[] expected = fixture.Params[step][i];
                float[] previous = step == 0 ? fixture.Initial[i] : fixture.Params[step - 1][i];
                Assert.Equal(expected.Length, actual.Length);
                for (int k = 0; k < expected.Length; k++)
                {
                    worstUlps = Math.Max(worstUlps, UlpDistance(actual[k], expected[k]));
                    double scale = Math.Max(Math.Abs(expected[k]), Math.Abs(previous[k]));
                    double tolerance = ToleranceUlps * Ulp((float)scale);
                    if (!(Math.Abs((double)actual[k] - expected[k]) <= tolerance) && problems.Length < 2000)
                    {
                        problems.AppendLine(CultureInfo.InvariantCulture,
                            $"step {step + 1}, parameter {i}, element {k}: actual {actual[k]:R}, torch {expected[k]:R}, |diff| {Math.Abs((double)actual[k] - expected[k]):R} > {tolerance:R}");
                    }
                }
            }
        }

        output.WriteLine($"{name}: worst distance to torch over 10 steps = {worstUlps} ulp");
        Assert.True(problems.Length == 0, $"{name} differs from torch.optim:\n{problems}");
    }

    [Fact]
    public void EveryFixtureFileIsACase()
    {
        foreach (string file in System.IO.Directory.EnumerateFiles(OptimFixture.Directory(), "optim_*.json"))
        {
            string name = System.IO.Path.GetFileNameWithoutExtension(file)["optim_".Length..];
            Assert.Contains(name, OptimFixture.Cases);
        }
    }

    /// <summary>Distance in representable floats (0 for equal values, including +0 and −0).</summary>
    internal static long UlpDistance(float a, float b)
    {
        if (a == b)
        {
            return 0;
        }

        if (float.IsNaN(a) || float.IsNaN(b))
        {
            return long.MaxValue;
        }

        return Math.Abs(Ordered(a) - Ordered(b));

        static long Ordered(float x)
        {
            int bits = BitConverter.SingleToInt32Bits(x);
            return bits < 0 ? int.MinValue - (long)bits : bits;
        }
    }

    /// <summary>The spacing of floats at |x| (at least the smallest subnormal).</summary>
    internal static double Ulp(float x)
    {
        float a = Math.Abs(x);
        return float.IsFinite(a) ? (double)MathF.BitIncrement(a) - a : double.PositiveInfinity;
    }
}
