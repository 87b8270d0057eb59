using System;
using NormGen.Runtime.Tests.Layers;
using Xunit;

namespace NormGen.Runtime.Tests.Backward;

/// <summary>
/// Steady-state training steps allocate nothing: after a warm-up (JIT tiering, and the per-sample layers growing their
/// saved statistics to the batch), Forward + Backward on the same batch size allocate zero bytes on this thread.
/// Called on the concrete generated types, without the test adapters' delegates.
/// </summary>
public sealed class BackwardAllocationTests
{
    private const int Batch = 4;
    private const int Steps = 20;

    private static (float[] X, float[] Dy, float[] Y, float[] Dx) Buffers(int sampleSize)
    {
        var rng = new Random(sampleSize);
        var x = new float[Batch * sampleSize];
        var dy = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)GradData.Normal(rng);
            dy[i] = (float)GradData.Normal(rng);
        }

        return (x, dy, new float[x.Length], new float[x.Length]);
    }

    private static void AssertNoAllocation(string what, Action step)
    {
        long allocated = SteadyState.AllocatedBytes(step, Steps);
        Assert.True(allocated == 0, $"{what}: {Steps} steady-state Forward + Backward steps allocated {allocated} bytes.");
    }

    [Fact]
    public void BatchNormTrainingAndEvalStepsAllocateNothing()
    {
        var layer = new Bn2dOddPlane();
        (float[] x, float[] dy, float[] y, float[] dx) = Buffers(Bn2dOddPlane.SampleSize);
        AssertNoAllocation("Bn2dOddPlane (train)", () =>
        {
            layer.Forward(x, y);
            layer.Backward(x, dy, dx);
        });
        layer.Eval();
        AssertNoAllocation("Bn2dOddPlane (eval)", () =>
        {
            layer.Forward(x, y);
            layer.Backward(x, dy, dx);
        });

        var columns = new Bn1dShortSeq();
        (x, dy, y, dx) = Buffers(Bn1dShortSeq.SampleSize);
        AssertNoAllocation("Bn1dShortSeq (columns strategy)", () =>
        {
            columns.Forward(x, y);
            columns.Backward(x, dy, dx);
        });
    }

    [Fact]
    public void LayerNormStepsAllocateNothing()
    {
        var layer = new Ln768();
        (float[] x, float[] dy, float[] y, float[] dx) = Buffers(Ln768.SampleSize);
        AssertNoAllocation("Ln768", () =>
        {
            layer.Forward(x, y);
            layer.Backward(x, dy, dx);
        });
    }

    [Fact]
    public void GroupNormStepsAllocateNothing()
    {
        var layer = new Gn2d();
        (float[] x, float[] dy, float[] y, float[] dx) = Buffers(Gn2d.SampleSize);
        AssertNoAllocation("Gn2d", () =>
        {
            layer.Forward(x, y);
            layer.Backward(x, dy, dx);
        });
    }

    [Fact]
    public void InstanceNormAndRmsNormStepsAllocateNothing()
    {
        var instance = new In3d();
        (float[] x, float[] dy, float[] y, float[] dx) = Buffers(In3d.SampleSize);
        AssertNoAllocation("In3d (train)", () =>
        {
            instance.Forward(x, y);
            instance.Backward(x, dy, dx);
        });
        instance.Eval();
        AssertNoAllocation("In3d (eval, running statistics)", () =>
        {
            instance.Forward(x, y);
            instance.Backward(x, dy, dx);
        });

        var rms = new Rms64();
        (x, dy, y, dx) = Buffers(Rms64.SampleSize);
        AssertNoAllocation("Rms64", () =>
        {
            rms.Forward(x, y);
            rms.Backward(x, dy, dx);
        });
    }

    [Fact]
    public void LocalResponseNormStepsAllocateNothing()
    {
        var layer = new Lrn();
        (float[] x, float[] dy, float[] y, float[] dx) = Buffers(Lrn.SampleSize);
        AssertNoAllocation("Lrn", () =>
        {
            layer.Forward(x, y);
            layer.Backward(x, dy, dx);
        });
    }
}
