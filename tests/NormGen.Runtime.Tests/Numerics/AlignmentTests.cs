using System;
using NormGen.Runtime.Tests.Layers;
using Xunit;

namespace NormGen.Runtime.Tests.Numerics;

/// <summary>
/// The column layers whose samples are whole cache lines store at aligned addresses of their destination and read
/// coefficients staged at the destination's alignment (<see cref="AlignedStores"/>), and their column walks load from the
/// input's first aligned element, so their kernels take a different path for each start address modulo 64 bytes. Every
/// element is computed by the same lane operations, over the same rows in the same order, on every path, so the results
/// must be bit-for-bit the same wherever the tensors start, and in place. The 16 float
/// offsets below reach every start modulo 64 bytes of an array (whose own start the GC decides); the other numeric
/// tests check the values themselves against the float64 reference and the dynamic layer.
/// </summary>
public sealed class AlignmentTests
{
    private const int Batch = 37;

    /// <summary>(input offset, output offset) in floats: each offset alone, and both together at different skews.</summary>
    public static TheoryData<int, int> Offsets()
    {
        var data = new TheoryData<int, int>();
        for (int o = 1; o < 16; o++)
        {
            data.Add(o, 0);
            data.Add(0, o);
            data.Add(o, (o * 7) % 16);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Offsets))]
    public void Bn1dAlignedGivesTheSameBitsWhereverTheTensorsStart(int inputOffset, int outputOffset) =>
        AssertSame(Run<Bn1dAlignedRunner>(inputOffset, outputOffset, inPlace: false), Run<Bn1dAlignedRunner>(0, 0, inPlace: false));

    [Theory]
    [MemberData(nameof(Offsets))]
    public void Bn1dAlignedSeqGivesTheSameBitsWhereverTheTensorsStart(int inputOffset, int outputOffset) =>
        AssertSame(Run<Bn1dAlignedSeqRunner>(inputOffset, outputOffset, inPlace: false), Run<Bn1dAlignedSeqRunner>(0, 0, inPlace: false));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(15)]
    public void InPlaceGivesTheSameBitsAsOutOfPlace(int offset)
    {
        AssertSame(Run<Bn1dAlignedRunner>(offset, offset, inPlace: true), Run<Bn1dAlignedRunner>(0, 0, inPlace: false));
        AssertSame(Run<Bn1dAlignedSeqRunner>(offset, offset, inPlace: true), Run<Bn1dAlignedSeqRunner>(0, 0, inPlace: false));
    }

    /// <summary>Everything one training step and one eval forward produce.</summary>
    private sealed record Results(float[] TrainOutput, float[] GradInput, float[] WeightGrad, float[] BiasGrad, float[] RunningMean, float[] RunningVar, float[] EvalOutput);

    /// <summary>One generated layer class behind the calls the test makes.</summary>
    private interface IRunner
    {
        int SampleSize { get; }

        void Forward(ReadOnlySpan<float> input, Span<float> output, bool training);

        void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput);

        (float[] WeightGrad, float[] BiasGrad, float[] RunningMean, float[] RunningVar) State();
    }

    private sealed class Bn1dAlignedRunner : IRunner
    {
        private readonly Bn1dAligned _layer = new();

        public int SampleSize => Bn1dAligned.SampleSize;

        public void Forward(ReadOnlySpan<float> input, Span<float> output, bool training)
        {
            _layer.Train(training);
            _layer.Forward(input, output);
        }

        public void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput) => _layer.Backward(input, gradOutput, gradInput);

        public (float[], float[], float[], float[]) State() =>
            (_layer.Weight.GradSpan.ToArray(), _layer.Bias.GradSpan.ToArray(), TensorExtensions.AsSpan(_layer.RunningMean).ToArray(), TensorExtensions.AsSpan(_layer.RunningVar).ToArray());
    }

    private sealed class Bn1dAlignedSeqRunner : IRunner
    {
        private readonly Bn1dAlignedSeq _layer = new();

        public int SampleSize => Bn1dAlignedSeq.SampleSize;

        public void Forward(ReadOnlySpan<float> input, Span<float> output, bool training)
        {
            _layer.Train(training);
            _layer.Forward(input, output);
        }

        public void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput) => _layer.Backward(input, gradOutput, gradInput);

        public (float[], float[], float[], float[]) State() =>
            (_layer.Weight.GradSpan.ToArray(), _layer.Bias.GradSpan.ToArray(), TensorExtensions.AsSpan(_layer.RunningMean).ToArray(), TensorExtensions.AsSpan(_layer.RunningVar).ToArray());
    }

    /// <summary>
    /// A training forward, a backward and an eval forward of a fresh layer, with the input at
    /// <paramref name="inputOffset"/> floats into its array and the output (and input gradient) at
    /// <paramref name="outputOffset"/>; in place, the output is the input's own memory (and dx is dy's).
    /// </summary>
    private static Results Run<TRunner>(int inputOffset, int outputOffset, bool inPlace)
        where TRunner : IRunner, new()
    {
        var layer = new TRunner();
        int length = Batch * layer.SampleSize;
        var random = new Random(20261201);
        float[] x = new float[length];
        float[] dy = new float[length];
        for (int i = 0; i < length; i++)
        {
            x[i] = (float)((random.NextDouble() * 6) - 2);
            dy[i] = (float)((random.NextDouble() * 2) - 1);
        }

        float[] inputMemory = new float[length + 16];
        float[] outputMemory = new float[length + 16];
        Span<float> input = inputMemory.AsSpan(inputOffset, length);
        Span<float> output = inPlace ? input : outputMemory.AsSpan(outputOffset, length);

        x.CopyTo(input);
        layer.Forward(input, output, training: true);
        float[] trainOutput = output.ToArray();

        // Backward reads the forward's input: in place, that memory now holds y, so the input is copied back first.
        float[] gradMemory = new float[length + 16];
        float[] gradInputMemory = new float[length + 16];
        x.CopyTo(input);
        Span<float> gradOutput = gradMemory.AsSpan(inputOffset, length);
        dy.CopyTo(gradOutput);
        Span<float> gradInput = inPlace ? gradOutput : gradInputMemory.AsSpan(outputOffset, length);
        layer.Backward(input, gradOutput, gradInput);
        float[] dx = gradInput.ToArray();
        (float[] weightGrad, float[] biasGrad, float[] runningMean, float[] runningVar) = layer.State();

        x.CopyTo(input);
        layer.Forward(input, output, training: false);
        return new Results(trainOutput, dx, weightGrad, biasGrad, runningMean, runningVar, output.ToArray());
    }

    private static void AssertSame(Results actual, Results expected)
    {
        AssertBits(expected.TrainOutput, actual.TrainOutput, "training output");
        AssertBits(expected.GradInput, actual.GradInput, "input gradient");
        AssertBits(expected.WeightGrad, actual.WeightGrad, "weight gradient");
        AssertBits(expected.BiasGrad, actual.BiasGrad, "bias gradient");
        AssertBits(expected.RunningMean, actual.RunningMean, "running_mean");
        AssertBits(expected.RunningVar, actual.RunningVar, "running_var");
        AssertBits(expected.EvalOutput, actual.EvalOutput, "eval output");
    }

    private static void AssertBits(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}[{i}]: {actual[i]:R}, expected {expected[i]:R} (the result at offset 0).");
            }
        }
    }
}
