using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;
using System.Text;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Runtime.Tests.TorchParity;

/// <summary>
/// Runs every layer class of Layers.cs through the same steps as PyTorch 1.13 (fixtures written by
/// tests/fixtures/make_torch_fixtures.py: 3 training forwards, then 1 eval forward) and compares
/// outputs, running statistics and num_batches_tracked after every step.
/// </summary>
/// <remarks>
/// Tolerances (and why they are not bit-exact):
/// <list type="bullet">
/// <item><b>Output</b>: |actual − expected| ≤ 1e-5·|expected| + 1e-5 + 4·2⁻²³·|α_c|·M_c.
/// PyTorch applies y = x·α + β (α = γ/√(σ²+ε), β = b − μ·α) and our fused x·scale+shift rounds
/// differently (other α/β rounding, FMA), so a bit-exact match is not expected: 1e-5 relative plus
/// absolute covers that on unit-scale data. The last term is the rounding floor the fused form has
/// in float32 whatever the implementation: x·α and β each carry about one ulp of
/// |α_c|·max(|x|, |μ_c|), which for the channel offset by +1e3 is ≈1e-4, far above 1e-5. 4 ulps
/// cover PyTorch's rounding plus ours. α_c and μ_c are recomputed here in double, from the batch
/// (training, or no running stats) or from PyTorch's running stats of the previous step (eval).</item>
/// <item><b>running_mean / running_var</b>: |actual − expected| ≤ 1e-6·max(|expected|, |previous|, 1),
/// about 8 float ulps. PyTorch updates with float32 m·μ + (1−m)·r and gets var_sum from a double
/// two-pass loop (from float partial sums on the (N, C) / (N, C, 1, 1) path); an implementation using
/// a lerp r + m·(μ − r) or another var_sum ordering differs by a few ulps. |previous| covers cancellation
/// in the update, and 1 is the data scale: fixture data have unit scale, so a value near zero is the
/// difference of O(1) terms and carries an O(1e-7) absolute rounding error.</item>
/// <item><b>num_batches_tracked</b>: exact.</item>
/// </list>
/// The fixture script verifies that float32 PyTorch lies within half of these bounds of float64 PyTorch.
/// </remarks>
public sealed class TorchParityTests(ITestOutputHelper output)
{
    private const double OutputRelTol = 1e-5;
    private const double OutputAbsTol = 1e-5;
    private const double OutputConditionUlps = 4;
    private const double Float32Epsilon = 1.0 / (1 << 23);
    private const double StatRelTol = 1e-6;
    private const int MaxReportedElements = 8;

    private readonly ITestOutputHelper _output = output;

    // Worst |diff| / tolerance seen by the current test (logged, to show the margin).
    private double _worstOutputRatio;
    private double _worstStatRatio;

    /// <summary>The names of all classes declared in Layers.cs (each needs a fixture).</summary>
    public static TheoryData<string> LayerClasses()
    {
        var data = new TheoryData<string>();
        foreach (string name in DeclaredLayerNames())
        {
            data.Add(name);
        }

        return data;
    }

    /// <summary>
    /// Every normalization class of Layers.cs, found by its attribute. Reflection only lists the classes;
    /// the layers themselves are created by the generated switch in ParityLayers.Generated.cs.
    /// </summary>
    private static IEnumerable<string> DeclaredLayerNames()
        => typeof(TorchParityTests).Assembly.GetTypes()
            .Where(t => t.Namespace == "NormGen.Runtime.Tests.Layers" && t.IsDefined(typeof(NormalizationAttribute), inherit: false))
            .Select(t => t.Name)
            .OrderBy(n => n, StringComparer.Ordinal);

    [Fact]
    public void EveryLayerClassHasAFixtureAndAFactoryEntry()
    {
        string[] declared = DeclaredLayerNames().ToArray();
        Assert.NotEmpty(declared);
        var fixtures = new HashSet<string>(TorchFixture.AvailableNames(), StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (string name in declared)
        {
            if (!fixtures.Contains(name))
            {
                problems.Add($"{name}: no fixture {TorchFixture.PathFor(name)}");
            }

            if (!ParityLayers.Names.Contains(name))
            {
                problems.Add($"{name}: no entry in ParityLayers.Generated.cs");
            }
        }

        foreach (string name in fixtures.Where(f => !declared.Contains(f)))
        {
            problems.Add($"{name}: fixture without a class in Layers.cs (stale)");
        }

        foreach (string name in ParityLayers.Names.Where(f => !declared.Contains(f)))
        {
            problems.Add($"{name}: ParityLayers.Generated.cs entry without a class in Layers.cs (stale)");
        }

        Assert.True(
            problems.Count == 0,
            "Layers.cs and the PyTorch fixtures are out of sync; re-run /usr/bin/python3 tests/fixtures/make_torch_fixtures.py:\n  "
            + string.Join("\n  ", problems));
    }

    [Theory]
    [MemberData(nameof(LayerClasses))]
    public void MatchesPyTorch(string className)
    {
        TorchFixture fx = TorchFixture.Load(className);
        Assert.Equal(className, fx.ClassName);
        ParityLayer layer = ParityLayers.Create(className)
            ?? throw new Xunit.Sdk.XunitException($"{className} has no entry in ParityLayers.Generated.cs; re-run make_torch_fixtures.py.");

        string who = $"{className} ({fx.TorchModule}, eps={fx.Eps.ToString("R", CultureInfo.InvariantCulture)}, "
            + $"momentum={(fx.Momentum is double m ? m.ToString("R", CultureInfo.InvariantCulture) : "None")}, affine={fx.Affine}, track_running_stats={fx.TrackRunningStats})";

        // Configuration the generator derived from the attribute vs the torch module.
        Assert.True(fx.NumFeatures == layer.NumFeatures, $"{who}: NumFeatures {layer.NumFeatures}, torch num_features {fx.NumFeatures}");
        Assert.True(fx.SampleSize == layer.SampleSize, $"{who}: SampleSize {layer.SampleSize}, torch per-sample numel {fx.SampleSize}");
        Assert.True(fx.Affine == layer.Affine, $"{who}: fixture affine={fx.Affine}, layer declared Affine={layer.Affine}");
        Assert.True(fx.TrackRunningStats == layer.TrackRunningStats, $"{who}: fixture track_running_stats={fx.TrackRunningStats}, layer declared {layer.TrackRunningStats}");

        // Fresh state as after torch's reset_parameters / reset_running_stats.
        Assert.True(layer.Training(), $"{who}: Training must be true after construction (torch modules start in training mode)");
        var initial = new List<string>();
        if (fx.Affine)
        {
            CompareExact(initial, "initial weight (torch init: ones)", Enumerable.Repeat(1f, fx.NumFeatures).ToArray(), layer.Weight!());
            CompareExact(initial, "initial bias (torch init: zeros)", new float[fx.NumFeatures], layer.Bias!());
            fx.Weight!.CopyTo(layer.Weight!());
            fx.Bias!.CopyTo(layer.Bias!());
        }

        if (fx.TrackRunningStats)
        {
            CompareExact(initial, "initial running_mean", fx.InitialRunningMean!, layer.RunningMean!());
            CompareExact(initial, "initial running_var", fx.InitialRunningVar!, layer.RunningVar!());
            if (layer.NumBatchesTracked!() != fx.InitialNumBatchesTracked)
            {
                initial.Add($"initial num_batches_tracked: expected {fx.InitialNumBatchesTracked}, actual {layer.NumBatchesTracked!()}");
            }
        }

        Assert.True(initial.Count == 0, $"{who}, before any step:\n  " + string.Join("\n  ", initial));

        float[]? previousMean = fx.InitialRunningMean;
        float[]? previousVar = fx.InitialRunningVar;
        foreach (FixtureStep step in fx.Steps)
        {
            if (step.Training)
            {
                layer.Train();
            }
            else
            {
                layer.Eval();
            }

            Assert.True(layer.Training() == step.Training, $"{who}, {step.Describe()}: Training is {layer.Training()} after {(step.Training ? "Train()" : "Eval()")}");

            float[] input = (float[])step.Input.Clone();
            float[] output = new float[step.Output.Length];
            output.AsSpan().Fill(float.NaN); // an element the layer forgets to write shows up as NaN
            layer.Forward(input, output);

            var problems = new List<string>();
            if (!input.AsSpan().SequenceEqual(step.Input))
            {
                problems.Add("Forward modified its input");
            }

            CompareOutput(problems, fx, step, previousMean, previousVar, output);

            if (fx.TrackRunningStats)
            {
                CompareStat(problems, "running_mean", step.RunningMean!, previousMean!, layer.RunningMean!());
                CompareStat(problems, "running_var", step.RunningVar!, previousVar!, layer.RunningVar!());
                long nbt = layer.NumBatchesTracked!();
                if (nbt != step.NumBatchesTracked)
                {
                    problems.Add($"num_batches_tracked: expected {step.NumBatchesTracked}, actual {nbt}");
                }

                previousMean = step.RunningMean;
                previousVar = step.RunningVar;
            }

            // Later steps depend on this one's state, so stop at the first step that differs.
            Assert.True(problems.Count == 0, $"{who}, {step.Describe()}:\n  " + string.Join("\n  ", problems));
        }

        _output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{className}: {fx.Steps.Count} steps match; worst |diff|/tol: output {_worstOutputRatio:G3}, running stats {_worstStatRatio:G3}"));
    }

    /// <summary>Compares the output with the conditioning-aware tolerance described on the class.</summary>
    private void CompareOutput(List<string> problems, TorchFixture fx, FixtureStep step, float[]? runningMean, float[]? runningVar, float[] actual)
    {
        int c = fx.NumFeatures;
        int plane = fx.SampleSize / c;
        int n = step.BatchSize;
        float[] x = step.Input;

        // Per channel: the statistics the layer normalizes with (PyTorch semantics), in double.
        var mean = new double[c];
        var variance = new double[c];
        var maxAbsX = new double[c];
        bool batchStats = step.Training || !fx.TrackRunningStats;
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0;
            double maxAbs = 0;
            for (int b = 0; b < n; b++)
            {
                int start = b * fx.SampleSize + ch * plane;
                for (int i = 0; i < plane; i++)
                {
                    sum += x[start + i];
                    maxAbs = Math.Max(maxAbs, Math.Abs(x[start + i]));
                }
            }

            maxAbsX[ch] = maxAbs;
            if (batchStats)
            {
                double mu = sum / (n * plane);
                double ss = 0;
                for (int b = 0; b < n; b++)
                {
                    int start = b * fx.SampleSize + ch * plane;
                    for (int i = 0; i < plane; i++)
                    {
                        double d = x[start + i] - mu;
                        ss += d * d;
                    }
                }

                mean[ch] = mu;
                variance[ch] = ss / (n * plane);
            }
            else
            {
                mean[ch] = runningMean![ch];
                variance[ch] = runningVar![ch];
            }
        }

        var tolerancePerChannel = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            double gamma = fx.Affine ? Math.Abs(fx.Weight![ch]) : 1.0;
            double denominator = Math.Sqrt(variance[ch] + fx.Eps);
            double alpha = denominator > 0 ? gamma / denominator : 0;
            tolerancePerChannel[ch] = OutputAbsTol + OutputConditionUlps * Float32Epsilon * alpha * Math.Max(maxAbsX[ch], Math.Abs(mean[ch]));
        }

        int bad = 0;
        int firstBad = -1;
        int worst = -1;
        double worstRatio = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            int ch = i % fx.SampleSize / plane;
            double expected = step.Output[i];
            double tol = OutputRelTol * Math.Abs(expected) + tolerancePerChannel[ch];
            double diff = Math.Abs(actual[i] - expected);
            _worstOutputRatio = Math.Max(_worstOutputRatio, diff / tol);
            if (!(diff <= tol))
            {
                bad++;
                firstBad = firstBad < 0 ? i : firstBad;
                double ratio = double.IsNaN(diff) ? double.PositiveInfinity : diff / tol;
                if (worst < 0 || ratio > worstRatio)
                {
                    worst = i;
                    worstRatio = ratio;
                }
            }
        }

        if (bad > 0)
        {
            var sb = new StringBuilder();
            sb.Append(CultureInfo.InvariantCulture, $"output: {bad} of {actual.Length} elements out of tolerance");
            sb.Append("\n    first: ").Append(OutputElement(fx, step, actual, tolerancePerChannel, firstBad));
            sb.Append("\n    worst: ").Append(OutputElement(fx, step, actual, tolerancePerChannel, worst));
            problems.Add(sb.ToString());
        }
    }

    private static string OutputElement(TorchFixture fx, FixtureStep step, float[] actual, double[] tolerancePerChannel, int i)
    {
        int plane = fx.SampleSize / fx.NumFeatures;
        int b = i / fx.SampleSize;
        int ch = i % fx.SampleSize / plane;
        int s = i % plane;
        double expected = step.Output[i];
        double tol = OutputRelTol * Math.Abs(expected) + tolerancePerChannel[ch];
        return string.Create(
            CultureInfo.InvariantCulture,
            $"output[{i}] (n={b}, c={ch}, spatial={s}, input {R(step.Input[i])}): expected {R(step.Output[i])}, actual {R(actual[i])}, |diff| {Math.Abs(actual[i] - expected):G3} > tol {tol:G3}");
    }

    private void CompareStat(List<string> problems, string buffer, float[] expected, float[] previous, Span<float> actual)
    {
        if (actual.Length != expected.Length)
        {
            problems.Add($"{buffer}: length {actual.Length}, expected {expected.Length}");
            return;
        }

        int bad = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double scale = Math.Max(1.0, Math.Max(Math.Abs((double)expected[i]), Math.Abs((double)previous[i])));
            double tol = StatRelTol * scale;
            double diff = Math.Abs((double)actual[i] - expected[i]);
            _worstStatRatio = Math.Max(_worstStatRatio, diff / tol);
            if (!(diff <= tol) && ++bad <= MaxReportedElements)
            {
                problems.Add(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{buffer}[{i}]: expected {R(expected[i])}, actual {R(actual[i])}, |diff| {diff:G3} > tol {tol:G3} (previous {R(previous[i])})"));
            }
        }

        if (bad > MaxReportedElements)
        {
            problems.Add($"{buffer}: ... {bad - MaxReportedElements} more of {expected.Length} channels out of tolerance");
        }
    }

    private static void CompareExact(List<string> problems, string what, float[] expected, Span<float> actual)
    {
        if (actual.Length != expected.Length)
        {
            problems.Add($"{what}: length {actual.Length}, expected {expected.Length}");
            return;
        }

        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(actual[i]) != BitConverter.SingleToInt32Bits(expected[i]))
            {
                problems.Add($"{what}[{i}]: expected {R(expected[i])}, actual {R(actual[i])}");
            }
        }
    }

    private static string R(float value) => value.ToString("R", CultureInfo.InvariantCulture);
}
