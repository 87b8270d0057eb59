using System;
using System.Collections.Generic;
using System.Linq;
using NormGen.Optim;
using NormGen.Runtime.Tests.Layers;
using Xunit;

namespace NormGen.Runtime.Tests.Optim;

/// <summary>
/// <see cref="ParameterGroups.WithWeightDecayExemptions"/> on a mix of generated normalization layers (their
/// weights and biases have <c>WeightDecay = false</c>, set by the generator) and plain parameters: the groups follow
/// the flag only, never rank or name, and a step decays only the decay group.
/// </summary>
public sealed class WeightDecayGroupingTests
{
    /// <summary>
    /// A small "module": linear-like weights feeding two BatchNorms, a 1-D bias that is decayed on purpose (timm's
    /// rank/name rule would exempt it), and a shared parameter listed twice.
    /// </summary>
    private sealed class Mix
    {
        public readonly Parameter Fc1Weight = Fill(new Parameter([4, 3], weightDecay: true), 1);
        public readonly Bn2d Bn1 = new();
        public readonly Parameter Fc2Weight = Fill(new Parameter([3, 4], weightDecay: true), 2);
        public readonly Parameter Fc2Bias = Fill(new Parameter([4], weightDecay: true), 3);
        public readonly Bn1dFlat Bn2 = new();

        public List<(string Name, Parameter Parameter)> NamedParameters()
        {
            var list = new List<(string, Parameter)> { ("fc1.weight", Fc1Weight) };
            list.AddRange(Bn1.NamedParameters().AsSpan().ToArray().Select(e => ("bn1." + e.Name, e.Parameter)));
            list.Add(("fc2.weight", Fc2Weight));
            list.Add(("fc2.bias", Fc2Bias));
            list.AddRange(Bn2.NamedParameters().AsSpan().ToArray().Select(e => ("bn2." + e.Name, e.Parameter)));
            list.Add(("tied.weight", Fc1Weight)); // shared: listed again under another name
            return list;
        }

        public Parameter[] Decayed => [Fc1Weight, Fc2Weight, Fc2Bias];

        public Parameter[] Exempt => [Bn1.Weight, Bn1.Bias, Bn2.Weight, Bn2.Bias];
    }

    private static Parameter Fill(Parameter p, int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < p.Count; i++)
        {
            p.DataSpan[i] = (float)(random.NextDouble() * 2 - 1);
        }

        return p;
    }

    private static Dictionary<Parameter, float[]> Snapshot(IEnumerable<Parameter> ps)
        => ps.Distinct().ToDictionary(p => p, p => p.DataSpan.ToArray()); // Parameter has reference equality

    [Fact]
    public void GeneratedNormalizationParametersAreFlaggedNoDecay()
    {
        var bn = new Bn2d();
        Assert.False(bn.Weight.WeightDecay);
        Assert.False(bn.Bias.WeightDecay);
        Assert.True(new Parameter([4, 3], weightDecay: true).WeightDecay);
    }

    [Fact]
    public void GroupsFollowTheFlagInOrder()
    {
        var mix = new Mix();
        ParameterGroup[] groups = ParameterGroups.WithWeightDecayExemptions(mix.NamedParameters(), 0.05);

        Assert.Equal(2, groups.Length);
        Assert.Equal(0.0, groups[0].WeightDecay);
        Assert.Equal(0.05, groups[1].WeightDecay);
        Assert.Null(groups[0].Lr);
        Assert.Null(groups[1].Lr);

        // Order of first appearance; the shared weight is kept once.
        Assert.Equal(mix.Exempt, groups[0].Parameters);
        Assert.Equal(mix.Decayed, groups[1].Parameters);
    }

    [Fact]
    public void OptInFlagMovesANormalizationParameterToTheDecayGroup()
    {
        // What a per-layer attribute opt-in will produce: the flag set to true on a normalization weight.
        var mix = new Mix();
        mix.Bn2.Weight.WeightDecay = true;
        ParameterGroup[] groups = ParameterGroups.WithWeightDecayExemptions(mix.NamedParameters(), 0.05);
        Assert.Equal([mix.Bn1.Weight, mix.Bn1.Bias, mix.Bn2.Bias], groups[0].Parameters);
        Assert.Equal([mix.Fc1Weight, mix.Fc2Weight, mix.Fc2Bias, mix.Bn2.Weight], groups[1].Parameters);
    }

    [Fact]
    public void AdamWStepDecaysOnlyTheDecayGroup()
    {
        // Zero gradients: the Adam update is exactly 0 (m = 0), so only the decoupled decay p * (1 - lr * wd) acts.
        var mix = new Mix();
        const double lr = 0.1, wd = 0.5;
        var adam = new AdamW(ParameterGroups.WithWeightDecayExemptions(mix.NamedParameters(), wd), lr: lr);
        Dictionary<Parameter, float[]> before = Snapshot(mix.Decayed.Concat(mix.Exempt));
        adam.Step();

        foreach (Parameter p in mix.Exempt)
        {
            Assert.Equal(before[p], p.DataSpan.ToArray());
        }

        float factor = (float)(1 - lr * wd);
        foreach (Parameter p in mix.Decayed)
        {
            Assert.Equal(before[p].Select(x => x * factor).ToArray(), p.DataSpan.ToArray());
        }
    }

    [Fact]
    public void SgdStepDecaysOnlyTheDecayGroup()
    {
        // Zero gradients: coupled L2 gives p - lr * (wd * p) for the decay group and leaves the exempt group alone,
        // even with momentum (the buffer starts as the decayed gradient).
        var mix = new Mix();
        const double lr = 0.1, wd = 0.5;
        var sgd = new Sgd(ParameterGroups.WithWeightDecayExemptions(mix.NamedParameters(), wd), lr, momentum: 0.9);
        Dictionary<Parameter, float[]> before = Snapshot(mix.Decayed.Concat(mix.Exempt));
        sgd.Step();

        foreach (Parameter p in mix.Exempt)
        {
            Assert.Equal(before[p], p.DataSpan.ToArray());
        }

        foreach (Parameter p in mix.Decayed)
        {
            float[] expected = before[p].Select(x => MathF.FusedMultiplyAdd(x * (float)wd, (float)-lr, x)).ToArray();
            Assert.Equal(expected, p.DataSpan.ToArray());
        }
    }

    [Fact]
    public void ModelWithoutNormalizationGetsAnEmptyExemptGroup()
    {
        var w = new Parameter([2, 2], weightDecay: true);
        ParameterGroup[] groups = ParameterGroups.WithWeightDecayExemptions([("w", w)], 1e-2);
        Assert.Empty(groups[0].Parameters);
        Assert.Equal([w], groups[1].Parameters);
        var adam = new AdamW(groups);
        adam.Step();
    }
}
