using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Runtime.Tests.Backward;

/// <summary>
/// PyTorch parity of Backward: gradInput, weight and bias gradients of the generated layers against torch 1.13 autograd
/// (tests/fixtures/backward, written by tests/fixtures/make_backward_fixtures.py), in train mode and, for layers with
/// running statistics, in eval mode. RMSNorm is not in torch 1.13; its backward is checked against the finite-difference
/// validated float64 reference only (<see cref="GradientCheckTests"/>).
/// </summary>
/// <remarks>
/// Tolerances, per element, in units of 2^-24 times the error scale of <see cref="RefGradients"/>: torch's float32 result
/// is within the fixture's limit K (16; the script measured ≤ 8.1 against torch float64 and fails above K) of the exact
/// gradient, and the generated layer within <see cref="GradData.GradInputUnits"/> (parameters:
/// <see cref="GradData.ParamUnits"/>), so they differ by at most the sum. The float64 reference is held to K alone,
/// which ties it to PyTorch's semantics as well.
/// </remarks>
public sealed class BackwardParityTests(ITestOutputHelper output)
{
    private static readonly HashSet<string> NotInTorch = ["Rms64", "Rms3x5NoAffine"];

    public static IEnumerable<object[]> Fixtures() =>
        GradLayers.Names.Where(n => !NotInTorch.Contains(n)).Select(n => new object[] { n });

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void GeneratedBackwardMatchesPyTorchAutograd(string name)
    {
        BackwardFixture fixture = BackwardFixture.Load(name);
        Assert.Equal(name, fixture.Name);
        Assert.NotEmpty(fixture.Cases);
        double k = fixture.TorchErrorUnitsLimit;
        Assert.Equal(16.0, k); // the limit the tolerances here were designed with

        foreach (BackwardFixtureCase fixtureCase in fixture.Cases)
        {
            bool training = fixtureCase.Mode switch
            {
                "train" => true,
                "eval" => false,
                _ => throw new InvalidDataException($"{name}: unknown mode '{fixtureCase.Mode}'."),
            };
            Assert.True(fixtureCase.TorchErrorUnits <= k, $"{name} {fixtureCase.Mode}: the fixture records torch error {fixtureCase.TorchErrorUnits}u > {k}u.");

            GradLayer layer = GradLayers.Create(name);
            Assert.Equal(fixture.SampleShape, layer.SampleShape);
            Assert.Equal(layer.Weight is not null, fixture.Weight is not null);
            Assert.Equal(layer.Bias is not null, fixture.Bias is not null);
            Assert.Equal(layer.RunningMean is not null, fixtureCase.RunningMean is not null);
            fixture.Weight?.CopyTo(layer.Weight!.DataSpan);
            fixture.Bias?.CopyTo(layer.Bias!.DataSpan);
            if (layer.RunningMean is not null)
            {
                fixtureCase.RunningMean!.CopyTo(TensorExtensions.AsSpan(layer.RunningMean));
                fixtureCase.RunningVar!.CopyTo(TensorExtensions.AsSpan(layer.RunningVar!));
            }

            layer.SetTraining(training);
            double[] weight = GradData.WeightOf(layer), bias = GradData.BiasOf(layer);
            double[]? rm = GradData.RunningMeanOf(layer), rv = GradData.RunningVarOf(layer);

            var y = new float[fixture.Input.Length];
            var dx = new float[fixture.Input.Length];
            Array.Fill(dx, float.NaN);
            layer.Forward(fixture.Input, y);
            layer.Backward(fixture.Input, fixture.GradOutput, dx);

            RefGradients reference = ReferenceGradients.Backward(
                layer.Spec, GradData.Widen(fixture.Input), GradData.Widen(fixture.GradOutput), fixture.Batch, training, weight, bias, rm, rv);
            string context = $"{name} ({fixtureCase.Mode}, N={fixture.Batch}, torch {fixtureCase.Module})";

            // The float64 reference agrees with PyTorch: same semantics.
            GradData.AssertWithin($"{context}: torch grad_input vs float64 reference", fixtureCase.GradInput, reference.GradInput, reference.InputScale, k);

            // The generated layer agrees with PyTorch.
            double worst = GradData.AssertWithin($"{context}: gradInput vs torch", dx, Widen(fixtureCase.GradInput), reference.InputScale, GradData.GradInputUnits + k);
            double paramUnits = GradData.ParamUnits(fixture.Batch) + k;
            if (layer.Weight is not null)
            {
                Assert.NotNull(fixtureCase.GradWeight);
                GradData.AssertWithin($"{context}: torch weight.grad vs float64 reference", fixtureCase.GradWeight, reference.GradWeight, reference.WeightScale, k);
                worst = Math.Max(worst, GradData.AssertWithin($"{context}: Weight.Grad vs torch", layer.Weight.GradSpan, Widen(fixtureCase.GradWeight!), reference.WeightScale, paramUnits));
            }

            if (layer.Bias is not null)
            {
                Assert.NotNull(fixtureCase.GradBias);
                GradData.AssertWithin($"{context}: torch bias.grad vs float64 reference", fixtureCase.GradBias, reference.GradBias, reference.BiasScale, k);
                worst = Math.Max(worst, GradData.AssertWithin($"{context}: Bias.Grad vs torch", layer.Bias.GradSpan, Widen(fixtureCase.GradBias!), reference.BiasScale, paramUnits));
            }

            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{context}: worst |layer - torch| = {worst:F2}u x scale"));
        }
    }

    /// <summary>Every layer torch 1.13 has owns a fixture, and every fixture belongs to a layer (none stale).</summary>
    [Fact]
    public void FixturesCoverEveryLayerAndNoneIsStale()
    {
        var files = System.IO.Directory.EnumerateFiles(BackwardFixture.Directory(), "*.json")
            .Select(Path.GetFileNameWithoutExtension)
            .ToHashSet(StringComparer.Ordinal);
        var expected = GradLayers.Names.Where(n => !NotInTorch.Contains(n)).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(expected.Order(StringComparer.Ordinal), files.Order(StringComparer.Ordinal));

        // Layers with running statistics have an eval case too; InstanceNorm over one spatial element only that.
        foreach (string name in expected)
        {
            GradLayer layer = GradLayers.Create(name);
            string[] modes = BackwardFixture.Load(name).Cases.Select(c => c.Mode).ToArray();
            string[] wanted = (layer.CanTrain ? new[] { "train" } : []).Concat(layer.RunningMean is not null ? ["eval"] : Array.Empty<string>()).ToArray();
            Assert.Equal(wanted, modes);
        }
    }

    private static double[] Widen(float[] values) => GradData.Widen(values);
}
