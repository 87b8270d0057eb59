using System;
using NormGen.Runtime.Tests.Layers;
using Xunit;

namespace NormGen.Runtime.Tests.Numerics;

/// <summary>
/// The column layers whose samples are whole cache lines store at aligned addresses of their destination and read
/// coefficients staged at the destination's alignment (<see cref="AlignedStores"/>), and their column walks load from the
/// input's first aligned element, and GroupNorm's slot kernels store at aligned addresses of their destination, so their
/// kernels take a different path for each start address modulo 64 bytes. Every
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
        TrainingStep.AssertSame(TrainingStep.Run<Bn1dAlignedRunner>(Batch, inputOffset, outputOffset, inPlace: false), TrainingStep.Run<Bn1dAlignedRunner>(Batch, 0, 0, inPlace: false));

    [Theory]
    [MemberData(nameof(Offsets))]
    public void Bn1dAlignedSeqGivesTheSameBitsWhereverTheTensorsStart(int inputOffset, int outputOffset) =>
        TrainingStep.AssertSame(TrainingStep.Run<Bn1dAlignedSeqRunner>(Batch, inputOffset, outputOffset, inPlace: false), TrainingStep.Run<Bn1dAlignedSeqRunner>(Batch, 0, 0, inPlace: false));

    [Theory]
    [MemberData(nameof(Offsets))]
    public void GnSlotsGivesTheSameBitsWhereverTheTensorsStart(int inputOffset, int outputOffset) =>
        TrainingStep.AssertSame(TrainingStep.Run<GnSlotsRunner>(Batch, inputOffset, outputOffset, inPlace: false), TrainingStep.Run<GnSlotsRunner>(Batch, 0, 0, inPlace: false));

    [Theory]
    [MemberData(nameof(Offsets))]
    public void GnSlotsAlignedGivesTheSameBitsWhereverTheTensorsStart(int inputOffset, int outputOffset) =>
        TrainingStep.AssertSame(TrainingStep.Run<GnSlotsAlignedRunner>(Batch, inputOffset, outputOffset, inPlace: false), TrainingStep.Run<GnSlotsAlignedRunner>(Batch, 0, 0, inPlace: false));

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(15)]
    public void InPlaceGivesTheSameBitsAsOutOfPlace(int offset)
    {
        TrainingStep.AssertSame(TrainingStep.Run<Bn1dAlignedRunner>(Batch, offset, offset, inPlace: true), TrainingStep.Run<Bn1dAlignedRunner>(Batch, 0, 0, inPlace: false));
        TrainingStep.AssertSame(TrainingStep.Run<Bn1dAlignedSeqRunner>(Batch, offset, offset, inPlace: true), TrainingStep.Run<Bn1dAlignedSeqRunner>(Batch, 0, 0, inPlace: false));
        TrainingStep.AssertSame(TrainingStep.Run<GnSlotsRunner>(Batch, offset, offset, inPlace: true), TrainingStep.Run<GnSlotsRunner>(Batch, 0, 0, inPlace: false));
        TrainingStep.AssertSame(TrainingStep.Run<GnSlotsAlignedRunner>(Batch, offset, offset, inPlace: true), TrainingStep.Run<GnSlotsAlignedRunner>(Batch, 0, 0, inPlace: false));
    }

    private sealed class Bn1dAlignedRunner : TrainingStep.IRunner
    {
        private readonly Bn1dAligned _layer = new();

        public int SampleSize => Bn1dAligned.SampleSize;

        public void Forward(ReadOnlySpan<float> input, Span<float> output, bool training)
        {
            _layer.Train(training);
            _layer.Forward(input, output);
        }

        public void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput) => _layer.Backward(input, gradOutput, gradInput);

        public (float[] WeightGrad, float[] BiasGrad, float[] RunningMean, float[] RunningVar) State() =>
            (_layer.Weight.GradSpan.ToArray(), _layer.Bias.GradSpan.ToArray(), TensorExtensions.AsSpan(_layer.RunningMean).ToArray(), TensorExtensions.AsSpan(_layer.RunningVar).ToArray());
    }

    private sealed class Bn1dAlignedSeqRunner : TrainingStep.IRunner
    {
        private readonly Bn1dAlignedSeq _layer = new();

        public int SampleSize => Bn1dAlignedSeq.SampleSize;

        public void Forward(ReadOnlySpan<float> input, Span<float> output, bool training)
        {
            _layer.Train(training);
            _layer.Forward(input, output);
        }

        public void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput) => _layer.Backward(input, gradOutput, gradInput);

        public (float[] WeightGrad, float[] BiasGrad, float[] RunningMean, float[] RunningVar) State() =>
            (_layer.Weight.GradSpan.ToArray(), _layer.Bias.GradSpan.ToArray(), TensorExtensions.AsSpan(_layer.RunningMean).ToArray(), TensorExtensions.AsSpan(_layer.RunningVar).ToArray());
    }

    /// <summary>GroupNorm's slot kernels align their walk on the output's address (<see cref="GnSlots"/>: planes of 18 floats).</summary>
    private sealed class GnSlotsRunner : TrainingStep.IRunner
    {
        private readonly GnSlots _layer = new();

        public int SampleSize => GnSlots.SampleSize;

        public void Forward(ReadOnlySpan<float> input, Span<float> output, bool training)
        {
            _layer.Train(training);
            _layer.Forward(input, output);
        }

        public void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput) => _layer.Backward(input, gradOutput, gradInput);

        public (float[] WeightGrad, float[] BiasGrad, float[] RunningMean, float[] RunningVar) State() =>
            (_layer.Weight.GradSpan.ToArray(), _layer.Bias.GradSpan.ToArray(), [], []);
    }

    /// <summary>GroupNorm's slot kernels align their walk on the output's address (<see cref="GnSlotsAligned"/>: planes of 32 floats).</summary>
    private sealed class GnSlotsAlignedRunner : TrainingStep.IRunner
    {
        private readonly GnSlotsAligned _layer = new();

        public int SampleSize => GnSlotsAligned.SampleSize;

        public void Forward(ReadOnlySpan<float> input, Span<float> output, bool training)
        {
            _layer.Train(training);
            _layer.Forward(input, output);
        }

        public void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput) => _layer.Backward(input, gradOutput, gradInput);

        public (float[] WeightGrad, float[] BiasGrad, float[] RunningMean, float[] RunningVar) State() =>
            (_layer.Weight.GradSpan.ToArray(), _layer.Bias.GradSpan.ToArray(), [], []);
    }
}
