using System.Numerics.Tensors;
using NormGen.Runtime.Tests.Layers;
using Xunit;

namespace NormGen.Runtime.Tests.Surface;

/// <summary>The generated public surface: names and order, initial values, modes, resets, storage sharing, allocations.</summary>
public sealed class LayerSurfaceTests
{
    [Fact]
    public void ConstantsDescribeTheDeclaredShape()
    {
        Assert.Equal(3, Bn2d.NumFeatures);
        Assert.Equal(60, Bn2d.SampleSize);
        Assert.Equal(4, Bn1dFlat.SampleSize);
        Assert.Equal(15, Bn1dSeq.SampleSize);
        Assert.Equal(120, Bn3d.SampleSize);
        Assert.Equal(1e-5, Bn2d.Eps);
        Assert.Equal(0.1, Bn2d.Momentum);
        Assert.Equal(1e-3, Bn1dCustom.Eps);
        Assert.Equal(0.3, Bn1dCustom.Momentum);
    }

    [Fact]
    public void NamesAndOrderAreTorchs()
    {
        var layer = new Bn2d();
        Assert.Equal(["weight", "bias"], layer.NamedParameters().Select(p => p.Name));
        Assert.Same(layer.Weight, layer.NamedParameters()[0].Parameter);
        Assert.Same(layer.Bias, layer.NamedParameters()[1].Parameter);
        Assert.Equal(["running_mean", "running_var", "num_batches_tracked"], layer.NamedBuffers().Select(b => b.Name));
        Assert.Same(layer.RunningMean, layer.NamedBuffers()[0].Buffer);
        Assert.Same(layer.RunningVar, layer.NamedBuffers()[1].Buffer);
        var counter = Assert.IsType<Tensor<long>>(layer.NamedBuffers()[2].Buffer);
        Assert.Equal([1], counter.Lengths.ToArray());

        Assert.Empty(new Bn2dNoAffine().NamedParameters());
        Assert.Equal(["running_mean", "running_var", "num_batches_tracked"], new Bn2dNoAffine().NamedBuffers().Select(b => b.Name));
        Assert.Equal(["weight", "bias"], new Bn2dNoTrack().NamedParameters().Select(p => p.Name));
        Assert.Empty(new Bn2dNoTrack().NamedBuffers());
        Assert.Empty(new Bn2dBare().NamedParameters());
        Assert.Empty(new Bn2dBare().NamedBuffers());
    }

    [Fact]
    public void InitialValuesAreTorchs()
    {
        var layer = new Bn3d();
        Assert.True(layer.Training);
        Assert.Equal([1f, 1f], layer.Weight.DataSpan.ToArray());
        Assert.Equal([0f, 0f], layer.Bias.DataSpan.ToArray());
        Assert.Equal([0f, 0f], layer.Weight.GradSpan.ToArray());
        Assert.Equal([2], layer.Weight.Data.Lengths.ToArray());
        Assert.Equal([0f, 0f], layer.RunningMean.AsSpan().ToArray());
        Assert.Equal([1f, 1f], layer.RunningVar.AsSpan().ToArray());
        Assert.Equal(0, layer.NumBatchesTracked);
        Assert.False(layer.Weight.WeightDecay);
        Assert.False(layer.Bias.WeightDecay);
    }

    [Fact]
    public void WeightDecayIsOffForNormalizationParametersUnlessTheAttributeOptsIn()
    {
        Assert.All(new Ln768().NamedParameters().AsSpan().ToArray(), p => Assert.False(p.Parameter.WeightDecay));
        Assert.All(new Gn2d().NamedParameters().AsSpan().ToArray(), p => Assert.False(p.Parameter.WeightDecay));
        var decayed = new Bn1dDecayed();
        Assert.True(decayed.Weight.WeightDecay);
        Assert.True(decayed.Bias.WeightDecay);
    }

    [Fact]
    public void TrainAndEvalSetTheModeAndReturnTheLayer()
    {
        var layer = new Bn2d();
        Assert.Same(layer, layer.Eval());
        Assert.False(layer.Training);
        Assert.Same(layer, layer.Train());
        Assert.True(layer.Training);
        Assert.Same(layer, layer.Train(false));
        Assert.False(layer.Training);
    }

    [Fact]
    public void ResetsRestoreInitialValues()
    {
        var layer = new Bn2d();
        layer.Weight.DataSpan.Fill(3f);
        layer.Bias.DataSpan.Fill(2f);
        float[] input = RandomData(2 * Bn2d.SampleSize, seed: 1, mean: 4f);
        layer.Forward(input, new float[input.Length]);
        Assert.Equal(1, layer.NumBatchesTracked);
        Assert.NotEqual(0f, layer.RunningMean.AsSpan()[0]);

        layer.ResetRunningStats();
        Assert.Equal([0f, 0f, 0f], layer.RunningMean.AsSpan().ToArray());
        Assert.Equal([1f, 1f, 1f], layer.RunningVar.AsSpan().ToArray());
        Assert.Equal(0, layer.NumBatchesTracked);
        Assert.Equal([3f, 3f, 3f], layer.Weight.DataSpan.ToArray());

        layer.Forward(input, new float[input.Length]);
        layer.ResetParameters();
        Assert.Equal([1f, 1f, 1f], layer.Weight.DataSpan.ToArray());
        Assert.Equal([0f, 0f, 0f], layer.Bias.DataSpan.ToArray());
        Assert.Equal([0f, 0f, 0f], layer.RunningMean.AsSpan().ToArray());
        Assert.Equal(0, layer.NumBatchesTracked);
    }

    [Fact]
    public void TensorsShareStorageWithTheLayer()
    {
        var layer = new Bn2d();
        layer.Weight.Data[[1]] = 5f;
        Assert.Equal(5f, layer.Weight.DataSpan[1]);
        layer.RunningMean.AsSpan()[2] = 7f;
        Assert.Equal(7f, layer.RunningMean[[2]]);
        layer.Eval();
        float[] input = new float[Bn2d.SampleSize];
        float[] output = new float[input.Length];
        layer.Forward(input, output);

        // Eval: (0 - 7) / sqrt(1 + eps) * 1 + 0 on channel 2, within float rounding.
        double expected = -7 / Math.Sqrt(1 + 1e-5);
        Assert.InRange(output[2 * 20], expected - 1e-5, expected + 1e-5);
    }

    [Fact]
    public void InPlaceForwardEqualsOutOfPlace()
    {
        float[] input = RandomData(3 * Bn2dOddPlane.SampleSize, seed: 2, mean: 1f);
        float[] expected = new float[input.Length];
        new Bn2dOddPlane().Forward(input, expected);
        float[] inPlace = (float[])input.Clone();
        new Bn2dOddPlane().Forward(inPlace, inPlace);
        Assert.Equal(expected, inPlace);
    }

    [Fact]
    public void BackwardIntoTheInputBufferEqualsOutOfPlace()
    {
        // gradInput may be the same memory as the input: every kernel reads an element before it writes it.
        float[] input = RandomData(3 * Ln768.SampleSize, seed: 5, mean: 2f);
        float[] gradOutput = RandomData(input.Length, seed: 6, mean: 0f);
        var outOfPlace = new Ln768();
        var inPlace = new Ln768();
        float[] output = new float[input.Length];
        outOfPlace.Forward(input, output);
        inPlace.Forward(input, output);
        float[] expected = new float[input.Length];
        outOfPlace.Backward(input, gradOutput, expected);
        float[] aliased = (float[])input.Clone();
        inPlace.Backward(aliased, gradOutput, aliased);
        Assert.Equal(expected, aliased);
        Assert.Equal(outOfPlace.Weight.GradSpan.ToArray(), inPlace.Weight.GradSpan.ToArray());
        Assert.Equal(outOfPlace.Bias.GradSpan.ToArray(), inPlace.Bias.GradSpan.ToArray());
    }

    [Fact]
    public void SteadyStateForwardAndEnumerationAllocateNothing()
    {
        var blocks = new Bn2dOddPlane();
        var columns = new Bn1dShortSeq();
        float[] input = RandomData(4 * Bn2dOddPlane.SampleSize, seed: 3, mean: 0f);
        float[] output = new float[input.Length];
        float[] input2 = RandomData(4 * Bn1dShortSeq.SampleSize, seed: 4, mean: 0f);
        float[] output2 = new float[input2.Length];
        void Run()
        {
            blocks.Train().Forward(input, output);
            blocks.Eval().Forward(input, output);
            columns.Train().Forward(input2, output2);
            columns.Eval().Forward(input2, output2);
            foreach (var (name, parameter) in blocks.NamedParameters())
            {
                GC.KeepAlive(name);
                GC.KeepAlive(parameter);
            }

            foreach (var (name, buffer) in blocks.NamedBuffers())
            {
                GC.KeepAlive(name);
                GC.KeepAlive(buffer);
            }
        }

        Assert.Equal(0, SteadyState.AllocatedBytes(Run));
    }

    private static float[] RandomData(int length, int seed, float mean)
    {
        var random = new Random(seed);
        float[] data = new float[length];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = mean + (float)(random.NextDouble() * 2 - 1);
        }

        return data;
    }
}

/// <summary>A BatchNorm whose parameters opt back into weight decay (outside the Layers namespace: no PyTorch fixture needed).</summary>
[BatchNorm1d(4, WeightDecay = true)]
public partial class Bn1dDecayed
{
}
