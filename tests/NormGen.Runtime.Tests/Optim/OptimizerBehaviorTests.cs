using System;
using NormGen.Optim;
using Xunit;

namespace NormGen.Runtime.Tests.Optim;

/// <summary>
/// ZeroGrad, allocation-free steady state, gradients left untouched, settings changed between steps, and the
/// blocked (vectorized) update against a scalar float32 reference on parameters longer than one block.
/// </summary>
public sealed class OptimizerBehaviorTests
{
    // Longer than several 256- and 512-element blocks, with a tail that is not a multiple of any vector width.
    private const int LongLength = 1031;

    private static Parameter Filled(int length, int seed, bool weightDecay = true)
    {
        var p = new Parameter([length], weightDecay);
        var random = new Random(seed);
        for (int i = 0; i < length; i++)
        {
            p.DataSpan[i] = (float)(random.NextDouble() * 4 - 2);
        }

        return p;
    }

    private static void FillGrad(Parameter p, int seed, double scale)
    {
        var random = new Random(seed);
        for (int i = 0; i < p.Count; i++)
        {
            p.GradSpan[i] = (float)((random.NextDouble() * 2 - 1) * scale);
        }

        p.GradSpan[seed % p.Count] = 0;
    }

    [Fact]
    public void APlainListBecomesOneGroupWithoutOverrides()
    {
        Parameter a = Filled(3, 70), b = Filled(4, 71);
        var sgd = new Sgd([a, b], 0.1, momentum: 0.5);
        ParameterGroup group = Assert.Single(sgd.ParameterGroups);
        Assert.Equal([a, b], group.Parameters);
        Assert.Null(group.Lr);
        Assert.Null(group.Momentum);
        Assert.Equal(0.1, sgd.Lr);
        Assert.Equal(0.5, sgd.Momentum);
        Assert.False(group.Parameters is Parameter[]); // read-only view: the optimizer's state is aligned with it
        Assert.False(sgd.ParameterGroups is ParameterGroup[]);
    }

    [Fact]
    public void ZeroGradClearsEveryGroupAndLeavesValues()
    {
        Parameter a = Filled(5, 1), b = Filled(7, 2), c = Filled(3, 3);
        float[] values = [.. a.DataSpan, .. b.DataSpan, .. c.DataSpan];
        foreach (Parameter p in new[] { a, b, c })
        {
            FillGrad(p, 4, 1);
        }

        var optimizer = new AdamW([new ParameterGroup([a, b], lr: 0.1), new ParameterGroup([c])]);
        optimizer.ZeroGrad();

        foreach (Parameter p in new[] { a, b, c })
        {
            Assert.All(p.GradSpan.ToArray(), g => Assert.Equal(0f, g));
        }

        float[] after = [.. a.DataSpan, .. b.DataSpan, .. c.DataSpan];
        Assert.Equal(values, after);
    }

    [Fact]
    public void StepReadsButDoesNotModifyGradients()
    {
        Parameter p = Filled(LongLength, 5);
        FillGrad(p, 6, 1);
        float[] grad = p.GradSpan.ToArray();

        var sgd = new Sgd([p], 0.1, momentum: 0.9, weightDecay: 0.1, nesterov: true);
        sgd.Step();
        sgd.Step();
        Assert.Equal(grad, p.GradSpan.ToArray());

        var adam = new AdamW([p], amsgrad: true);
        adam.Step();
        Assert.Equal(grad, p.GradSpan.ToArray());
    }

    [Fact]
    public void SteadyStateStepsAllocateNothing()
    {
        Parameter a = Filled(LongLength, 7), b = Filled(5, 8, weightDecay: false), c = Filled(300, 9);
        Optimizer[] optimizers =
        [
            new Sgd([a, b, c], 0.01, momentum: 0.9, weightDecay: 1e-4, nesterov: true),
            new Sgd([new ParameterGroup([a, c], weightDecay: 1e-4) { Momentum = 0.9, Dampening = 0.1 }, new ParameterGroup([b], lr: 0.1)], 0.01),
            new AdamW([a, b, c], amsgrad: true),
            new AdamW(ParameterGroups.WithWeightDecayExemptions([("a", a), ("b", b), ("c", c)], 0.05), lr: 1e-3),
        ];

        foreach (Optimizer optimizer in optimizers)
        {
            FillGrad(a, 10, 1);
            FillGrad(b, 11, 1);
            FillGrad(c, 12, 1);
            optimizer.Step(); // first step: state is allocated here
            optimizer.Step();

            long allocated = SteadyState.AllocatedBytes(() =>
            {
                optimizer.Step();
                optimizer.ZeroGrad();
            }, calls: 5);
            Assert.True(allocated == 0, $"{optimizer.GetType().Name} allocated {allocated} bytes in 5 steady-state steps");
        }
    }

    [Fact]
    public void GroupSettingsChangedBetweenStepsTakeEffect()
    {
        Parameter p = Filled(9, 13);
        Parameter q = Filled(9, 14);
        FillGrad(p, 15, 1);
        FillGrad(q, 16, 1);
        var group = new ParameterGroup([p]);
        var sgd = new Sgd([group, new ParameterGroup([q])], lr: 0.1);

        group.Lr = 0; // a schedule that freezes the first group only
        float[] frozen = p.DataSpan.ToArray();
        float[] qBefore = q.DataSpan.ToArray();
        sgd.Step();
        Assert.Equal(frozen, p.DataSpan.ToArray());
        Assert.NotEqual(qBefore, q.DataSpan.ToArray());

        group.Lr = null; // back to the optimizer's lr 0.1
        sgd.Step();
        for (int i = 0; i < 9; i++)
        {
            Assert.Equal(MathF.FusedMultiplyAdd(p.GradSpan[i], -0.1f, frozen[i]), p.DataSpan[i]);
        }
    }

    [Theory]
    [InlineData(0.0, 0.0, 0.0, false)]
    [InlineData(0.9, 0.0, 0.0, false)]
    [InlineData(0.9, 0.0, 1e-2, true)]
    [InlineData(0.8, 0.3, 1e-3, false)]
    public void SgdBlocksMatchScalarReference(double momentum, double dampening, double weightDecay, bool nesterov)
    {
        Parameter p = Filled(LongLength, 20);
        float[] data = p.DataSpan.ToArray();
        float[] buf = new float[LongLength];
        const double lr = 0.05;
        var sgd = new Sgd([p], lr, momentum, dampening, weightDecay, nesterov);
        for (int step = 0; step < 4; step++)
        {
            FillGrad(p, 30 + step, step == 2 ? 0.01 : 1);
            sgd.Step();
            for (int i = 0; i < LongLength; i++)
            {
                // torch's _single_tensor_sgd, one element, float32 with the kernels' fused add(alpha).
                float d = p.GradSpan[i];
                if (weightDecay != 0)
                {
                    d = MathF.FusedMultiplyAdd(data[i], (float)weightDecay, d);
                }

                if (momentum != 0)
                {
                    buf[i] = step == 0 ? d : MathF.FusedMultiplyAdd(d, (float)(1 - dampening), buf[i] * (float)momentum);
                    d = nesterov ? MathF.FusedMultiplyAdd(buf[i], (float)momentum, d) : buf[i];
                }

                data[i] = MathF.FusedMultiplyAdd(d, (float)-lr, data[i]);
            }

            Assert.Equal(data, p.DataSpan.ToArray());
        }
    }

    [Theory]
    [InlineData(false, 1e-2)]
    [InlineData(true, 1e-2)]
    [InlineData(true, 0.0)]
    public void AdamWBlocksMatchScalarReference(bool amsgrad, double weightDecay)
    {
        Parameter p = Filled(LongLength, 40);
        float[] data = p.DataSpan.ToArray();
        float[] m = new float[LongLength], v = new float[LongLength], vmax = new float[LongLength];
        const double lr = 1e-2, beta1 = 0.85, beta2 = 0.995, eps = 1e-7;
        var adam = new AdamW([p], lr, beta1, beta2, eps, weightDecay, amsgrad);
        for (int step = 1; step <= 5; step++)
        {
            FillGrad(p, 50 + step, step == 3 ? 0.01 : 1);
            adam.Step();
            double stepSize = lr / (1 - Math.Pow(beta1, step));
            float bc2Sqrt = (float)Math.Sqrt(1 - Math.Pow(beta2, step));
            for (int i = 0; i < LongLength; i++)
            {
                // torch's _single_tensor_adamw, one element, float32.
                float g = p.GradSpan[i];
                data[i] *= (float)(1 - lr * weightDecay);
                m[i] = MathF.FusedMultiplyAdd(g, (float)(1 - beta1), m[i] * (float)beta1);
                v[i] = MathF.FusedMultiplyAdd((float)(1 - beta2) * g, g, v[i] * (float)beta2);
                vmax[i] = MathF.Max(vmax[i], v[i]);
                float denom = MathF.Sqrt(amsgrad ? vmax[i] : v[i]) / bc2Sqrt + (float)eps;
                data[i] += (float)-stepSize * m[i] / denom;
            }

            Assert.Equal(data, p.DataSpan.ToArray());
        }
    }

    [Fact]
    public void MomentumBufferStartsAtTheFirstStepWithMomentum()
    {
        // torch creates the buffer (a copy of the gradient) on the first step that uses momentum, even if
        // earlier steps ran without it.
        Parameter p = Filled(6, 60);
        var group = new ParameterGroup([p]);
        var sgd = new Sgd([group], lr: 0.1);
        FillGrad(p, 61, 1);
        sgd.Step();

        group.Momentum = 0.9;
        float[] before = p.DataSpan.ToArray();
        sgd.Step();
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(MathF.FusedMultiplyAdd(p.GradSpan[i], -0.1f, before[i]), p.DataSpan[i]);
        }
    }
}
