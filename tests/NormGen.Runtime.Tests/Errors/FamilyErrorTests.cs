using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics.Tensors;
using NormGen.Runtime.Tests.Numerics;
using Xunit;

namespace NormGen.Runtime.Tests.Errors;

/// <summary>
/// Errors of the family layers (LayerNorm, GroupNorm, InstanceNorm, RMSNorm, LocalResponseNorm): exception type
/// (ArgumentException or derived), message (PyTorch's text where PyTorch has one, pytorch-norms.md §2; NormGen's texts in
/// src/Runtime/LayerChecks.cs otherwise), and the layer's whole state (weight, bias, running statistics,
/// num_batches_tracked, training flag) bit-for-bit unchanged afterwards. Layers get random parameters and one real
/// training step first, so that "unchanged" is not trivially the initial state.
/// </summary>
public class FamilyErrorTests
{
    private const string SingleValueMessage = "Expected more than 1 value per channel when training, got input size ";
    private const string SingleSpatialMessage = "Expected more than 1 spatial element when training, got input size ";

    public static TheoryData<string, bool> AllNamesBothModes()
    {
        var data = new TheoryData<string, bool>();
        foreach (string name in FamilyHarness.Specs.Keys)
        {
            data.Add(name, true);
            data.Add(name, false);
        }

        return data;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Span overload

    [Theory]
    [MemberData(nameof(AllNamesBothModes))]
    public void SpanInputLengthMustBeAMultipleOfTheSampleSize(string name, bool training)
    {
        FamilyHarness layer = Prepared(name, training);
        int s = layer.Spec.SampleSize;
        foreach (int length in new[] { s + 1, 2 * s - 1, 1, 3 * s + 2 }.Where(l => l % s != 0).Distinct())
        {
            ArgumentException e = Rejected(layer, () => layer.Forward(new float[length], new float[length]));
            string shape = "[N, " + string.Join(", ", layer.Spec.SampleShape) + "]";
            Assert.Equal($"Expected an input length that is a multiple of {s} (the elements of one sample of shape {shape}), but got {length}. (Parameter 'input')", e.Message);
        }
    }

    [Theory]
    [MemberData(nameof(AllNamesBothModes))]
    public void SpanOutputLengthMustEqualTheInputLength(string name, bool training)
    {
        FamilyHarness layer = Prepared(name, training);
        int s = layer.Spec.SampleSize;
        foreach (int length in new[] { 2 * s - 1, 2 * s + 1, 0, s, 3 * s })
        {
            float[] input = Input(layer.Spec, 2);
            ArgumentException e = Rejected(layer, () => layer.Forward(input, new float[length]));
            Assert.StartsWith($"Expected output length {2 * s} (the same as the input), but got {length}.", e.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>In-place use (output = input) is supported; an output overlapping the input at another offset is not.</summary>
    [Theory]
    [MemberData(nameof(AllNamesBothModes))]
    public void SpanOutputMayNotOverlapTheInputAtAnotherOffset(string name, bool training)
    {
        FamilyHarness layer = Prepared(name, training);
        int length = 2 * layer.Spec.SampleSize;
        var buffer = new float[length + 1];
        Input(layer.Spec, 2).CopyTo(buffer, 0);
        ArgumentException e = Rejected(layer, () => layer.Forward(buffer.AsSpan(0, length), buffer.AsSpan(1, length)));
        Assert.StartsWith("The output overlaps the input", e.Message, StringComparison.Ordinal);
        e = Rejected(layer, () => layer.Forward(buffer.AsSpan(1, length), buffer.AsSpan(0, length)));
        Assert.StartsWith("The output overlaps the input", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AllNamesBothModes))]
    public void TensorSpanOutputMustHaveTheInputShape(string name, bool training)
    {
        FamilyHarness layer = Prepared(name, training);
        nint[] shape = layer.Spec.Shape(2);
        float[] input = Input(layer.Spec, 2);
        nint[][] outputShapes = [layer.Spec.Shape(3), layer.Spec.Shape(1), [2 * layer.Spec.SampleSize]];
        foreach (nint[] outputShape in outputShapes)
        {
            int count = checked((int)outputShape.Aggregate((nint)1, (a, b) => a * b));
            ArgumentException e = Rejected(layer, () => layer.ForwardTensorSpan(
                new ReadOnlyTensorSpan<float>(input, shape), new TensorSpan<float>(new float[count], outputShape)));
            Assert.StartsWith($"Expected output of shape {layer.Spec.FormatShape(2)} (the input's shape), but got [{string.Join(", ", outputShape)}].", e.Message, StringComparison.Ordinal);
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // LayerNorm and RMSNorm

    /// <summary>PyTorch's layer_norm text (pytorch-norms.md §2.1); RMSNorm shares the check.</summary>
    [Theory]
    [InlineData("Ln4x6NoBias", new[] { 2, 6, 4 }, "Given normalized_shape=[4, 6], expected input with shape [*, 4, 6], but got input of size[2, 6, 4]")]
    [InlineData("Ln4x6NoBias", new[] { 6 }, "Given normalized_shape=[4, 6], expected input with shape [*, 4, 6], but got input of size[6]")]
    [InlineData("Ln4x6NoBias", new[] { 3, 2, 4, 7 }, "Given normalized_shape=[4, 6], expected input with shape [*, 4, 6], but got input of size[3, 2, 4, 7]")]
    [InlineData("Ln768", new[] { 2, 767 }, "Given normalized_shape=[768], expected input with shape [*, 768], but got input of size[2, 767]")]
    [InlineData("Ln5", new[] { 5, 2 }, "Given normalized_shape=[5], expected input with shape [*, 5], but got input of size[5, 2]")]
    [InlineData("Ln37NoAffine", new[] { 2, 38 }, "Given normalized_shape=[37], expected input with shape [*, 37], but got input of size[2, 38]")]
    [InlineData("Rms3x5NoAffine", new[] { 2, 5, 3 }, "Given normalized_shape=[3, 5], expected input with shape [*, 3, 5], but got input of size[2, 5, 3]")]
    [InlineData("Rms64", new[] { 4, 2, 32 }, "Given normalized_shape=[64], expected input with shape [*, 64], but got input of size[4, 2, 32]")]
    public void RowwiseLayersRejectAnotherNormalizedShape(string name, int[] shape, string message)
    {
        foreach (bool training in new[] { true, false })
        {
            FamilyHarness layer = Prepared(name, training);
            foreach ((string overload, Action call) in TensorCalls(layer, shape.Select(d => (nint)d).ToArray()))
            {
                ArgumentException e = Rejected(layer, call);
                Assert.True(e.Message.StartsWith(message, StringComparison.Ordinal), $"{overload}: expected \"{message}\", got \"{e.Message}\"");
            }
        }
    }

    /// <summary>LayerNorm and RMSNorm have no batch-size rule: one row, with or without leading dimensions, normalizes.</summary>
    [Theory]
    [InlineData("Ln5")]
    [InlineData("Ln4x6NoBias")]
    [InlineData("Rms3x5NoAffine")]
    public void RowwiseLayersAcceptASingleRow(string name)
    {
        FamilyHarness layer = Prepared(name, training: true);
        float[] input = Input(layer.Spec, 1);
        var output = new float[input.Length];
        layer.Forward(input, output);
        Assert.All(output, v => Assert.True(float.IsFinite(v)));
        Tensor<float> unbatched = layer.ForwardTensor(Tensor.Create(input, layer.Spec.SampleShape.Select(d => (nint)d).ToArray()));
        Assert.Equal(output, TensorExtensions.AsSpan(unbatched).ToArray());
    }

    // ----------------------------------------------------------------------------------------------------------------
    // GroupNorm

    /// <summary>Recent F.group_norm's rank check (pytorch-norms.md §2.2).</summary>
    [Theory]
    [InlineData("Gn2d", 8)]
    [InlineData("GnFlat", 6)]
    [InlineData("Gn1dNoAffine", 6)]
    [InlineData("GnUnit", 4)]
    public void GroupNormRejectsFewerThanTwoDimensions(string name, int length)
    {
        foreach (bool training in new[] { true, false })
        {
            FamilyHarness layer = Prepared(name, training);
            foreach ((string overload, Action call) in TensorCalls(layer, [length]))
            {
                ArgumentException e = Rejected(layer, call);
                Assert.True(e.Message.StartsWith("Expected at least 2 dimensions for input tensor but received 1", StringComparison.Ordinal), $"{overload}: {e.Message}");
            }
        }
    }

    /// <summary>With affine, a channel mismatch gives PyTorch's weight-size message; without, the specialization message.</summary>
    [Theory]
    [InlineData("Gn2d", new[] { 2, 6, 5, 5 }, "Expected weight to be a vector of size equal to the number of channels in input, but got weight of shape [8] and input of shape [2, 6, 5, 5]")]
    [InlineData("Gn2d", new[] { 2, 16, 5, 5 }, "Expected weight to be a vector of size equal to the number of channels in input, but got weight of shape [8] and input of shape [2, 16, 5, 5]")]
    [InlineData("GnFlat", new[] { 3, 4 }, "Expected weight to be a vector of size equal to the number of channels in input, but got weight of shape [6] and input of shape [3, 4]")]
    [InlineData("GnUnit", new[] { 2, 8 }, "Expected weight to be a vector of size equal to the number of channels in input, but got weight of shape [4] and input of shape [2, 8]")]
    [InlineData("Gn1dNoAffine", new[] { 2, 3, 7 }, "Gn1dNoAffine is specialized for input of shape [N, 6, 7], but got input of shape [2, 3, 7].")]
    [InlineData("Gn2d", new[] { 2, 8, 5, 6 }, "Gn2d is specialized for input of shape [N, 8, 5, 5], but got input of shape [2, 8, 5, 6].")]
    [InlineData("Gn2d", new[] { 2, 8, 25 }, "Gn2d is specialized for input of shape [N, 8, 5, 5], but got input of shape [2, 8, 25].")]
    [InlineData("GnFlat", new[] { 2, 6, 1 }, "GnFlat is specialized for input of shape [N, 6], but got input of shape [2, 6, 1].")]
    public void GroupNormRejectsOtherShapes(string name, int[] shape, string message)
    {
        foreach (bool training in new[] { true, false })
        {
            FamilyHarness layer = Prepared(name, training);
            foreach ((string overload, Action call) in TensorCalls(layer, shape.Select(d => (nint)d).ToArray()))
            {
                ArgumentException e = Rejected(layer, call);
                Assert.True(e.Message.StartsWith(message, StringComparison.Ordinal), $"{overload}: expected \"{message}\", got \"{e.Message}\"");
            }
        }
    }

    /// <summary>
    /// GroupNorm's batch-size rule, as PyTorch applies it: F.group_norm verifies the size [N·C/G, G, spatial...], which
    /// has a single value per "channel" when N·C/G·∏spatial = 1: GnUnit (C/G = 1, no spatial dims) at N = 1. GroupNorm has
    /// no running statistics, so this applies in eval too (pytorch-norms.md §2.2). N = 2 and N = 0 are fine.
    /// </summary>
    [Fact]
    public void GroupNormRejectsOneValuePerGroupInBothModes()
    {
        foreach (bool training in new[] { true, false })
        {
            FamilyHarness layer = Prepared("GnUnit", training);
            float[] input = Input(layer.Spec, 1);
            ArgumentException e = Rejected(layer, () => layer.Forward(input, new float[input.Length]));
            Assert.StartsWith(SingleValueMessage + "[1, 4]", e.Message, StringComparison.Ordinal);
            foreach ((string overload, Action call) in TensorCalls(layer, [1, 4]))
            {
                e = Rejected(layer, call);
                Assert.True(e.Message.StartsWith(SingleValueMessage + "[1, 4]", StringComparison.Ordinal), $"{overload}: {e.Message}");
            }

            float[] two = Input(layer.Spec, 2);
            var output = new float[two.Length];
            LayerState before = layer.Capture();
            layer.Forward(two, output);
            layer.AssertState(before);

            // One value per group per sample: x − mean = 0, so y = β.
            for (int i = 0; i < output.Length; i++)
            {
                float beta = layer.Bias!()[i % 4];
                Assert.True(Math.Abs(output[i] - beta) <= 1e-5 * Math.Abs(beta), $"N=2 element {i}: {output[i]:R}, β = {beta:R}");
            }

            layer.Forward(ReadOnlySpan<float>.Empty, Span<float>.Empty);
        }
    }

    /// <summary>The other GroupNorm layers have more than one value per group even at N = 1.</summary>
    [Theory]
    [InlineData("Gn2d")]
    [InlineData("GnFlat")]
    [InlineData("Gn1dNoAffine")]
    public void GroupNormAcceptsOneSampleWithSeveralValuesPerGroup(string name)
    {
        FamilyHarness layer = Prepared(name, training: true);
        float[] input = Input(layer.Spec, 1);
        var output = new float[input.Length];
        LayerState before = layer.Capture();
        layer.Forward(input, output);
        layer.AssertState(before);
        FamilyCompare.Outputs(layer.Spec, layer.StatelessReference(input), input, output, name + " N=1");
    }

    // ----------------------------------------------------------------------------------------------------------------
    // InstanceNorm

    /// <summary>The module's rank check (pytorch-norms.md §2.3): batched or unbatched ranks only.</summary>
    [Theory]
    [InlineData("In1d", 1, "expected 2D or 3D input (got 1D input)")]
    [InlineData("In1d", 4, "expected 2D or 3D input (got 4D input)")]
    [InlineData("In2dTrack", 2, "expected 3D or 4D input (got 2D input)")]
    [InlineData("In2dTrack", 5, "expected 3D or 4D input (got 5D input)")]
    [InlineData("In2dAffine", 2, "expected 3D or 4D input (got 2D input)")]
    [InlineData("InUnit", 2, "expected 3D or 4D input (got 2D input)")]
    [InlineData("In3d", 3, "expected 4D or 5D input (got 3D input)")]
    [InlineData("In3d", 6, "expected 4D or 5D input (got 6D input)")]
    public void InstanceNormRejectsOtherRanks(string name, int rank, string message)
    {
        foreach (bool training in new[] { true, false })
        {
            FamilyHarness layer = Prepared(name, training);
            FamilySpec spec = layer.Spec;

            // (2, C, 2, 2, ...) cut or padded to the rank, channels at dim 1.
            nint[] shape = Enumerable.Range(0, rank).Select(d => d == 1 ? (nint)spec.Channels : 2).ToArray();
            foreach ((string overload, Action call) in TensorCalls(layer, shape))
            {
                ArgumentException e = Rejected(layer, call);
                Assert.True(e.Message.StartsWith(message, StringComparison.Ordinal), $"{overload} [{string.Join(", ", shape)}]: expected \"{message}\", got \"{e.Message}\"");
            }
        }
    }

    /// <summary>
    /// With affine, PyTorch (2.1+) checks the channel count against num_features at the channel dimension (1 batched, 0
    /// unbatched); without affine it only warns, so the specialized layer gives its own message.
    /// </summary>
    [Theory]
    [InlineData("In2dAffine", new[] { 2, 3, 5, 6 }, "expected input's size at dim=1 to match num_features (4), but got: 3.")]
    [InlineData("In2dAffine", new[] { 3, 5, 6 }, "expected input's size at dim=0 to match num_features (4), but got: 3.")]
    [InlineData("In2dAffine", new[] { 2, 8, 5, 6 }, "expected input's size at dim=1 to match num_features (4), but got: 8.")]
    [InlineData("In3d", new[] { 2, 3, 3, 4, 5 }, "expected input's size at dim=1 to match num_features (2), but got: 3.")]
    [InlineData("In3d", new[] { 1, 3, 4, 5 }, "expected input's size at dim=0 to match num_features (2), but got: 1.")]
    [InlineData("In2dTrack", new[] { 2, 4, 4, 5 }, "In2dTrack is specialized for input of shape [N, 3, 4, 5], but got input of shape [2, 4, 4, 5].")]
    [InlineData("In1d", new[] { 2, 3, 11 }, "In1d is specialized for input of shape [N, 3, 10], but got input of shape [2, 3, 11].")]
    [InlineData("In1d", new[] { 3, 11 }, "In1d is specialized for input of shape [N, 3, 10], but got input of shape [3, 11].")]
    [InlineData("In2dAffine", new[] { 2, 4, 6, 5 }, "In2dAffine is specialized for input of shape [N, 4, 5, 6], but got input of shape [2, 4, 6, 5].")]
    public void InstanceNormRejectsOtherShapes(string name, int[] shape, string message)
    {
        foreach (bool training in new[] { true, false })
        {
            FamilyHarness layer = Prepared(name, training);
            foreach ((string overload, Action call) in TensorCalls(layer, shape.Select(d => (nint)d).ToArray()))
            {
                ArgumentException e = Rejected(layer, call);
                Assert.True(e.Message.StartsWith(message, StringComparison.Ordinal), $"{overload}: expected \"{message}\", got \"{e.Message}\"");
            }
        }
    }

    /// <summary>
    /// Unbatched input (C, spatial...) is one sample: the same output and the same running-statistics update as (1, C,
    /// spatial...), through both tensor overloads, in both modes.
    /// </summary>
    [Theory]
    [InlineData("In1d")]
    [InlineData("In2dAffine")]
    [InlineData("In2dTrack")]
    [InlineData("In3d")]
    public void UnbatchedInstanceNormInputIsOneSample(string name)
    {
        foreach (bool training in new[] { true, false })
        {
            FamilyHarness batched = Prepared(name, training), unbatched = Prepared(name, training), viaSpan = Prepared(name, training);
            FamilySpec spec = batched.Spec;
            float[] input = Input(spec, 1, seed: 5);
            nint[] sampleShape = spec.SampleShape.Select(d => (nint)d).ToArray();

            Tensor<float> expected = batched.ForwardTensor(Tensor.Create(input, spec.Shape(1)));
            Tensor<float> actual = unbatched.ForwardTensor(Tensor.Create(input, sampleShape));
            Assert.Equal(sampleShape, actual.Lengths.ToArray());
            Assert.Equal(TensorExtensions.AsSpan(expected).ToArray(), TensorExtensions.AsSpan(actual).ToArray());
            unbatched.AssertState(batched.Capture());

            var output = new float[input.Length];
            viaSpan.ForwardTensorSpan(new ReadOnlyTensorSpan<float>(input, sampleShape), new TensorSpan<float>(output, sampleShape));
            Assert.Equal(TensorExtensions.AsSpan(expected).ToArray(), output);
            viaSpan.AssertState(batched.Capture());

            // And it is what the reference computes for N = 1.
            if (training)
            {
                FamilyHarness fresh = Prepared(name, training);
                ReferenceInstanceNorm reference = fresh.CreateInstanceReference();
                ReferenceFamily.Result result = reference.Forward(input, 1);
                FamilyCompare.Outputs(spec, result, input, output, $"{name} unbatched");
            }
        }
    }

    /// <summary>
    /// InstanceNorm needs more than one spatial element whenever it uses instance statistics (training, or no running
    /// statistics), whatever N is, with PyTorch's message (F.instance_norm's _verify_spatial_size; the unbatched form is
    /// unsqueezed to N = 1 first). InUnit is (N, 3, 1, 1).
    /// </summary>
    [Fact]
    public void InstanceNormRejectsOneSpatialElementInTraining()
    {
        FamilyHarness layer = Prepared("InUnit", training: true);
        foreach (int batch in new[] { 2, 1, 0 })
        {
            string expected = SingleSpatialMessage + $"[{batch}, 3, 1, 1]";
            float[] input = Input(layer.Spec, batch);
            ArgumentException e = Rejected(layer, () => layer.Forward(input, new float[input.Length]));
            Assert.StartsWith(expected, e.Message, StringComparison.Ordinal);
            foreach ((string overload, Action call) in TensorCalls(layer, layer.Spec.Shape(batch)))
            {
                e = Rejected(layer, call);
                Assert.True(e.Message.StartsWith(expected, StringComparison.Ordinal), $"{overload} N={batch}: {e.Message}");
            }
        }

        foreach ((string overload, Action call) in TensorCalls(layer, [3, 1, 1]))
        {
            ArgumentException e = Rejected(layer, call);
            Assert.True(e.Message.StartsWith(SingleSpatialMessage + "[1, 3, 1, 1]", StringComparison.Ordinal), $"{overload} unbatched: {e.Message}");
        }
    }

    /// <summary>In eval InUnit normalizes with its running statistics, so one spatial element is fine, for any N.</summary>
    [Fact]
    public void InstanceNormAcceptsOneSpatialElementInEvalWithRunningStats()
    {
        FamilyHarness layer = Prepared("InUnit", training: false);
        var rng = new Random(31);
        FamilyData.RandomizeRunningStats(rng, layer);
        foreach (int batch in new[] { 1, 2, 5 })
        {
            ReferenceInstanceNorm reference = layer.CreateInstanceReference();
            float[] input = Input(layer.Spec, batch);
            LayerState before = layer.Capture();
            ReferenceFamily.Result expected = reference.Forward(input, batch);
            var output = new float[input.Length];
            layer.Forward(input, output);
            layer.AssertState(before);
            FamilyCompare.Outputs(layer.Spec, expected, input, output, $"InUnit eval N={batch}");

            Tensor<float> unbatched = layer.ForwardTensor(Tensor.Create(input.AsSpan(0, 3).ToArray(), [3, 1, 1]));
            Assert.Equal(output.AsSpan(0, 3).ToArray(), TensorExtensions.AsSpan(unbatched).ToArray());
            layer.AssertState(before);
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // LocalResponseNorm

    /// <summary>F.local_response_norm's rank check, with the spaces its line continuation puts in the literal (§2.5).</summary>
    [Theory]
    [InlineData("Lrn", new[] { 2, 8 })]
    [InlineData("Lrn", new[] { 96 })]
    [InlineData("LrnEven", new[] { 2, 3 })]
    public void LocalResponseNormRejectsFewerThanThreeDimensions(string name, int[] shape)
    {
        string message = "Expected 3D or higher dimensionality" + new string(' ', 26) + $"input (got {shape.Length} dimensions)";
        foreach (bool training in new[] { true, false })
        {
            FamilyHarness layer = Prepared(name, training);
            foreach ((string overload, Action call) in TensorCalls(layer, shape.Select(d => (nint)d).ToArray()))
            {
                ArgumentException e = Rejected(layer, call);
                Assert.True(e.Message.StartsWith(message, StringComparison.Ordinal), $"{overload}: expected \"{message}\", got \"{e.Message}\"");
            }
        }
    }

    /// <summary>PyTorch accepts any (N, C, *) of rank ≥ 3; the specialized layer refuses other shapes with its own message.</summary>
    [Theory]
    [InlineData("Lrn", new[] { 2, 8, 12 }, "Lrn is specialized for input of shape [N, 8, 3, 4], but got input of shape [2, 8, 12].")]
    [InlineData("Lrn", new[] { 2, 7, 3, 4 }, "Lrn is specialized for input of shape [N, 8, 3, 4], but got input of shape [2, 7, 3, 4].")]
    [InlineData("Lrn", new[] { 1, 2, 8, 3, 4 }, "Lrn is specialized for input of shape [N, 8, 3, 4], but got input of shape [1, 2, 8, 3, 4].")]
    [InlineData("LrnEven", new[] { 2, 3, 5 }, "LrnEven is specialized for input of shape [N, 3, 4], but got input of shape [2, 3, 5].")]
    public void LocalResponseNormRejectsOtherShapes(string name, int[] shape, string message)
    {
        FamilyHarness layer = Prepared(name, training: true);
        foreach ((string overload, Action call) in TensorCalls(layer, shape.Select(d => (nint)d).ToArray()))
        {
            ArgumentException e = Rejected(layer, call);
            Assert.True(e.Message.StartsWith(message, StringComparison.Ordinal), $"{overload}: expected \"{message}\", got \"{e.Message}\"");
        }
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Helpers

    /// <summary>A layer with random parameters, one training step behind it (when it can train), in the requested mode.</summary>
    private static FamilyHarness Prepared(string name, bool training)
    {
        FamilyHarness layer = FamilyHarness.Create(name);
        var rng = new Random(77);
        FamilyData.RandomizeParameters(rng, layer);
        if (!(layer.Spec.Kind == FamilyKind.InstanceNorm && layer.Spec.PlaneSize == 1))
        {
            float[] warmup = Input(layer.Spec, 4, seed: 99);
            layer.Forward(warmup, new float[warmup.Length]);
        }

        layer.Train(training);
        return layer;
    }

    private static float[] Input(FamilySpec spec, int batch, int seed = 1) => FamilyData.OrdinaryInput(new Random(seed), spec, batch);

    /// <summary>Both tensor overloads called with an input (and, for the span form, an output) of the given shape.</summary>
    private static IEnumerable<(string Overload, Action Call)> TensorCalls(FamilyHarness layer, nint[] shape)
    {
        int count = checked((int)shape.Aggregate((nint)1, (a, b) => a * b));
        yield return ("Forward(Tensor)", () => layer.ForwardTensor(Tensor.Create(new float[count], shape)));
        yield return ("Forward(ReadOnlyTensorSpan, TensorSpan)", () => layer.ForwardTensorSpan(
            new ReadOnlyTensorSpan<float>(new float[count], shape), new TensorSpan<float>(new float[count], shape)));
    }

    /// <summary>Runs <paramref name="call"/>, which must throw an ArgumentException, and checks that the layer's state did not change.</summary>
    private static ArgumentException Rejected(FamilyHarness layer, Action call)
    {
        LayerState before = layer.Capture();
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(call);
        layer.AssertState(before);
        return e;
    }
}
