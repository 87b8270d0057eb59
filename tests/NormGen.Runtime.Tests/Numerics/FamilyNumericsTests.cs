using System;
using System.Linq;
using System.Numerics.Tensors;
using System.Reflection;
using Xunit;

namespace NormGen.Runtime.Tests.Numerics;

/// <summary>InstanceNorm1d with eps = 0 and affine, for batch_norm's inverse-std rule on constant instances.</summary>
[InstanceNorm1d(2, 6, Affine = true, Eps = 0)]
public partial class InEpsZero { }

/// <summary>
/// Every generated family configuration of FamilyLayers.cs (LayerNorm, GroupNorm, InstanceNorm1d/2d/3d, RMSNorm,
/// LocalResponseNorm) against the float64 <see cref="ReferenceFamily"/> / <see cref="ReferenceInstanceNorm"/>.
/// Tolerances and their justification are in <see cref="FamilyCompare"/>.
/// </summary>
public class FamilyNumericsTests
{
    private static readonly int[] Seeds = [1, 2, 3];

    /// <summary>Every configuration × seed × batch (row) count: 1 where allowed, 2, 3, 7 and a large one.</summary>
    public static TheoryData<string, int, int> Cases()
    {
        var data = new TheoryData<string, int, int>();
        foreach (FamilySpec spec in FamilyHarness.Specs.Values)
        {
            // Small samples get enough samples (rows) to fill several vectors; large ones 64.
            int large = spec.SampleSize <= 64 ? 1024 : 64;
            foreach (int seed in Seeds)
            {
                foreach (int batch in new[] { 1, 2, 3, 7, large })
                {
                    if (batch == 1 && spec.Name == "GnUnit")
                    {
                        continue; // one value per group: rejected (FamilyErrorTests)
                    }

                    data.Add(spec.Name, seed, batch);
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(FamilyHarness.AllNames), MemberType = typeof(FamilyHarness))]
    public void ConstantsMatchTheDeclaration(string name)
    {
        FamilyHarness layer = FamilyHarness.Create(name);
        FamilySpec spec = layer.Spec;
        Type type = layer.Layer.GetType();
        Assert.Equal(spec.SampleSize, layer.SampleSizeConstant);

        // The hand-written table must describe the attribute in FamilyLayers.cs, and the generated constants must agree.
        NormalizationAttribute? attribute = type.GetCustomAttribute<NormalizationAttribute>();
        Assert.NotNull(attribute);
        switch (attribute)
        {
            case LayerNormAttribute a:
                Assert.Equal(FamilyKind.LayerNorm, spec.Kind);
                Assert.Equal(spec.SampleShape, a.NormalizedShape);
                Assert.Equal(spec.Eps, a.Eps);
                Assert.Equal(spec.Affine, a.ElementwiseAffine);
                Assert.Equal(spec.HasBias, a.ElementwiseAffine && a.Bias);
                break;
            case RmsNormAttribute a:
                Assert.Equal(FamilyKind.RmsNorm, spec.Kind);
                Assert.Equal(spec.SampleShape, a.NormalizedShape);
                Assert.Equal(spec.Eps, a.Eps);
                Assert.Equal(spec.Affine, a.ElementwiseAffine);
                Assert.False(spec.HasBias);
                break;
            case GroupNormAttribute a:
                Assert.Equal(FamilyKind.GroupNorm, spec.Kind);
                Assert.Equal(spec.Groups, a.NumGroups);
                Assert.Equal(spec.SampleShape, new[] { a.NumChannels }.Concat(a.Spatial));
                Assert.Equal(spec.Eps, a.Eps);
                Assert.Equal(spec.Affine, a.Affine);
                Assert.Equal(spec.HasBias, a.Affine);
                Assert.Equal(spec.Groups, Constant<int>(type, "NumGroups"));
                Assert.Equal(spec.Channels, Constant<int>(type, "NumChannels"));
                break;
            case InstanceNormAttribute a:
                Assert.Equal(FamilyKind.InstanceNorm, spec.Kind);
                int[] spatial = a switch
                {
                    InstanceNorm1dAttribute d => [d.Length],
                    InstanceNorm2dAttribute d => [d.Height, d.Width],
                    InstanceNorm3dAttribute d => [d.Depth, d.Height, d.Width],
                    _ => throw new InvalidOperationException(a.GetType().Name),
                };
                Assert.Equal(spec.InstanceDims, spatial.Length);
                Assert.Equal(spec.SampleShape, new[] { a.NumFeatures }.Concat(spatial));
                Assert.Equal(spec.Eps, a.Eps);
                Assert.Equal(spec.Momentum, a.Momentum);
                Assert.Equal(spec.Affine, a.Affine);
                Assert.Equal(spec.HasBias, a.Affine);
                Assert.Equal(spec.TrackRunningStats, a.TrackRunningStats);
                Assert.Equal(spec.Channels, Constant<int>(type, "NumFeatures"));

                // momentum only matters with running statistics; a member that does not apply is not generated.
                if (spec.TrackRunningStats)
                {
                    Assert.Equal(spec.Momentum, Constant<double>(type, "Momentum"));
                }
                else
                {
                    Assert.Null(type.GetField("Momentum", BindingFlags.Public | BindingFlags.Static));
                }

                break;
            case LocalResponseNormAttribute a:
                Assert.Equal(FamilyKind.LocalResponseNorm, spec.Kind);
                Assert.Equal(spec.Size, a.Size);
                Assert.Equal(spec.SampleShape, new[] { a.NumChannels }.Concat(a.Spatial));
                Assert.Equal(spec.Alpha, a.Alpha);
                Assert.Equal(spec.Beta, a.Beta);
                Assert.Equal(spec.K, a.K);
                Assert.Equal(spec.Size, Constant<int>(type, "Size"));
                Assert.Equal(spec.Channels, Constant<int>(type, "NumChannels"));
                Assert.Equal(spec.Alpha, Constant<double>(type, "Alpha"));
                Assert.Equal(spec.Beta, Constant<double>(type, "Beta"));
                Assert.Equal(spec.K, Constant<double>(type, "K"));
                break;
            default:
                Assert.Fail($"{name}: unexpected attribute {attribute.GetType().Name}.");
                break;
        }

        if (spec.Kind != FamilyKind.LocalResponseNorm)
        {
            Assert.Equal(spec.Eps, Constant<double>(type, "Eps"));
        }
    }

    /// <summary>
    /// PyTorch's initial state and enumeration: training mode; weight 1 and bias 0 of the right shape (the full normalized
    /// shape for LayerNorm/RMSNorm, C otherwise); running_mean 0, running_var 1, num_batches_tracked 0; parameters and
    /// buffers under PyTorch's names in PyTorch's order; ResetParameters/ResetRunningStats restore all of it.
    /// </summary>
    [Theory]
    [MemberData(nameof(FamilyHarness.AllNames), MemberType = typeof(FamilyHarness))]
    public void InitialStateEnumerationAndReset(string name)
    {
        FamilyHarness layer = FamilyHarness.Create(name);
        FamilySpec spec = layer.Spec;
        Assert.True(layer.GetTraining());
        Assert.Equal(spec.Affine, layer.WeightParameter is not null);
        Assert.Equal(spec.HasBias, layer.BiasParameter is not null);
        Assert.Equal(spec.TrackRunningStats, layer.RunningMean is not null);
        AssertInitialState(layer);

        string[] expectedParameters = [.. spec.Affine ? new[] { "weight" } : [], .. spec.HasBias ? new[] { "bias" } : []];
        NamedParameters parameters = layer.NamedParameters();
        Assert.Equal(expectedParameters, parameters.Select(p => p.Name).ToArray());
        if (spec.Affine)
        {
            Assert.Same(layer.WeightParameter!(), parameters[0].Parameter);
            Assert.Equal(spec.ParameterShape, layer.WeightParameter!().Data.Lengths.ToArray());
        }

        if (spec.HasBias)
        {
            Assert.Same(layer.BiasParameter!(), parameters[1].Parameter);
            Assert.Equal(spec.ParameterShape, layer.BiasParameter!().Data.Lengths.ToArray());
        }

        string[] expectedBuffers = spec.TrackRunningStats ? ["running_mean", "running_var", "num_batches_tracked"] : [];
        NamedBuffers buffers = layer.NamedBuffers();
        Assert.Equal(expectedBuffers, buffers.Select(b => b.Name).ToArray());
        if (spec.TrackRunningStats)
        {
            Assert.Equal((nint)spec.Channels, buffers[0].Buffer.FlattenedLength);
            Assert.Equal((nint)spec.Channels, buffers[1].Buffer.FlattenedLength);
        }

        // Train with random parameters, then reset.
        var rng = new Random(11);
        FamilyData.RandomizeParameters(rng, layer);
        if (spec.Kind != FamilyKind.InstanceNorm || spec.PlaneSize > 1)
        {
            float[] x = FamilyData.OrdinaryInput(rng, spec, 3);
            layer.Forward(x, new float[x.Length]);
        }

        if (layer.RunningMean is not null)
        {
            layer.RunningMean()[0] = 5f;
            layer.RunningVar!()[0] = 7f;
            layer.ResetRunningStats!();
            Assert.All(layer.RunningMean().ToArray(), m => Assert.Equal(0f, m));
            Assert.All(layer.RunningVar!().ToArray(), v => Assert.Equal(1f, v));
            layer.RunningMean()[0] = 5f;
        }

        layer.ResetParameters();
        AssertInitialState(layer);
    }

    [Theory]
    [MemberData(nameof(FamilyHarness.AllNames), MemberType = typeof(FamilyHarness))]
    public void TrainAndEvalReturnTheLayerAndSetTheMode(string name)
    {
        FamilyHarness layer = FamilyHarness.Create(name);
        Assert.Same(layer.Layer, layer.Eval());
        Assert.False(layer.GetTraining());
        Assert.Same(layer.Layer, layer.Train(true));
        Assert.True(layer.GetTraining());
        Assert.Same(layer.Layer, layer.Train(false));
        Assert.False(layer.GetTraining());
    }

    /// <summary>
    /// Four training steps, each followed by an eval step on fresh data, against the reference: outputs, InstanceNorm's
    /// running statistics after every step (num_batches_tracked stays 0), and no other state change.
    /// Seed 1 keeps the initial parameters; seeds 2 and 3 set random γ, β; seed 3 also starts from random running statistics.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void TrainAndEvalMatchTheReference(string name, int seed, int batch)
    {
        var rng = new Random(StableSeed(name, seed, batch));
        FamilyHarness layer = FamilyHarness.Create(name);
        if (seed >= 2)
        {
            FamilyData.RandomizeParameters(rng, layer);
        }

        if (seed >= 3)
        {
            FamilyData.RandomizeRunningStats(rng, layer);
        }

        ReferenceInstanceNorm? reference = layer.Spec.Kind == FamilyKind.InstanceNorm ? layer.CreateInstanceReference() : null;
        for (int step = 1; step <= 4; step++)
        {
            string context = $"{name} seed {seed} N={batch} step {step}";
            if (!IsUnitInstanceNorm(layer.Spec))
            {
                Step(layer, reference, FamilyData.OrdinaryInput(rng, layer.Spec, batch), batch, training: true, context);
            }

            Step(layer, reference, FamilyData.OrdinaryInput(rng, layer.Spec, batch), batch, training: false, context + " eval");
        }
    }

    /// <summary>
    /// Large offset, tiny spread: every statistics slot (row, group, instance) has mean 1e4 + U(0, 10) and std 1e-2
    /// (GroupNorm: the channels of a group differ by ~1e-2 too). A one-pass or float-accumulated variance is destroyed
    /// here, and so is an output computed as x·α + (β − μ·α) in float; the outputs are held to the same 1e-5 of the
    /// output scale as ordinary data. InstanceNorm's running statistics start at 0, so running_var = m·mean_n(var_n)
    /// shows the variances the layer computed, to 1e-5.
    /// </summary>
    [Theory]
    [MemberData(nameof(FamilyHarness.AllNames), MemberType = typeof(FamilyHarness))]
    public void LargeMeanTinyStd(string name)
    {
        FamilySpec spec = FamilyHarness.Specs[name];
        foreach (int batch in new[] { 2, 7, spec.SampleSize <= 64 ? 1024 : 64 })
        {
            var rng = new Random(1000 + batch);
            FamilyHarness layer = FamilyHarness.Create(name);
            FamilyData.RandomizeParameters(rng, layer);
            if (layer.RunningMean is not null)
            {
                layer.RunningMean().Clear();
                layer.RunningVar!().Clear();
            }

            ReferenceInstanceNorm? reference = spec.Kind == FamilyKind.InstanceNorm ? layer.CreateInstanceReference() : null;
            for (int step = 1; step <= 2; step++)
            {
                string context = $"{name} mean 1e4 std 1e-2 N={batch} step {step}";
                if (!IsUnitInstanceNorm(spec))
                {
                    Step(layer, reference, FamilyData.LargeMeanInput(rng, spec, batch), batch, training: true, context);
                }

                Step(layer, reference, FamilyData.LargeMeanInput(rng, spec, batch), batch, training: false, context + " eval");
            }
        }
    }

    /// <summary>
    /// Constant statistics slots (variance exactly 0) mixed with ordinary ones, eps as declared, at N = 2, 3, 7: rows of
    /// LayerNorm, groups of GroupNorm (all channels of the group equal), instances of InstanceNorm normalize to exactly
    /// 0·γ + β = β (within the tolerance, which is 1e-5·|β| there), never NaN; for RMSNorm the constant rows include all-zero
    /// rows (mean square 0: y = 0); for LocalResponseNorm zero columns give y = 0 and constant ones y = c·(k + α·c²·w/n)^−β.
    /// The constants include 1e4 + 0.5 and values whose n-fold sum is inexact in float.
    /// </summary>
    [Theory]
    [MemberData(nameof(FamilyHarness.AllNames), MemberType = typeof(FamilyHarness))]
    public void ConstantSlots(string name)
    {
        float[] constants = [0.1f, -3.7f, 10000.5f, 0f, 7f, 1e-3f];
        FamilySpec spec = FamilyHarness.Specs[name];
        foreach (int batch in new[] { 2, 3, 7 })
        {
            var rng = new Random(2000 + batch);
            FamilyHarness layer = FamilyHarness.Create(name);
            FamilyData.RandomizeParameters(rng, layer);
            ReferenceInstanceNorm? reference = spec.Kind == FamilyKind.InstanceNorm ? layer.CreateInstanceReference() : null;
            for (int step = 1; step <= 3; step++)
            {
                float[] x = FamilyData.OrdinaryInput(rng, spec, batch);
                int slots = x.Length / spec.SlotLength;
                var constantSlots = new bool[slots];
                for (int s = 0; s < slots; s += 2)
                {
                    constantSlots[s] = true;
                    x.AsSpan(s * spec.SlotLength, spec.SlotLength).Fill(constants[(s / 2 + step) % constants.Length]);
                }

                string context = $"{name} constant slots N={batch} step {step}";
                float[] y = Step(layer, reference, x, batch, training: !IsUnitInstanceNorm(spec), context);
                Assert.All(y, v => Assert.True(float.IsFinite(v), $"{context}: non-finite output {v}"));
                if (spec.Kind is FamilyKind.LayerNorm or FamilyKind.GroupNorm or FamilyKind.InstanceNorm && !IsUnitInstanceNorm(spec))
                {
                    // y = β exactly in the reference; the layer computes (x − shift)·scale + offset with x − shift = 0.
                    for (int s = 0; s < slots; s++)
                    {
                        if (!constantSlots[s])
                        {
                            continue;
                        }

                        for (int i = s * spec.SlotLength; i < (s + 1) * spec.SlotLength; i++)
                        {
                            double beta = BetaOf(layer, i);
                            Assert.True(Math.Abs(y[i] - beta) <= Compare.OutputRelative * Math.Abs(beta), $"{context}: constant slot {s}, element {spec.Describe(i)} is {y[i]:R}, expected β = {beta:R}.");
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// PyTorch's InstanceNorm is batch_norm on (1, N·C, *) (pytorch-norms.md §2.3), so its instance statistics go through
    /// batch_norm's InvStd rule (§8 item 4, the rule BatchNorm follows here too): var = 0 with eps = 0 gives invstd 0, and
    /// a constant instance normalizes to 0·γ + β = β exactly, not NaN. The other instances are ordinary.
    /// </summary>
    [Fact]
    public void InstanceNormWithEpsZeroMapsConstantInstancesToBeta()
    {
        var layer = new InEpsZero();
        layer.Weight.DataSpan[0] = 1.5f;
        layer.Weight.DataSpan[1] = -0.75f;
        layer.Bias.DataSpan[0] = 0.25f;
        layer.Bias.DataSpan[1] = -2f;
        var rng = new Random(8100);
        const int batch = 3;
        var x = new float[batch * InEpsZero.SampleSize];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)TestData.Normal(rng);
        }

        x.AsSpan(0, 6).Fill(3.25f);            // (n=0, c=0)
        x.AsSpan(3 * 6, 6).Fill(0.1f);         // (n=1, c=1)
        x.AsSpan(4 * 6, 6).Fill(10000.5f);     // (n=2, c=0)
        var reference = new ReferenceInstanceNorm(2, 6, eps: 0, momentum: 0.1, affine: true, trackRunningStats: false);
        reference.Weight![0] = 1.5;
        reference.Weight[1] = -0.75;
        reference.Bias![0] = 0.25;
        reference.Bias[1] = -2;
        ReferenceFamily.Result expected = reference.Forward(x, batch);
        var y = new float[x.Length];
        layer.Forward(x, y);
        foreach ((int slot, float beta) in new[] { (0, 0.25f), (3, -2f), (4, 0.25f) })
        {
            for (int i = slot * 6; i < (slot + 1) * 6; i++)
            {
                Assert.True(y[i] == beta, $"InEpsZero: constant instance {slot}, element {i} is {y[i]:R}; PyTorch (batch_norm's InvStd rule) gives β = {beta:R}.");
            }
        }

        var spec = new FamilySpec("InEpsZero", FamilyKind.InstanceNorm, [2, 6], Eps: 0, Affine: true, HasBias: true, InstanceDims: 1);
        FamilyCompare.Outputs(spec, expected, x, y, "InEpsZero");
    }

    /// <summary>
    /// Outside batch_norm PyTorch has no inverse-std rule: LayerNorm's kernel takes rstd = 1/√(var + eps) and GroupNorm's
    /// 1/√(max(var, 0) + eps) (pytorch-norms.md §4.3, §4.4), RMSNorm rsqrt(mean(x²) + eps) (§2.4). With eps = 0 a constant
    /// row/group (a zero row for RMSNorm) gets rstd = ∞ and y = (x − μ)·∞ = 0·∞ = NaN, while the other slots are
    /// ordinary. (InstanceNorm goes through batch_norm and gives β instead: see the test above.)
    /// </summary>
    [Fact]
    public void EpsZeroConstantSlotsOfLayerNormGroupNormRmsNormAreNaNAsInPyTorch()
    {
        var rng = new Random(8200);
        var failures = new System.Collections.Generic.List<string>();
        void Check(string name, SpanForward forward, int length, int slotLength, float constant)
        {
            var x = new float[length];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = (float)TestData.Normal(rng);
            }

            x.AsSpan(slotLength, slotLength).Fill(constant); // slot 1
            var y = new float[x.Length];
            forward(x, y);
            for (int i = 0; i < y.Length; i++)
            {
                bool inConstantSlot = i / slotLength == 1;
                if (inConstantSlot != float.IsNaN(y[i]))
                {
                    failures.Add($"{name}: element {i} ({(inConstantSlot ? "constant" : "ordinary")} slot) is {y[i]:R}; PyTorch gives {(inConstantSlot ? "NaN" : "a finite value")}.");
                    return;
                }
            }
        }

        Check(nameof(AccLn4096), new AccLn4096().Forward, 3 * 4096, 4096, 2.5f);
        Check(nameof(AccGn32x64x64), new AccGn32x64x64().Forward, AccGn32x64x64.SampleSize, 4 * 4096, -1.25f);
        Check(nameof(AccRms4096), new AccRms4096().Forward, 3 * 4096, 4096, 0f);
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    /// <summary>
    /// NaN, +∞, −∞, and +∞ with −∞ in one slot: the outputs follow the float64 reference exactly in kind (NaN where it is
    /// NaN, ±∞ where it is ±∞) and are within tolerance elsewhere. For NaN the affected region is also written out by hand:
    /// the whole statistics slot for LayerNorm/RMSNorm/GroupNorm/InstanceNorm (the rest stays finite), and for
    /// LocalResponseNorm the same position of the channels whose window contains the poisoned channel
    /// (c − ⌊(size−1)/2⌋ … c + ⌊size/2⌋). InstanceNorm's running statistics of the poisoned channel become NaN (running_var)
    /// or non-finite (running_mean, see <see cref="OneInfiniteInputMakesTheInstanceNormRunningMeanInfinite"/>); in eval
    /// with running statistics only the poisoned element is non-finite.
    /// </summary>
    [Theory]
    [MemberData(nameof(FamilyHarness.AllNames), MemberType = typeof(FamilyHarness))]
    public void NonFiniteInputsPropagate(string name)
    {
        FamilySpec spec = FamilyHarness.Specs[name];
        (float First, float Second)[] poisons =
        [
            (float.NaN, 0f), (float.PositiveInfinity, 0f), (float.NegativeInfinity, 0f), (float.PositiveInfinity, float.NegativeInfinity),
        ];
        const int batch = 3;
        foreach ((float first, float second) in poisons)
        {
            string context = $"{name} poison {first}/{second}";
            var rng = new Random(3000);
            FamilyHarness layer = FamilyHarness.Create(name);
            FamilyData.RandomizeParameters(rng, layer);
            ReferenceInstanceNorm? reference = spec.Kind == FamilyKind.InstanceNorm ? layer.CreateInstanceReference() : null;

            // Poison sample 1 in the last channel (last slot of the sample for the row-wise layers); the second value
            // goes to the last element of the same statistics slot.
            float[] x = FamilyData.OrdinaryInput(rng, spec, batch);
            int slotLength = spec.SlotLength;
            int at = spec.IsRowwise ? 1 * spec.SampleSize + 2 % spec.SampleSize : spec.Index(1, spec.Channels - 1, 0);
            int slot = at / slotLength;
            x[at] = first;
            if (second != 0)
            {
                x[(slot + 1) * slotLength - 1 == at ? slot * slotLength : (slot + 1) * slotLength - 1] = second;
            }

            bool training = !IsUnitInstanceNorm(spec);
            float[] y = Step(layer, reference, x, batch, training, context, skipMeanOf: spec.Channels - 1);
            if (float.IsNaN(first))
            {
                for (int i = 0; i < y.Length; i++)
                {
                    bool affected = spec.Kind == FamilyKind.LocalResponseNorm
                        ? LrnWindowContains(spec, i, at)
                        : training ? i / slotLength == slot : i == at;
                    Assert.True(affected ? float.IsNaN(y[i]) : float.IsFinite(y[i]), $"{context}: output {spec.Describe(i)} = {y[i]}");
                }
            }

            if (spec.TrackRunningStats && training)
            {
                int c = spec.Channels - 1;
                Assert.True(float.IsNaN(layer.RunningVar!()[c]), $"{context}: running_var[{c}] = {layer.RunningVar!()[c]}");
                Assert.False(float.IsFinite(layer.RunningMean!()[c]), $"{context}: running_mean[{c}] = {layer.RunningMean!()[c]}");
            }

            if (spec.TrackRunningStats)
            {
                // Eval with running statistics: restore finite statistics, poison one element.
                int c = spec.Channels - 1;
                layer.RunningMean!()[c] = 0.5f;
                layer.RunningVar!()[c] = 2f;
                float[] x2 = FamilyData.OrdinaryInput(rng, spec, batch);
                int at2 = spec.Index(1, c, 0);
                x2[at2] = first;
                float[] y2 = Step(layer, null, x2, batch, training: false, context + " eval");
                for (int i = 0; i < y2.Length; i++)
                {
                    Assert.Equal(i != at2, float.IsFinite(y2[i]));
                }
            }
        }
    }

    /// <summary>
    /// PyTorch's InstanceNorm is batch_norm on (1, N·C, *), which sums each instance in double: one +∞ (−∞) value gives
    /// the instance mean +∞ (−∞), so running_mean = mean_n((1 − m)·running_mean + m·μ_n) = ±∞ (only running_var becomes
    /// NaN, through (x − mean)²). The same as BatchNorm's behaviour (BatchNormNumericsTests).
    /// </summary>
    [Theory]
    [MemberData(nameof(FamilyHarness.TrackingNames), MemberType = typeof(FamilyHarness))]
    public void OneInfiniteInputMakesTheInstanceNormRunningMeanInfinite(string name)
    {
        FamilySpec spec = FamilyHarness.Specs[name];
        if (IsUnitInstanceNorm(spec))
        {
            return; // no training forward at all
        }

        foreach (float infinity in new[] { float.PositiveInfinity, float.NegativeInfinity })
        {
            foreach (int n in new[] { 0, 2 })
            {
                const int batch = 3;
                var rng = new Random(3100);
                FamilyHarness layer = FamilyHarness.Create(name);
                float[] x = FamilyData.OrdinaryInput(rng, spec, batch);
                x[spec.Index(n, 0, 0)] = infinity;
                layer.Forward(x, new float[x.Length]);
                float runningMean = layer.RunningMean!()[0];
                Assert.True(runningMean == infinity, $"{name}: with {infinity} in sample {n}, running_mean[0] is {runningMean}; PyTorch's instance mean (a double sum) gives {infinity}.");
                Assert.True(float.IsNaN(layer.RunningVar!()[0]));
                Assert.True(float.IsFinite(layer.RunningMean!()[1]) && float.IsFinite(layer.RunningVar!()[1]));
            }
        }
    }

    /// <summary>In-place forward (the same span as input and output) gives bit-for-bit the out-of-place result and state.</summary>
    [Theory]
    [MemberData(nameof(FamilyHarness.AllNames), MemberType = typeof(FamilyHarness))]
    public void InPlaceForwardMatchesOutOfPlace(string name)
    {
        FamilySpec spec = FamilyHarness.Specs[name];
        FamilyHarness outOfPlace = FamilyHarness.Create(name);
        FamilyHarness inPlace = FamilyHarness.Create(name);
        var rng = new Random(7000);
        FamilyData.RandomizeParameters(rng, outOfPlace);
        CopyParameters(outOfPlace, inPlace);
        foreach ((int batch, bool training) in new[] { (3, true), (7, true), (2, false), (5, false), (64, true) })
        {
            if (training && IsUnitInstanceNorm(spec))
            {
                continue;
            }

            outOfPlace.Train(training);
            inPlace.Train(training);
            float[] x = FamilyData.OrdinaryInput(rng, spec, batch);
            var expected = new float[x.Length];
            outOfPlace.Forward(x, expected);
            inPlace.Forward(x, x);
            AssertSameBits(expected, x, $"{name} N={batch} training={training} in place");
            inPlace.AssertState(outOfPlace.Capture(), name);
        }
    }

    /// <summary>
    /// Layers without running statistics compute the same thing in both modes (PyTorch: LayerNorm, GroupNorm, RMSNorm and
    /// LocalResponseNorm ignore the flag; InstanceNorm without tracking uses instance statistics in eval too), bit for bit.
    /// </summary>
    [Theory]
    [MemberData(nameof(FamilyHarness.AllNames), MemberType = typeof(FamilyHarness))]
    public void EvalEqualsTrainWithoutRunningStats(string name)
    {
        FamilySpec spec = FamilyHarness.Specs[name];
        if (spec.TrackRunningStats)
        {
            return;
        }

        FamilyHarness layer = FamilyHarness.Create(name);
        var rng = new Random(7100);
        FamilyData.RandomizeParameters(rng, layer);
        float[] x = FamilyData.OrdinaryInput(rng, spec, 5);
        var trained = new float[x.Length];
        var evaluated = new float[x.Length];
        layer.Forward(x, trained);
        layer.Eval();
        layer.Forward(x, evaluated);
        AssertSameBits(trained, evaluated, $"{name} eval vs train");
    }

    /// <summary>
    /// The tensor overloads compute exactly what the span overload computes, on twin layers (two training steps, one eval
    /// step), for the full shape (N, ...), for LayerNorm/RMSNorm with several leading dimensions (2, 3, ...) and with none
    /// (one row), and for InstanceNorm's unbatched (C, spatial...) form, which is N = 1. <c>Forward(Tensor)</c> returns
    /// a new tensor of the input's shape and leaves the input untouched.
    /// </summary>
    [Theory]
    [MemberData(nameof(FamilyHarness.AllNames), MemberType = typeof(FamilyHarness))]
    public void TensorOverloadsMatchTheSpanOverload(string name)
    {
        FamilySpec spec = FamilyHarness.Specs[name];
        var shapes = new System.Collections.Generic.List<(nint[] Shape, bool Training)>
        {
            (spec.Shape(3), true), (spec.Shape(2), true), (spec.Shape(5), false),
        };
        if (spec.IsRowwise)
        {
            shapes.Add(([2, 3, .. spec.SampleShape.Select(d => (nint)d)], true));
            shapes.Add((spec.SampleShape.Select(d => (nint)d).ToArray(), true));
            shapes.Add(([1, 2, 2, .. spec.SampleShape.Select(d => (nint)d)], false));
        }

        if (spec.Kind == FamilyKind.InstanceNorm)
        {
            shapes.Add((spec.SampleShape.Select(d => (nint)d).ToArray(), true));
            shapes.Add((spec.SampleShape.Select(d => (nint)d).ToArray(), false));
        }

        FamilyHarness bySpan = FamilyHarness.Create(name), byTensor = FamilyHarness.Create(name), byTensorSpan = FamilyHarness.Create(name);
        var rng = new Random(7200);
        FamilyData.RandomizeParameters(rng, bySpan);
        CopyParameters(bySpan, byTensor);
        CopyParameters(bySpan, byTensorSpan);
        foreach ((nint[] shape, bool training) in shapes)
        {
            if (training && IsUnitInstanceNorm(spec))
            {
                continue;
            }

            bySpan.Train(training);
            byTensor.Train(training);
            byTensorSpan.Train(training);
            int count = checked((int)shape.Aggregate((nint)1, (a, b) => a * b));
            float[] input = FamilyData.OrdinaryInput(rng, spec, count / spec.SampleSize);
            float[] copy = (float[])input.Clone();
            string context = $"{name} shape [{string.Join(", ", shape)}] training={training}";

            var expected = new float[count];
            bySpan.Forward(input, expected);

            Tensor<float> result = byTensor.ForwardTensor(Tensor.Create(input, shape));
            Assert.Equal(shape, result.Lengths.ToArray());
            AssertSameBits(expected, TensorExtensions.AsSpan(result).ToArray(), context + " Forward(Tensor)");
            Assert.Equal(copy, input);

            var viaTensorSpan = new float[count];
            byTensorSpan.ForwardTensorSpan(new ReadOnlyTensorSpan<float>(input, shape), new TensorSpan<float>(viaTensorSpan, shape));
            AssertSameBits(expected, viaTensorSpan, context + " Forward(TensorSpan)");
            Assert.Equal(copy, input);
        }

        LayerState state = bySpan.Capture();
        byTensor.AssertState(state, name);
        byTensorSpan.AssertState(state, name);
    }

    /// <summary>
    /// InstanceNorm's running statistics written out directly, independently of the reference's per-copy form:
    /// running = (1 − m)·running + m·(mean over the batch of the per-sample mean / unbiased per-sample variance),
    /// and num_batches_tracked stays 0. In eval the layer normalizes with them.
    /// </summary>
    [Theory]
    [MemberData(nameof(FamilyHarness.TrackingNames), MemberType = typeof(FamilyHarness))]
    public void InstanceNormRunningStatisticsAreMeansOfPerSampleStatistics(string name)
    {
        FamilySpec spec = FamilyHarness.Specs[name];
        if (IsUnitInstanceNorm(spec))
        {
            return;
        }

        FamilyHarness layer = FamilyHarness.Create(name);
        var rng = new Random(5000);
        const int batch = 5;
        double m = spec.Momentum;
        var expectedMean = new double[spec.Channels];
        var expectedVar = Enumerable.Repeat(1.0, spec.Channels).ToArray();
        ReferenceFamily.SlotMoments? last = null;
        for (int t = 0; t < 3; t++)
        {
            float[] x = FamilyData.OrdinaryInput(rng, spec, batch);
            layer.Forward(x, new float[x.Length]);
            last = ReferenceFamily.Moments(x, spec.PlaneSize);
            for (int c = 0; c < spec.Channels; c++)
            {
                double meanOfMeans = Enumerable.Range(0, batch).Average(n => last.Mean[n * spec.Channels + c]);
                double meanOfVars = Enumerable.Range(0, batch).Average(n => last.UnbiasedVar[n * spec.Channels + c]);
                expectedMean[c] = (1 - m) * expectedMean[c] + m * meanOfMeans;
                expectedVar[c] = (1 - m) * expectedVar[c] + m * meanOfVars;
            }

            Assert.Equal(0L, layer.NumBatchesTracked!());
        }

        for (int c = 0; c < spec.Channels; c++)
        {
            double sigma = Enumerable.Range(0, batch).Average(n => Math.Sqrt(last!.BiasedVar[n * spec.Channels + c]));
            Compare.Value(expectedMean[c], layer.RunningMean!()[c], Compare.StateRelative * (Math.Abs(expectedMean[c]) + sigma), $"{name} running_mean[{c}]");
            Compare.Value(expectedVar[c], layer.RunningVar!()[c], Compare.StateRelative * expectedVar[c], $"{name} running_var[{c}]");
        }

        // Eval normalizes with them: y = (x − running_mean)/√(running_var + eps)·γ + β.
        layer.Eval();
        float[] probe = FamilyData.OrdinaryInput(rng, spec, 2);
        var y = new float[probe.Length];
        layer.Forward(probe, y);
        for (int i = 0; i < probe.Length; i++)
        {
            int c = i / spec.PlaneSize % spec.Channels;
            double gamma = layer.Weight?.Invoke()[c] ?? 1.0, beta = layer.Bias?.Invoke()[c] ?? 0.0;
            double xHat = (probe[i] - layer.RunningMean!()[c]) / Math.Sqrt(layer.RunningVar!()[c] + spec.Eps);

            // fl(x − running_mean), the float scale γ/√(var + eps), the product and the sum each round by ≤ 2^-24
            // relative to |γ·x̂| or |y|, so |γ|·|x̂| + |β| of this element bounds the error's scale.
            Compare.Value(xHat * gamma + beta, y[i], Compare.OutputRelative * (Math.Abs(gamma * xHat) + Math.Abs(beta)), $"{name} eval output {spec.Describe(i)}");
        }
    }

    /// <summary>
    /// N = 0 (no rows) is valid: empty output through all three overloads, in both modes, and no state change.
    /// Not asserted: InstanceNorm's running statistics after an empty training batch. NormGen leaves them unchanged;
    /// PyTorch's instance_norm writes back the mean over the N = 0 repeated copies, which by a reading of
    /// Normalization.cpp would be NaN (not observed here, no fixture covers it).
    /// </summary>
    [Theory]
    [MemberData(nameof(FamilyHarness.AllNames), MemberType = typeof(FamilyHarness))]
    public void EmptyBatch(string name)
    {
        FamilyHarness layer = FamilyHarness.Create(name);
        FamilySpec spec = layer.Spec;
        FamilyData.RandomizeParameters(new Random(6000), layer);
        foreach (bool training in new[] { true, false })
        {
            if (training && IsUnitInstanceNorm(spec))
            {
                continue; // PyTorch rejects one spatial element whatever N is
            }

            layer.Train(training);
            LayerState before = layer.Capture();
            layer.Forward(ReadOnlySpan<float>.Empty, Span<float>.Empty);
            Tensor<float> result = layer.ForwardTensor(Tensor.Create(Array.Empty<float>(), spec.Shape(0)));
            Assert.Equal(spec.Shape(0), result.Lengths.ToArray());
            layer.ForwardTensorSpan(new ReadOnlyTensorSpan<float>(Array.Empty<float>(), spec.Shape(0)), new TensorSpan<float>(Array.Empty<float>(), spec.Shape(0)));
            if (!(training && spec.TrackRunningStats))
            {
                layer.AssertState(before, $"{name} N=0 training={training}");
            }

            Assert.Equal(0L, layer.NumBatchesTracked?.Invoke() ?? 0L);
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Steps and data

    /// <summary>
    /// One forward of the layer in the given mode, checked against the reference: InstanceNorm training steps use (and
    /// advance) <paramref name="reference"/>; InstanceNorm eval steps use a reference loaded with the layer's own (already
    /// verified) parameters and running statistics, so that they isolate the eval computation; the other kinds are
    /// stateless. Afterwards the state must be unchanged, except InstanceNorm's running statistics in training, which
    /// are compared with the reference's.
    /// </summary>
    private static float[] Step(FamilyHarness layer, ReferenceInstanceNorm? reference, float[] x, int batch, bool training, string context, int skipMeanOf = -1)
    {
        FamilySpec spec = layer.Spec;
        layer.Train(training);
        LayerState before = layer.Capture();
        ReferenceFamily.Result expected;
        ReferenceInstanceNorm? instance = null;
        if (spec.Kind == FamilyKind.InstanceNorm)
        {
            instance = training ? reference! : layer.CreateInstanceReference();
            instance.Training = training;
            expected = instance.Forward(x, batch);
        }
        else
        {
            expected = layer.StatelessReference(x);
        }

        var actual = new float[x.Length];
        layer.Forward(x, actual);
        FamilyCompare.Outputs(spec, expected, x, actual, context);
        if (training && spec.TrackRunningStats)
        {
            FamilyCompare.RunningStats(layer, instance!, instance!.LastMoments, context, skipMeanOf);
            LayerState after = layer.Capture();
            layer.AssertState(before with { RunningMean = after.RunningMean, RunningVar = after.RunningVar }, context);
        }
        else
        {
            layer.AssertState(before, context);
        }

        return actual;
    }

    private static void CopyParameters(FamilyHarness from, FamilyHarness to)
    {
        from.Weight?.Invoke().CopyTo(to.Weight!());
        from.Bias?.Invoke().CopyTo(to.Bias!());
        from.RunningMean?.Invoke().CopyTo(to.RunningMean!());
        from.RunningVar?.Invoke().CopyTo(to.RunningVar!());
    }

    private static void AssertInitialState(FamilyHarness layer)
    {
        FamilySpec spec = layer.Spec;
        if (layer.Weight is not null)
        {
            Assert.Equal(spec.ParameterLength, layer.Weight().Length);
            Assert.All(layer.Weight().ToArray(), w => Assert.Equal(1f, w));
        }

        if (layer.Bias is not null)
        {
            Assert.Equal(spec.ParameterLength, layer.Bias().Length);
            Assert.All(layer.Bias().ToArray(), b => Assert.Equal(0f, b));
        }

        if (layer.RunningMean is not null)
        {
            Assert.Equal(spec.Channels, layer.RunningMean().Length);
            Assert.All(layer.RunningMean().ToArray(), m => Assert.Equal(0f, m));
            Assert.All(layer.RunningVar!().ToArray(), v => Assert.Equal(1f, v));
            Assert.Equal(0L, layer.NumBatchesTracked!());
        }
    }

    /// <summary>β of the element at flat index <paramref name="i"/> (0 without bias).</summary>
    private static double BetaOf(FamilyHarness layer, int i)
    {
        if (layer.Bias is null)
        {
            return 0;
        }

        FamilySpec spec = layer.Spec;
        return spec.IsRowwise ? layer.Bias()[i % spec.SampleSize] : layer.Bias()[i / spec.PlaneSize % spec.Channels];
    }

    /// <summary>Whether LocalResponseNorm's output <paramref name="i"/> reads input <paramref name="poisoned"/>.</summary>
    private static bool LrnWindowContains(FamilySpec spec, int i, int poisoned)
    {
        int n = i / spec.SampleSize, c = i % spec.SampleSize / spec.PlaneSize, p = i % spec.PlaneSize;
        int pn = poisoned / spec.SampleSize, pc = poisoned % spec.SampleSize / spec.PlaneSize, pp = poisoned % spec.PlaneSize;
        return n == pn && p == pp && c >= pc - (spec.Size - 1) / 2 && c <= pc + spec.Size / 2;
    }

    /// <summary>InstanceNorm with one spatial element: only eval with running statistics can run.</summary>
    private static bool IsUnitInstanceNorm(FamilySpec spec) => spec.Kind == FamilyKind.InstanceNorm && spec.PlaneSize == 1;

    private static T Constant<T>(Type type, string name)
    {
        FieldInfo? field = type.GetField(name, BindingFlags.Public | BindingFlags.Static);
        Assert.True(field is { IsLiteral: true }, $"{type.Name} has no public constant {name}.");
        return (T)field.GetRawConstantValue()!;
    }

    private static void AssertSameBits(float[] expected, float[] actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{context}: element {i} is {actual[i]:R}, expected {expected[i]:R}.");
            }
        }
    }

    /// <summary>A seed that does not depend on the process (string.GetHashCode is randomized).</summary>
    private static int StableSeed(string name, int seed, int batch)
    {
        int hash = 17;
        foreach (char ch in name)
        {
            hash = unchecked(hash * 31 + ch);
        }

        return unchecked((hash * 31 + seed) * 31 + batch) & 0x7fffffff;
    }
}
