using System;
using NormGen.Runtime.Tests.Layers;
using Xunit;

namespace NormGen.Runtime.Tests.Numerics;

/// <summary>
/// BatchNorm over (N, C) with samples of whole cache lines normalizes two samples per kernel call (each vector of
/// coefficients loaded once for both), and a sample left over at the start of a block alone. The pair kernels must give
/// every element the bits of the one-sample kernel: in eval mode the coefficients do not depend on the batch, so the
/// output of a batch (pairs) must equal, bit for bit, the outputs of its samples forwarded one at a time (the one-sample
/// kernel), at every start of the tensors modulo 64 bytes and in place. The training values themselves are checked
/// against PyTorch and the float64 reference elsewhere.
/// </summary>
public sealed class ColumnPairTests
{
    public static TheoryData<int, int, bool> Placements()
    {
        var data = new TheoryData<int, int, bool> { { 0, 0, false }, { 0, 0, true } };
        foreach (int offset in new[] { 1, 5, 8, 15 })
        {
            data.Add(offset, 0, false);
            data.Add(0, offset, false);
            data.Add(offset, offset, true);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Placements))]
    public void Bn1dAlignedBatchGivesTheBitsOfSingleSamples(int inputOffset, int outputOffset, bool inPlace)
    {
        var layer = new Bn1dAligned();
        AssertBatchMatchesSingles(training => layer.Train(training), layer.Forward, layer.Weight, layer.Bias, Bn1dAligned.SampleSize, inputOffset, outputOffset, inPlace);
    }

    [Theory]
    [MemberData(nameof(Placements))]
    public void Bn1dAlignedSeqBatchGivesTheBitsOfSingleSamples(int inputOffset, int outputOffset, bool inPlace)
    {
        var layer = new Bn1dAlignedSeq();
        AssertBatchMatchesSingles(training => layer.Train(training), layer.Forward, layer.Weight, layer.Bias, Bn1dAlignedSeq.SampleSize, inputOffset, outputOffset, inPlace);
    }

    private delegate void SpanForward(ReadOnlySpan<float> input, Span<float> output);

    private static void AssertBatchMatchesSingles(Action<bool> train, SpanForward forward, Parameter weightParameter, Parameter biasParameter, int sampleSize, int inputOffset, int outputOffset, bool inPlace)
    {
        foreach (int batch in new[] { 2, 7, 8 })
        {
            var random = new Random(batch);
            float[] x = new float[batch * sampleSize];
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = (float)((random.NextDouble() * 6) - 1);
            }

            // Running statistics and affine parameters other than their initial values, so every coefficient matters.
            train(true);
            forward(x, new float[x.Length]);
            forward(x, new float[x.Length]);
            Span<float> weight = weightParameter.DataSpan, bias = biasParameter.DataSpan;
            for (int c = 0; c < weight.Length; c++)
            {
                weight[c] = 0.5f + (0.1f * c);
                bias[c] = 0.25f - (0.05f * c);
            }

            train(false);
            float[] singles = new float[x.Length];
            for (int n = 0; n < batch; n++)
            {
                forward(x.AsSpan(n * sampleSize, sampleSize), singles.AsSpan(n * sampleSize, sampleSize));
            }

            float[] inputBuffer = new float[x.Length + 16];
            float[] outputBuffer = new float[x.Length + 16];
            Span<float> input = inputBuffer.AsSpan(inputOffset, x.Length);
            Span<float> output = inPlace ? input : outputBuffer.AsSpan(outputOffset, x.Length);
            x.CopyTo(input);
            forward(input, output);
            for (int i = 0; i < x.Length; i++)
            {
                Assert.True(
                    BitConverter.SingleToInt32Bits(output[i]) == BitConverter.SingleToInt32Bits(singles[i]),
                    $"batch {batch}, sample {i / sampleSize}, element {i % sampleSize}: the batch gave {output[i]:R}, the sample alone {singles[i]:R}.");
            }
        }
    }
}
