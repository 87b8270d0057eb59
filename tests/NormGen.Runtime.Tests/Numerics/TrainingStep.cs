using System;
using Xunit;

namespace NormGen.Runtime.Tests.Numerics;

/// <summary>
/// One training step and one eval forward of a fresh generated layer, with its tensors at chosen offsets into their
/// arrays or in place, and a bit-for-bit comparison of everything they produce: for the tests of code paths that must
/// give the same bits as the plain one (aligned stores, streaming stores).
/// </summary>
internal static class TrainingStep
{
    /// <summary>Everything one training step and one eval forward produce.</summary>
    public sealed record Results(float[] TrainOutput, float[] GradInput, float[] WeightGrad, float[] BiasGrad, float[] RunningMean, float[] RunningVar, float[] EvalOutput);

    /// <summary>One generated layer class behind the calls the test makes.</summary>
    public interface IRunner
    {
        int SampleSize { get; }

        void Forward(ReadOnlySpan<float> input, Span<float> output, bool training);

        void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput);

        (float[] WeightGrad, float[] BiasGrad, float[] RunningMean, float[] RunningVar) State();
    }

    /// <summary>
    /// A training forward, a backward and an eval forward of a fresh layer, with the input at
    /// <paramref name="inputOffset"/> floats into its array and the output (and input gradient) at
    /// <paramref name="outputOffset"/>; in place, the output is the input's own memory (and dx is dy's).
    /// </summary>
    public static Results Run<TRunner>(int batch, int inputOffset, int outputOffset, bool inPlace)
        where TRunner : IRunner, new()
    {
        var layer = new TRunner();
        int length = batch * layer.SampleSize;
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

    /// <summary>Every result of <paramref name="actual"/> bit for bit equal to <paramref name="expected"/>.</summary>
    public static void AssertSame(Results actual, Results expected)
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
                Assert.Fail($"{what}[{i}]: {actual[i]:R}, expected {expected[i]:R} (the reference run).");
            }
        }
    }
}
