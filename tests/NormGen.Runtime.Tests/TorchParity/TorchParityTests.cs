using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace NormGen.Runtime.Tests.TorchParity;

/// <summary>
/// Runs every layer class of Layers.cs and FamilyLayers.cs through the same steps as PyTorch 1.13 (fixtures
/// written by tests/fixtures/make_torch_fixtures.py: normally 3 training forwards, then 1 eval forward) and
/// compares outputs, running statistics and num_batches_tracked after every step. Error steps (a forward
/// PyTorch rejects) must throw <see cref="ArgumentException"/> with PyTorch's message and leave the layer unchanged.
/// </summary>
/// <remarks>
/// Tolerances (and why they are not bit-exact). Every element belongs to a statistics set: a channel over the
/// batch (BatchNorm), a (sample, channel) pair (InstanceNorm), a (sample, group) pair (GroupNorm) or a row
/// (LayerNorm), with mean μ_s and biased variance σ²_s (or, in eval mode with running statistics, the running
/// statistics PyTorch had after the previous step), M_s = max(|x| over the set, |μ_s|), and a weight γ_i
/// (per channel, per element of the normalized shape for LayerNorm, 1 without weight).
/// <list type="bullet">
/// <item><b>Output</b>: |actual − expected| ≤ 1e-5·|expected| + 1e-5 + 4·2⁻²³·|γ_i|/√(σ²_s+ε)·M_s.
/// PyTorch applies y = x·α + β (α = γ/√(σ²+ε), β = b − μ·α; LayerNorm: (x·rstd − rstd·μ)·γ + b) and our fused
/// (x − shift)·scale + offset rounds differently (other α/β rounding, FMA), so a bit-exact match is not
/// expected: 1e-5 relative plus absolute covers that on unit-scale data. The last term is the rounding floor the
/// fused form has in float32 whatever the implementation: x·α and β each carry about one ulp of |α|·max(|x|, |μ|),
/// which for the set offset by +1e3 is ≈1e-4, far above 1e-5. 4 ulps cover PyTorch's rounding plus ours. It
/// also covers PyTorch's float statistics: LayerNorm and GroupNorm accumulate in float (Welford cascade), whose
/// mean error on the +1e3 set is a few ulps of 1e3, i.e. of the same order. μ and σ² are recomputed here in
/// double. LocalResponseNorm, y = x·(k + α/n·Σx²)^(−β), has no subtraction and so no conditioning term: PyTorch
/// computes it in float32 (x², an average pool summing ≤ size float terms, ·α + k, pow, division), we sum the
/// squares in double; the two differ by ≲ (size + 3) float ulps relative (pow scales the sum's relative error by
/// β ≤ 1), far inside 1e-5 relative.</item>
/// <item><b>running_mean / running_var</b>: |actual − expected| ≤ 1e-6·max(|expected|, |previous|, 1),
/// about 8 float ulps. PyTorch updates with float32 m·μ + (1−m)·r and gets var_sum from a double
/// two-pass loop (from float partial sums on the (N, C) / (N, C, 1, 1) path); an implementation using
/// a lerp r + m·(μ − r) or another var_sum ordering differs by a few ulps. InstanceNorm updates N copies of the
/// buffers with the per-sample statistics in float32 and averages the copies in float32; we average the
/// per-sample statistics in double and update once: again a few ulps. |previous| covers cancellation
/// in the update, and 1 is the data scale: fixture data have unit scale, so a value near zero is the
/// difference of O(1) terms and carries an O(1e-7) absolute rounding error.</item>
/// <item><b>num_batches_tracked</b>: exact (InstanceNorm never increments it).</item>
/// <item><b>Errors</b>: exact type <see cref="ArgumentException"/>; the message starts with PyTorch's, shapes
/// printed as <c>[..]</c> instead of <c>torch.Size([..])</c>; weight, bias, buffers, num_batches_tracked and the
/// mode are bit-identical before and after the call.</item>
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
    private const string LayersNamespace = "NormGen.Runtime.Tests.Layers";

    /// <summary>
    /// Attributes whose layers have no PyTorch 1.13 module, so no fixture: RMSNorm (nn.RMSNorm is torch 2.4+).
    /// Their classes are tested against a float64 reference and the formula instead (Numerics). The fixture
    /// script skips them too (NOT_IN_TORCH_1_13) and lists them in <see cref="ParityLayers.WithoutTorchCounterpart"/>;
    /// <see cref="EveryLayerClassHasAFixtureAndAFactoryEntry"/> checks that both lists agree.
    /// </summary>
    private static readonly Type[] AttributesWithoutTorchCounterpart = [typeof(RmsNormAttribute)];

    private readonly ITestOutputHelper _output = output;

    // Worst |diff| / tolerance seen by the current test (logged, to show the margin).
    private double _worstOutputRatio;
    private double _worstStatRatio;

    /// <summary>The names of the layer classes that have a PyTorch 1.13 counterpart (each needs a fixture).</summary>
    public static TheoryData<string> LayerClasses()
    {
        var data = new TheoryData<string>();
        foreach (Type type in DeclaredLayerTypes().Where(HasTorchCounterpart))
        {
            data.Add(type.Name);
        }

        return data;
    }

    /// <summary>
    /// Every normalization class of Layers.cs and FamilyLayers.cs, found by its attribute. Reflection only lists
    /// the classes; the layers themselves are created by the generated switch in ParityLayers.Generated.cs.
    /// </summary>
    private static IEnumerable<Type> DeclaredLayerTypes()
        => typeof(TorchParityTests).Assembly.GetTypes()
            .Where(t => t.Namespace == LayersNamespace && t.IsDefined(typeof(NormalizationAttribute), inherit: false))
            .OrderBy(t => t.Name, StringComparer.Ordinal);

    private static bool HasTorchCounterpart(Type layer)
        => !AttributesWithoutTorchCounterpart.Any(a => layer.IsDefined(a, inherit: false));

    [Fact]
    public void EveryLayerClassHasAFixtureAndAFactoryEntry()
    {
        Type[] declaredTypes = DeclaredLayerTypes().ToArray();
        string[] declared = declaredTypes.Where(HasTorchCounterpart).Select(t => t.Name).ToArray();
        string[] excluded = declaredTypes.Where(t => !HasTorchCounterpart(t)).Select(t => t.Name).ToArray();
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

        // The explicit exclusion: no fixture expected, and the script must have skipped exactly these classes.
        foreach (string name in excluded)
        {
            if (!ParityLayers.WithoutTorchCounterpart.Contains(name))
            {
                problems.Add($"{name}: has no torch 1.13 counterpart here but is not in ParityLayers.WithoutTorchCounterpart (the script's NOT_IN_TORCH_1_13)");
            }
        }

        foreach (string name in ParityLayers.WithoutTorchCounterpart.Where(n => !excluded.Contains(n)))
        {
            problems.Add($"{name}: listed without torch counterpart by the script, but not a class with such an attribute here");
        }

        foreach (string name in fixtures.Where(f => !declared.Contains(f)))
        {
            problems.Add(excluded.Contains(name)
                ? $"{name}: fixture for a class without torch 1.13 counterpart"
                : $"{name}: fixture without a class in Layers.cs/FamilyLayers.cs (stale)");
        }

        foreach (string name in ParityLayers.Names.Where(f => !declared.Contains(f)))
        {
            problems.Add($"{name}: ParityLayers.Generated.cs entry without a class in Layers.cs/FamilyLayers.cs (stale)");
        }

        Assert.True(
            problems.Count == 0,
            "Layers.cs/FamilyLayers.cs and the PyTorch fixtures are out of sync; re-run /usr/bin/python3 tests/fixtures/make_torch_fixtures.py:\n  "
            + string.Join("\n  ", problems));
        _output.WriteLine($"{declared.Length} classes with fixtures; excluded (no torch 1.13 counterpart): {string.Join(", ", excluded)}");
    }

    [Theory]
    [MemberData(nameof(LayerClasses))]
    public void MatchesPyTorch(string className)
    {
        TorchFixture fx = TorchFixture.Load(className);
        Assert.Equal(className, fx.ClassName);
        ParityLayer layer = ParityLayers.Create(className)
            ?? throw new Xunit.Sdk.XunitException($"{className} has no entry in ParityLayers.Generated.cs; re-run make_torch_fixtures.py.");

        string who = $"{className} ({fx.TorchModule}({fx.CtorText}))";

        // Configuration the generator derived from the attribute vs the torch module.
        var config = new List<string>();
        if (layer.SampleSize != fx.SampleSize)
        {
            config.Add($"SampleSize {layer.SampleSize}, torch per-sample (per-row) numel {fx.SampleSize}");
        }

        foreach ((string key, double value) in layer.Constants)
        {
            double expected = key == "sample_shape[0]" ? fx.SampleShape[0]
                : fx.Ctor.TryGetValue(key, out JsonElement e) && e.ValueKind == JsonValueKind.Number ? e.GetDouble() : double.NaN;
            if (!(value == expected))
            {
                config.Add(string.Create(CultureInfo.InvariantCulture, $"constant for torch {key}: layer {value:R}, torch {expected:R}"));
            }
        }

        CheckPresence(config, "Weight", fx.Weight is not null, layer.Weight is not null);
        CheckPresence(config, "Bias", fx.Bias is not null, layer.Bias is not null);
        CheckPresence(config, "RunningMean", fx.TrackRunningStats, layer.RunningMean is not null);
        CheckPresence(config, "RunningVar", fx.TrackRunningStats, layer.RunningVar is not null);
        CheckPresence(config, "NumBatchesTracked", fx.TrackRunningStats, layer.NumBatchesTracked is not null);
        Assert.True(config.Count == 0, $"{who}: configuration differs from torch's:\n  " + string.Join("\n  ", config));

        // Fresh state as after torch's reset_parameters / reset_running_stats.
        Assert.True(layer.Training(), $"{who}: Training must be true after construction (torch modules start in training mode)");
        var initial = new List<string>();
        if (fx.Weight is not null)
        {
            CompareExact(initial, "initial weight (torch init: ones)", Enumerable.Repeat(1f, fx.Weight.Length).ToArray(), layer.Weight!());
            fx.Weight.CopyTo(layer.Weight!());
        }

        if (fx.Bias is not null)
        {
            CompareExact(initial, "initial bias (torch init: zeros)", new float[fx.Bias.Length], layer.Bias!());
            fx.Bias.CopyTo(layer.Bias!());
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

        if (fx.LoadedRunningMean is not null)
        {
            fx.LoadedRunningMean.CopyTo(layer.RunningMean!());
            fx.LoadedRunningVar!.CopyTo(layer.RunningVar!());
        }

        float[]? previousMean = fx.LoadedRunningMean ?? fx.InitialRunningMean;
        float[]? previousVar = fx.LoadedRunningVar ?? fx.InitialRunningVar;
        int errorSteps = 0;
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
            float[] output = new float[step.Input.Length];
            output.AsSpan().Fill(float.NaN); // an element the layer forgets to write shows up as NaN

            var problems = new List<string>();
            if (step.ErrorMessage is not null)
            {
                errorSteps++;
                CheckRejected(problems, layer, step, input, output);
            }
            else
            {
                layer.Forward(input, output);
                CompareOutput(problems, fx, step, previousMean, previousVar, output);
            }

            if (!input.AsSpan().SequenceEqual(step.Input))
            {
                problems.Add("Forward modified its input");
            }

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
            $"{className}: {fx.Steps.Count} steps match ({errorSteps} rejected as by torch); worst |diff|/tol: output {_worstOutputRatio:G3}, running stats {_worstStatRatio:G3}"));
    }

    private static void CheckPresence(List<string> problems, string member, bool inFixture, bool onLayer)
    {
        if (inFixture != onLayer)
        {
            problems.Add($"{member}: torch module {(inFixture ? "has" : "has no")} counterpart, layer {(onLayer ? "has" : "has no")} {member}");
        }
    }

    /// <summary>
    /// An error step: Forward must throw exactly <see cref="ArgumentException"/> whose message starts with torch's,
    /// and the layer's parameters, buffers and mode must be bit-identical afterwards.
    /// </summary>
    private static void CheckRejected(List<string> problems, ParityLayer layer, FixtureStep step, float[] input, float[] output)
    {
        float[]? weight = layer.Weight?.Invoke().ToArray();
        float[]? bias = layer.Bias?.Invoke().ToArray();
        float[]? runningMean = layer.RunningMean?.Invoke().ToArray();
        float[]? runningVar = layer.RunningVar?.Invoke().ToArray();
        long? nbt = layer.NumBatchesTracked?.Invoke();
        bool training = layer.Training();

        string expected = TorchFixture.ExpectedMessage(step.ErrorMessage!);
        Exception? thrown = null;
        try
        {
            layer.Forward(input, output);
        }
        catch (Exception e)
        {
            thrown = e;
        }

        if (thrown is null)
        {
            problems.Add($"Forward returned; expected ArgumentException \"{expected}...\" (torch: {step.ErrorType}: {step.ErrorMessage})");
        }
        else if (thrown.GetType() != typeof(ArgumentException))
        {
            problems.Add($"Forward threw {thrown.GetType().Name}: {thrown.Message}; expected ArgumentException \"{expected}...\"");
        }
        else if (!thrown.Message.StartsWith(expected, StringComparison.Ordinal))
        {
            problems.Add($"message \"{thrown.Message}\" does not start with torch's \"{expected}\"");
        }

        var unchanged = new List<string>();
        if (weight is not null)
        {
            CompareExact(unchanged, "weight", weight, layer.Weight!());
        }

        if (bias is not null)
        {
            CompareExact(unchanged, "bias", bias, layer.Bias!());
        }

        if (runningMean is not null)
        {
            CompareExact(unchanged, "running_mean", runningMean, layer.RunningMean!());
            CompareExact(unchanged, "running_var", runningVar!, layer.RunningVar!());
            if (layer.NumBatchesTracked!() != nbt)
            {
                unchanged.Add($"num_batches_tracked: {nbt} before, {layer.NumBatchesTracked!()} after");
            }
        }

        if (layer.Training() != training)
        {
            unchanged.Add($"Training: {training} before, {layer.Training()} after");
        }

        problems.AddRange(unchanged.Select(u => "a rejected call changed the layer: " + u));
    }

    /// <summary>
    /// Per flat element of an input with <paramref name="count"/> elements: its statistics set, its weight index
    /// and, per set, the running-statistics index used in eval mode; null for LocalResponseNorm (no statistics).
    /// The same mapping as statistics_sets in make_torch_fixtures.py.
    /// </summary>
    private static (int[] Set, int[] Param, int[] RunningIndex, int Sets)? StatisticsLayout(TorchFixture fx, int count)
    {
        int s = fx.SampleSize;
        var set = new int[count];
        var param = new int[count];
        if (fx.Family == "LocalResponseNorm")
        {
            return null;
        }

        if (fx.Family == "LayerNorm")
        {
            for (int i = 0; i < count; i++)
            {
                set[i] = i / s;
                param[i] = i % s;
            }

            return (set, param, [], count / s);
        }

        int c = fx.Channels;
        int plane = s / c;
        int batch = count / s;
        int sets = fx.Family switch
        {
            "BatchNorm" => c,
            "InstanceNorm" => batch * c,
            "GroupNorm" => batch * fx.Groups,
            _ => throw new InvalidOperationException($"{fx.ClassName}: unknown family {fx.Family}"),
        };
        for (int i = 0; i < count; i++)
        {
            int n = i / s;
            int ch = i % s / plane;
            param[i] = ch;
            set[i] = fx.Family switch
            {
                "BatchNorm" => ch,
                "InstanceNorm" => (n * c) + ch,
                _ => (n * fx.Groups) + (ch / (c / fx.Groups)),
            };
        }

        int[] runningIndex = Enumerable.Range(0, sets).Select(k => k % c).ToArray(); // BatchNorm: k; InstanceNorm: channel of (n, c)
        return (set, param, runningIndex, sets);
    }

    /// <summary>Compares the output with the conditioning-aware tolerance described on the class.</summary>
    private void CompareOutput(List<string> problems, TorchFixture fx, FixtureStep step, float[]? runningMean, float[]? runningVar, float[] actual)
    {
        float[] x = step.Input;
        float[] expectedOutput = step.Output!;
        if (actual.Length != expectedOutput.Length)
        {
            problems.Add($"output: length {actual.Length}, expected {expectedOutput.Length}");
            return;
        }

        // Per element: the absolute part of the tolerance, 1e-5 plus the conditioning term of its statistics set
        // (the statistics the layer normalizes with, PyTorch semantics, in double).
        var absTol = new double[actual.Length];
        Array.Fill(absTol, OutputAbsTol);
        if (StatisticsLayout(fx, x.Length) is { } layout)
        {
            (int[] set, int[] param, int[] runningIndex, int sets) = layout;
            var sum = new double[sets];
            var count = new double[sets];
            var maxAbs = new double[sets];
            for (int i = 0; i < x.Length; i++)
            {
                sum[set[i]] += x[i];
                count[set[i]]++;
                maxAbs[set[i]] = Math.Max(maxAbs[set[i]], Math.Abs(x[i]));
            }

            var mean = new double[sets];
            var variance = new double[sets];
            bool batchStats = step.Training || !fx.TrackRunningStats;
            if (batchStats)
            {
                for (int k = 0; k < sets; k++)
                {
                    mean[k] = sum[k] / count[k];
                }

                for (int i = 0; i < x.Length; i++)
                {
                    double d = x[i] - mean[set[i]];
                    variance[set[i]] += d * d;
                }

                for (int k = 0; k < sets; k++)
                {
                    variance[k] /= count[k];
                }
            }
            else
            {
                for (int k = 0; k < sets; k++)
                {
                    mean[k] = runningMean![runningIndex[k]];
                    variance[k] = runningVar![runningIndex[k]];
                }
            }

            for (int i = 0; i < x.Length; i++)
            {
                int k = set[i];
                double gamma = fx.Weight is null ? 1.0 : Math.Abs(fx.Weight[param[i]]);
                double denominator = Math.Sqrt(variance[k] + fx.Eps);
                double alpha = denominator > 0 ? gamma / denominator : 0;
                absTol[i] += OutputConditionUlps * Float32Epsilon * alpha * Math.Max(maxAbs[k], Math.Abs(mean[k]));
            }
        }

        int bad = 0;
        int firstBad = -1;
        int worst = -1;
        double worstRatio = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double expected = expectedOutput[i];
            double tol = (OutputRelTol * Math.Abs(expected)) + absTol[i];
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
            sb.Append("\n    first: ").Append(OutputElement(fx, step, actual, absTol, firstBad));
            sb.Append("\n    worst: ").Append(OutputElement(fx, step, actual, absTol, worst));
            problems.Add(sb.ToString());
        }
    }

    private static string OutputElement(TorchFixture fx, FixtureStep step, float[] actual, double[] absTol, int i)
    {
        int s = fx.SampleSize;
        string where;
        if (fx.Family == "LayerNorm")
        {
            where = $"row={i / s}, element={i % s}";
        }
        else
        {
            int plane = s / fx.Channels;
            int ch = i % s / plane;
            string group = fx.Family == "GroupNorm" ? $", group={ch / (fx.Channels / fx.Groups)}" : "";
            where = $"n={i / s}, c={ch}{group}, spatial={i % plane}";
        }

        double expected = step.Output![i];
        double tol = (OutputRelTol * Math.Abs(expected)) + absTol[i];
        return string.Create(
            CultureInfo.InvariantCulture,
            $"output[{i}] ({where}, input {R(step.Input[i])}): expected {R(step.Output[i])}, actual {R(actual[i])}, |diff| {Math.Abs(actual[i] - expected):G3} > tol {tol:G3}");
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
