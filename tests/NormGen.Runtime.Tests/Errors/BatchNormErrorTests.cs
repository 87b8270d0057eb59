using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics.Tensors;
using NormGen.Runtime.Tests.Numerics;
using Xunit;

namespace NormGen.Runtime.Tests.Errors;

/// <summary>
/// Extra configurations needed by the batch-size rule in eval without running statistics: no layer of Layers.cs
/// has both TrackRunningStats = false and a single value per channel for N = 1 (Bn2dNoTrack has 20).
/// </summary>
[BatchNorm1d(4, TrackRunningStats = false)]
public partial class ErrBn1dNoTrack { }

/// <summary>(N, 4, 1, 1) without affine and without running statistics.</summary>
[BatchNorm2d(4, 1, 1, Affine = false, TrackRunningStats = false)]
public partial class ErrBn2dUnitBare { }

/// <summary>
/// Every error of the generated layers is asserted by exception type (ArgumentException or derived) and message,
/// and the layer's whole state (weight, bias, running statistics, num_batches_tracked, training flag) must be
/// bit-for-bit unchanged afterwards. The layers are first given random parameters and one real training step so
/// that "unchanged" is not trivially the initial state.
/// </summary>
public class BatchNormErrorTests
{
    private const string BatchSizeMessage = "Expected more than 1 value per channel when training, got input size ";

    public static TheoryData<string, bool> AllNamesBothModes()
    {
        var data = new TheoryData<string, bool>();
        foreach (string name in LayerHarness.Specs.Keys)
        {
            data.Add(name, true);
            data.Add(name, false);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllNamesBothModes))]
    public void SpanInputLengthMustBeAMultipleOfTheSampleSize(string name, bool training)
    {
        LayerHarness layer = Prepared(name, training);
        int s = layer.Spec.SampleSize;
        foreach (int length in new[] { s + 1, 2 * s - 1, 1, 3 * s + 2 }.Where(l => l % s != 0).Distinct())
        {
            ArgumentException e = Rejected(layer, () => layer.Forward(new float[length], new float[length]));
            Assert.StartsWith("Expected an input length that is a multiple of ", e.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(AllNamesBothModes))]
    public void SpanOutputLengthMustEqualTheInputLength(string name, bool training)
    {
        LayerHarness layer = Prepared(name, training);
        int s = layer.Spec.SampleSize;
        foreach (int length in new[] { 2 * s - 1, 2 * s + 1, 0, s, 3 * s })
        {
            float[] input = Input(layer.Spec, 2);
            ArgumentException e = Rejected(layer, () => layer.Forward(input, new float[length]));
            Assert.StartsWith("Expected output length ", e.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(AllNamesBothModes))]
    public void TensorOverloadsRejectTheWrongRank(string name, bool training)
    {
        LayerHarness layer = Prepared(name, training);
        LayerSpec spec = layer.Spec;
        (int[] ranks, string expected) = spec.Kind switch
        {
            1 => (new[] { 1, 4, 5 }, "expected 2D or 3D input (got {0}D input)"),
            2 => (new[] { 2, 3, 5 }, "expected 4D input (got {0}D input)"),
            _ => (new[] { 3, 4, 6 }, "expected 5D input (got {0}D input)"),
        };
        foreach (int rank in ranks)
        {
            // (2, C, 2, 2, ...) truncated or padded to the rank; channels stay at dim 1 when there is one.
            nint[] shape = Enumerable.Range(0, rank).Select(d => d == 1 ? (nint)spec.NumFeatures : 2).ToArray();
            foreach ((string overload, Action call) in TensorCalls(layer, shape))
            {
                ArgumentException e = Rejected(layer, call);
                string text = string.Format(System.Globalization.CultureInfo.InvariantCulture, expected, rank);
                Assert.True(e.Message.Contains(text, StringComparison.Ordinal), $"{overload} {string.Join("x", shape)}: expected \"{text}\", got \"{e.Message}\"");
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllNamesBothModes))]
    public void TensorOverloadsRejectTheWrongChannelCount(string name, bool training)
    {
        LayerHarness layer = Prepared(name, training);
        LayerSpec spec = layer.Spec;
        foreach (int channels in new[] { spec.NumFeatures + 1, spec.NumFeatures - 1, 2 * spec.NumFeatures }.Where(c => c > 0).Distinct())
        {
            nint[] shape = spec.Shape(2);
            shape[1] = channels;
            foreach ((string overload, Action call) in TensorCalls(layer, shape))
            {
                ArgumentException e = Rejected(layer, call);
                if (spec.TrackRunningStats)
                {
                    string text = $"running_mean should contain {channels} elements not {spec.NumFeatures}";
                    Assert.True(e.Message.Contains(text, StringComparison.Ordinal), $"{overload}: expected \"{text}\", got \"{e.Message}\"");
                }
                else if (spec.Affine)
                {
                    string text = $"weight should contain {channels} elements not {spec.NumFeatures}";
                    Assert.True(e.Message.Contains(text, StringComparison.Ordinal), $"{overload}: expected \"{text}\", got \"{e.Message}\"");
                }
                else
                {
                    // PyTorch has nothing to compare C with here (it would accept the input); the specialized layer
                    // must still refuse it, as a shape mismatch.
                    Assert.True(e.Message.Contains("is specialized for input of shape", StringComparison.Ordinal), $"{overload}: {e.Message}");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllNamesBothModes))]
    public void TensorOverloadsRejectOtherSpatialDimensions(string name, bool training)
    {
        LayerHarness layer = Prepared(name, training);
        LayerSpec spec = layer.Spec;
        var shapes = new List<nint[]>();
        if (spec.Kind == 1 && spec.Spatial.Length == 0)
        {
            shapes.Add([2, spec.NumFeatures, 3]);
            shapes.Add([2, spec.NumFeatures, 1]);
        }
        else if (spec.Kind == 1)
        {
            shapes.Add([2, spec.NumFeatures]);
        }

        for (int d = 0; d < spec.Spatial.Length; d++)
        {
            nint[] larger = spec.Shape(2);
            larger[2 + d] += 1;
            shapes.Add(larger);
        }

        foreach (nint[] shape in shapes)
        {
            foreach ((string overload, Action call) in TensorCalls(layer, shape))
            {
                ArgumentException e = Rejected(layer, call);
                Assert.True(e.Message.Contains("is specialized for input of shape", StringComparison.Ordinal), $"{overload} {string.Join("x", shape)}: {e.Message}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(AllNamesBothModes))]
    public void TensorSpanOutputMustHaveTheInputShape(string name, bool training)
    {
        LayerHarness layer = Prepared(name, training);
        nint[] shape = layer.Spec.Shape(2);
        float[] input = Input(layer.Spec, 2);
        var outputShapes = new List<nint[]> { layer.Spec.Shape(3), layer.Spec.Shape(1) };
        nint[] flat = [2 * layer.Spec.SampleSize];
        outputShapes.Add(flat);
        foreach (nint[] outputShape in outputShapes)
        {
            int count = checked((int)outputShape.Aggregate((nint)1, (a, b) => a * b));
            ArgumentException e = Rejected(layer, () => layer.ForwardTensorSpan(
                new ReadOnlyTensorSpan<float>(input, shape), new TensorSpan<float>(new float[count], outputShape)));
            Assert.StartsWith("Expected output of shape ", e.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>In-place use (output = input) is supported; an output overlapping the input at another offset is not.</summary>
    [Theory]
    [MemberData(nameof(AllNamesBothModes))]
    public void SpanOutputMayNotOverlapTheInputAtAnotherOffset(string name, bool training)
    {
        LayerHarness layer = Prepared(name, training);
        int length = 2 * layer.Spec.SampleSize;
        var buffer = new float[length + 1];
        Input(layer.Spec, 2).CopyTo(buffer, 0);
        ArgumentException e = Rejected(layer, () => layer.Forward(buffer.AsSpan(0, length), buffer.AsSpan(1, length)));
        Assert.StartsWith("The output overlaps the input", e.Message, StringComparison.Ordinal);
        e = Rejected(layer, () => layer.Forward(buffer.AsSpan(1, length), buffer.AsSpan(0, length)));
        Assert.StartsWith("The output overlaps the input", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Layers whose (1, C, spatial...) input has one value per channel.</summary>
    public static TheoryData<string> OneValuePerChannelNames()
        => new(LayerHarness.Specs.Values.Where(s => s.PlaneSize == 1).Select(s => s.Name));

    [Theory]
    [MemberData(nameof(OneValuePerChannelNames))]
    public void BatchOfOneIsRejectedInTraining(string name)
    {
        LayerHarness layer = Prepared(name, training: true);
        string expected = BatchSizeMessage + layer.Spec.FormatShape(1);
        float[] input = Input(layer.Spec, 1);
        ArgumentException e = Rejected(layer, () => layer.Forward(input, new float[input.Length]));
        Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
        foreach ((string overload, Action call) in TensorCalls(layer, layer.Spec.Shape(1)))
        {
            e = Rejected(layer, call);
            Assert.True(e.Message.StartsWith(expected, StringComparison.Ordinal), $"{overload}: {e.Message}");
        }
    }

    /// <summary>Eval with running statistics normalizes with them, so N·∏spatial = 1 is fine (PyTorch too).</summary>
    [Theory]
    [MemberData(nameof(OneValuePerChannelNames))]
    public void BatchOfOneIsAcceptedInEvalWithRunningStats(string name)
    {
        LayerHarness layer = Prepared(name, training: false);
        Assert.True(layer.Spec.TrackRunningStats);
        var reference = layer.Spec.CreateReference();
        layer.CopyStateTo(reference);
        float[] input = Input(layer.Spec, 1);
        LayerState before = layer.Capture();
        double[] expected = reference.Forward(input, 1);
        var output = new float[input.Length];
        layer.Forward(input, output);
        layer.AssertState(before);
        Compare.Outputs(layer.Spec, reference, input, 1, expected, output, name + " eval N=1");
    }

    /// <summary>
    /// Without running statistics eval uses batch statistics, so the batch-size rule applies in eval too
    /// (PyTorch issue #156051). Needs the extra configurations declared in this file.
    /// </summary>
    [Fact]
    public void BatchOfOneIsRejectedInEvalWithoutRunningStats()
    {
        var flat = new ErrBn1dNoTrack();
        flat.Weight.DataSpan.Fill(0.5f);
        flat.Bias.DataSpan.Fill(0.25f);
        flat.Eval();
        float[] input = [1f, 2f, 3f, 4f];
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(() => flat.Forward(input, new float[4]));
        Assert.StartsWith(BatchSizeMessage + "[1, 4]", e.Message, StringComparison.Ordinal);
        e = Assert.ThrowsAny<ArgumentException>(() => flat.Forward(Tensor.Create(input, [1, 4])));
        Assert.StartsWith(BatchSizeMessage + "[1, 4]", e.Message, StringComparison.Ordinal);
        Assert.False(flat.Training);
        Assert.All(flat.Weight.DataSpan.ToArray(), w => Assert.Equal(0.5f, w));
        Assert.All(flat.Bias.DataSpan.ToArray(), b => Assert.Equal(0.25f, b));

        var unit = new ErrBn2dUnitBare();
        unit.Eval();
        e = Assert.ThrowsAny<ArgumentException>(() => unit.Forward(input, new float[4]));
        Assert.StartsWith(BatchSizeMessage + "[1, 4, 1, 1]", e.Message, StringComparison.Ordinal);
        e = Assert.ThrowsAny<ArgumentException>(() => unit.Forward(
            new ReadOnlyTensorSpan<float>(input, [1, 4, 1, 1]), new TensorSpan<float>(new float[4], [1, 4, 1, 1])));
        Assert.StartsWith(BatchSizeMessage + "[1, 4, 1, 1]", e.Message, StringComparison.Ordinal);
        Assert.False(unit.Training);

        // Same in training; and two samples are fine in eval.
        unit.Train();
        e = Assert.ThrowsAny<ArgumentException>(() => unit.Forward(input, new float[4]));
        Assert.StartsWith(BatchSizeMessage + "[1, 4, 1, 1]", e.Message, StringComparison.Ordinal);
        Assert.True(unit.Training);
        unit.Eval();
        var output = new float[8];
        unit.Forward([1f, 2f, 3f, 4f, 3f, 6f, 9f, 12f], output);
        Assert.All(output, v => Assert.Equal(1f, Math.Abs(v), 4));
    }

    /// <summary>
    /// Bn2dNoTrack has 20 values per channel even for N = 1, so N = 1 is accepted in eval, normalized with the
    /// batch statistics and without any state change.
    /// </summary>
    [Fact]
    public void BatchOfOneWithSpatialExtentIsAcceptedWithoutRunningStats()
    {
        LayerHarness layer = Prepared("Bn2dNoTrack", training: false);
        var reference = layer.Spec.CreateReference();
        layer.CopyStateTo(reference);
        float[] input = Input(layer.Spec, 1);
        LayerState before = layer.Capture();
        double[] expected = reference.Forward(input, 1);
        var output = new float[input.Length];
        layer.Forward(input, output);
        layer.AssertState(before);
        Compare.Outputs(layer.Spec, reference, input, 1, expected, output, "Bn2dNoTrack eval N=1");
    }

    /// <summary>
    /// The tensor overloads compute exactly what the span overload computes: three twin layers with the same
    /// parameters run the same inputs (two training steps, one eval step) through the three overloads; outputs and
    /// final states must be bit-identical. <c>Forward(Tensor)</c> returns a new tensor of the input's shape
    /// that does not share storage with the input, and leaves the input untouched.
    /// </summary>
    [Theory]
    [MemberData(nameof(LayerHarness.AllNames), MemberType = typeof(LayerHarness))]
    public void TensorOverloadsMatchTheSpanOverload(string name)
    {
        LayerHarness bySpan = Prepared(name, training: true);
        LayerHarness byTensor = Prepared(name, training: true);
        LayerHarness byTensorSpan = Prepared(name, training: true);
        LayerSpec spec = bySpan.Spec;
        foreach ((int batch, bool training) in new[] { (3, true), (2, true), (5, false) })
        {
            bySpan.Train(training);
            byTensor.Train(training);
            byTensorSpan.Train(training);
            float[] input = Input(spec, batch, seed: batch);
            float[] copy = (float[])input.Clone();
            nint[] shape = spec.Shape(batch);

            var expected = new float[input.Length];
            bySpan.Forward(input, expected);

            Tensor<float> inputTensor = Tensor.Create(input, shape);
            Tensor<float> result = byTensor.ForwardTensor(inputTensor);
            Assert.NotSame(inputTensor, result);
            Assert.Equal(shape, result.Lengths.ToArray());
            Assert.True(result.IsDense);
            float[] actual = TensorExtensions.AsSpan(result).ToArray();
            AssertSameBits(expected, actual, $"{name} Forward(Tensor) N={batch}");
            Assert.Equal(copy, input);
            TensorExtensions.AsSpan(result).Fill(42f);
            Assert.Equal(copy, input);

            var viaTensorSpan = new float[input.Length];
            byTensorSpan.ForwardTensorSpan(new ReadOnlyTensorSpan<float>(input, shape), new TensorSpan<float>(viaTensorSpan, shape));
            AssertSameBits(expected, viaTensorSpan, $"{name} Forward(TensorSpan) N={batch}");
            Assert.Equal(copy, input);
        }

        LayerState state = bySpan.Capture();
        byTensor.AssertState(state);
        byTensorSpan.AssertState(state);
    }

    /// <summary>A layer with random parameters, one training step behind it (so tracked statistics are not the initial ones), in the requested mode.</summary>
    private static LayerHarness Prepared(string name, bool training)
    {
        LayerHarness layer = LayerHarness.Create(name);
        var rng = new Random(77);
        if (layer.Weight is not null)
        {
            Span<float> weight = layer.Weight();
            Span<float> bias = layer.Bias!();
            for (int c = 0; c < weight.Length; c++)
            {
                weight[c] = (float)(0.5 + rng.NextDouble());
                bias[c] = (float)(rng.NextDouble() - 0.5);
            }
        }

        float[] warmup = Input(layer.Spec, 4, seed: 99);
        layer.Forward(warmup, new float[warmup.Length]);
        layer.Train(training);
        return layer;
    }

    private static float[] Input(LayerSpec spec, int batch, int seed = 1)
    {
        var rng = new Random(seed);
        (double[] means, double[] stds) = TestData.ChannelDistributions(rng, spec.NumFeatures);
        return TestData.Input(rng, spec, batch, means, stds);
    }

    /// <summary>Both tensor overloads called with an input (and, for the span form, an output) of the given shape.</summary>
    private static IEnumerable<(string Overload, Action Call)> TensorCalls(LayerHarness layer, nint[] shape)
    {
        int count = checked((int)shape.Aggregate((nint)1, (a, b) => a * b));
        yield return ("Forward(Tensor)", () => layer.ForwardTensor(Tensor.Create(new float[count], shape)));
        yield return ("Forward(ReadOnlyTensorSpan, TensorSpan)", () => layer.ForwardTensorSpan(
            new ReadOnlyTensorSpan<float>(new float[count], shape), new TensorSpan<float>(new float[count], shape)));
    }

    /// <summary>Runs <paramref name="call"/>, which must throw an ArgumentException, and checks that the layer's state did not change.</summary>
    private static ArgumentException Rejected(LayerHarness layer, Action call)
    {
        LayerState before = layer.Capture();
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(call);
        layer.AssertState(before);
        return e;
    }

    private static void AssertSameBits(float[] expected, float[] actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{context}: element {i} is {actual[i]:R}, the span overload gave {expected[i]:R}.");
            }
        }
    }
}
