using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics.Tensors;
using NormGen.Dynamic;
using Xunit;

namespace NormGen.Runtime.Tests.Dynamic;

/// <summary>
/// The run-time-shape <see cref="BatchNorm"/> against the generated layers of Layers.cs (same configuration, same
/// parameters, same inputs) and against a float64 reference, plus its own surface: construction, errors, state after
/// errors, shapes of any rank, and no allocation in steady state.
/// </summary>
public class DynamicBatchNormTests
{
    private const string BatchSizeMessage = "Expected more than 1 value per channel when training, got input size ";

    // Tolerances against the generated layers. Both compute the same formulas (two-pass statistics around a float
    // shift, double totals, the same coefficient and running-update expressions), but they add the float partial sums
    // in a different order (fixed-width SIMD accumulators in the generated kernels, TensorPrimitives over chunks of at
    // most 256 here), so the shift, the sums of deviations and hence mean and variance differ by a few float32
    // roundings (~1e-7 relative); the normalization is a fused multiply-add in one and two roundings in the other.
    // Outputs are of order 1 (or a few units in eval mode), so |a - b| <= 1e-5 * max(1, |b|) is a relative 1e-5 with
    // an absolute floor for outputs near zero. The running statistics are one float rounding of a double value
    // followed by the same float lerp in both, so they agree to within a couple of ulps: 1e-6 relative, with the same
    // kind of floor (1e-6 absolute) for a running mean that happens to be near zero, whose error is a few float32
    // roundings of the data (|x| up to about 35 here, so ~1e-7 observed), not of the small result.
    private const double OutputTolerance = 1e-5;
    private const double RunningTolerance = 1e-6;

    [Theory]
    [MemberData(nameof(GeneratedTwin.AllNames), MemberType = typeof(GeneratedTwin))]
    public void AgreesWithTheGeneratedLayer(string name)
    {
        GeneratedTwin generated = GeneratedTwin.Create(name);
        BatchNorm dynamic = generated.CreateDynamic();
        GeneratedTwin.Config config = generated.Configuration;
        Assert.Equal(generated.Parameters().Select(p => p.Name), dynamic.NamedParameters().Select(p => p.Name));
        Assert.Equal(generated.Buffers().Select(b => b.Name), dynamic.NamedBuffers().Select(b => b.Name));
        RandomizeParameters(generated.Parameters(), dynamic.NamedParameters(), seed: name.Length);

        var rng = new Random(2024);
        (double[] means, double[] stds) = Distributions(rng, config.NumFeatures);
        if (config.Eps == 0)
        {
            // A constant channel whose sums are exact in float (2.5 has few mantissa bits), so the variance is exactly 0:
            // with eps = 0 both must use invstd 0 (PyTorch's rule) and output the bias, not NaN.
            means[0] = 2.5;
            stds[0] = 0;
        }

        // Several training steps of different batch sizes, eval steps in between, training again.
        (int Batch, bool Training)[] steps = [(3, true), (2, true), (5, true), (4, false), (6, true), (1, false), (2, true), (3, false)];
        int step = 0;
        foreach ((int batch, bool training) in steps)
        {
            string context = $"{name} step {step++} (N={batch}, {(training ? "train" : "eval")})";
            generated.Train(training);
            dynamic.Train(training);
            if (batch == 1 && config.PlaneSize == 1 && !config.TrackRunningStats)
            {
                continue; // rejected by both (batch statistics with one value per channel); covered by the error tests
            }

            nint[] shape = config.Shape(batch);
            float[] input = Input(rng, config, batch, means, stds);
            Tensor<float> expected = generated.ForwardTensor(Tensor.Create(input, shape));
            Tensor<float> actual = dynamic.Forward(Tensor.Create(input, shape));
            Assert.Equal(shape, actual.Lengths.ToArray());
            AssertClose(TensorExtensions.AsSpan(expected), TensorExtensions.AsSpan(actual), OutputTolerance, context + " output");
            if (config.Eps == 0 && training)
            {
                for (int n = 0; n < batch; n++)
                {
                    float bias = dynamic.Bias!.DataSpan[0];
                    Assert.All(TensorExtensions.AsSpan(actual).Slice(n * config.NumFeatures * config.PlaneSize, config.PlaneSize).ToArray(), v => Assert.Equal(bias, v));
                }
            }

            AssertSameState(generated, dynamic, context);
        }
    }

    [Theory]
    [MemberData(nameof(GeneratedTwin.AllNames), MemberType = typeof(GeneratedTwin))]
    public void TensorSpanOverloadInPlaceMatchesTheTensorOverload(string name)
    {
        GeneratedTwin.Config config = GeneratedTwin.Configs[name];
        BatchNorm byTensor = GeneratedTwin.Create(name).CreateDynamic();
        BatchNorm inPlace = GeneratedTwin.Create(name).CreateDynamic();
        RandomizeParameters(byTensor.NamedParameters(), inPlace.NamedParameters(), seed: 5);
        var rng = new Random(8);
        (double[] means, double[] stds) = Distributions(rng, config.NumFeatures);
        foreach ((int batch, bool training) in new[] { (3, true), (4, true), (2, false) })
        {
            byTensor.Train(training);
            inPlace.Train(training);
            float[] input = Input(rng, config, batch, means, stds);
            nint[] shape = config.Shape(batch);
            float[] expected = TensorExtensions.AsSpan(byTensor.Forward(Tensor.Create((float[])input.Clone(), shape))).ToArray();
            inPlace.Forward(new ReadOnlyTensorSpan<float>(input, shape), new TensorSpan<float>(input, shape));
            Assert.Equal(expected, input);
        }

        TwinState.Of(byTensor).AssertEqual(TwinState.Of(inPlace), name);
    }

    /// <summary>
    /// Inputs of rank 2 to 6 (shapes no generated layer has) against a float64 reference of PyTorch's formulas,
    /// over training and eval steps.
    /// </summary>
    [Theory]
    [InlineData(new int[] { 5 })]
    [InlineData(new int[] { 5, 300 })]
    [InlineData(new int[] { 3, 2, 3 })]
    [InlineData(new int[] { 2, 2, 3, 4, 3 })]
    [InlineData(new int[] { 2, 1, 3, 1, 2, 2 })]
    public void MatchesAFloat64ReferenceAtAnyRank(int[] sampleShape)
    {
        int channels = sampleShape[0];
        int plane = sampleShape.Skip(1).Aggregate(1, (a, b) => a * b);
        var layer = new BatchNorm(channels, eps: 1e-4, momentum: 0.2);
        var rng = new Random(3);
        for (int c = 0; c < channels; c++)
        {
            layer.Weight!.DataSpan[c] = (float)(0.5 + rng.NextDouble());
            layer.Bias!.DataSpan[c] = (float)(rng.NextDouble() - 0.5);
        }

        double[] runningMean = new double[channels];
        double[] runningVar = Enumerable.Repeat(1.0, channels).ToArray();
        foreach ((int batch, bool training) in new[] { (3, true), (2, true), (4, false) })
        {
            layer.Train(training);
            nint[] shape = [batch, .. sampleShape.Select(s => (nint)s)];
            var input = new float[batch * channels * plane];
            for (int i = 0; i < input.Length; i++)
            {
                int c = i / plane % channels;
                input[i] = (float)(c - 1 + ((c + 1) * Normal(rng)));
            }

            float[] output = TensorExtensions.AsSpan(layer.Forward(Tensor.Create(input, shape))).ToArray();
            for (int c = 0; c < channels; c++)
            {
                List<double> values = [];
                for (int n = 0; n < batch; n++)
                {
                    for (int p = 0; p < plane; p++)
                    {
                        values.Add(input[((n * channels) + c) * plane + p]);
                    }
                }

                double mean = values.Average();
                double m2 = values.Sum(v => (v - mean) * (v - mean));
                double useMean = training ? mean : runningMean[c];
                double useVar = training ? m2 / values.Count : runningVar[c];
                double scale = layer.Weight!.DataSpan[c] / Math.Sqrt(useVar + 1e-4);
                for (int n = 0; n < batch; n++)
                {
                    for (int p = 0; p < plane; p++)
                    {
                        int i = ((n * channels) + c) * plane + p;
                        double expected = ((input[i] - useMean) * scale) + layer.Bias!.DataSpan[c];
                        Assert.True(Math.Abs(output[i] - expected) <= 1e-5 * Math.Max(1, Math.Abs(expected)), $"{string.Join("x", shape)} c={c} i={i}: {output[i]} vs {expected}");
                    }
                }

                if (training)
                {
                    runningMean[c] = (0.8 * runningMean[c]) + (0.2 * mean);
                    runningVar[c] = (0.8 * runningVar[c]) + (0.2 * m2 / (values.Count - 1));
                }

                // The running statistics are float lerps of terms of order 1, so their error is relative to those
                // terms (floor 1), not to a running mean that may cancel to near zero.
                Assert.True(Math.Abs(layer.RunningMean![c] - runningMean[c]) <= 1e-6 * Math.Max(1, Math.Abs(runningMean[c])), $"running_mean c={c}: {layer.RunningMean[c]} vs {runningMean[c]}");
                AssertRelative(runningVar[c], layer.RunningVar![c], 1e-6, "running_var");
            }
        }

        Assert.Equal(2, layer.NumBatchesTracked);
    }

    /// <summary>
    /// Mean 1e4 and standard deviation 1 (the accuracy goal of the project): with momentum 1 the running statistics are
    /// the batch mean and the unbiased batch variance, which must be within 1e-6 relative of a float64 computation on
    /// the same float inputs. Planes of 4096 elements go through many 256-element chunks.
    /// </summary>
    [Fact]
    public void LargeMeanStatisticsStayAccurate()
    {
        const int Batch = 8;
        const int Channels = 3;
        const int Plane = 64 * 64;
        var layer = new BatchNorm(Channels, momentum: 1);
        var rng = new Random(11);
        var input = new float[Batch * Channels * Plane];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = (float)(1e4 + Normal(rng));
        }

        float[] output = TensorExtensions.AsSpan(layer.Forward(Tensor.Create(input, [Batch, Channels, 64, 64]))).ToArray();
        for (int c = 0; c < Channels; c++)
        {
            double sum = 0;
            for (int n = 0; n < Batch; n++)
            {
                for (int p = 0; p < Plane; p++)
                {
                    sum += input[((n * Channels) + c) * Plane + p];
                }
            }

            double mean = sum / (Batch * Plane);
            double m2 = 0;
            for (int n = 0; n < Batch; n++)
            {
                for (int p = 0; p < Plane; p++)
                {
                    double d = input[((n * Channels) + c) * Plane + p] - mean;
                    m2 += d * d;
                }
            }

            double biased = m2 / (Batch * Plane);
            AssertRelative(mean, layer.RunningMean![c], 1e-6, $"mean c={c}");
            AssertRelative(m2 / ((Batch * Plane) - 1), layer.RunningVar![c], 1e-6, $"var c={c}");
            for (int n = 0; n < Batch; n++)
            {
                for (int p = 0; p < Plane; p += 97)
                {
                    int i = ((n * Channels) + c) * Plane + p;
                    double expected = (input[i] - mean) / Math.Sqrt(biased + 1e-5);
                    Assert.True(Math.Abs(output[i] - expected) <= 1e-5, $"c={c} i={i}: {output[i]} vs {expected}");
                }
            }
        }
    }

    [Theory]
    [InlineData("Bn2d")]
    [InlineData("Bn1dFlat")]
    [InlineData("Bn2dNoTrack")]
    [InlineData("Bn2dNoAffine")]
    [InlineData("Bn3d")]
    public void ErrorsMatchTheGeneratedLayerAndLeaveBothUnchanged(string name)
    {
        GeneratedTwin generated = GeneratedTwin.Create(name);
        BatchNorm dynamic = generated.CreateDynamic();
        GeneratedTwin.Config config = generated.Configuration;
        Prepare(generated, dynamic);
        foreach (bool training in new[] { true, false })
        {
            generated.Train(training);
            dynamic.Train(training);
            int count = 2 * config.NumFeatures * config.PlaneSize;
            nint[] shape = config.Shape(2);

            // Channel count (PyTorch's running_mean / weight message).
            nint[] wrongChannels = (nint[])shape.Clone();
            wrongChannels[1] += 1;
            int wrongCount = count / config.NumFeatures * (config.NumFeatures + 1);
            SameError(generated, dynamic, $"{name} C+1", new float[wrongCount], wrongChannels, new float[wrongCount], wrongChannels);

            // Output shape differs.
            nint[] longer = config.Shape(3);
            SameError(generated, dynamic, $"{name} output", new float[count], shape, new float[count / 2 * 3], longer);

            // Not dense: a padded input, then a padded output.
            var padded = new float[count * 2];
            nint[] paddedStrides = Strides(shape);
            paddedStrides[0] *= 2;
            SameError(generated, dynamic, $"{name} strided input", padded, shape, new float[count], shape, inputStrides: paddedStrides);
            SameError(generated, dynamic, $"{name} strided output", new float[count], shape, padded, shape, outputStrides: paddedStrides);

            // Partial overlap of input and output.
            var shared = new float[count + 1];
            string g = Message(() => generated.ForwardTensorSpan(new ReadOnlyTensorSpan<float>(shared.AsSpan(0, count), shape), new TensorSpan<float>(shared.AsSpan(1, count), shape)), generated, null);
            string d = Message(() => dynamic.Forward(new ReadOnlyTensorSpan<float>(shared.AsSpan(0, count), shape), new TensorSpan<float>(shared.AsSpan(1, count), shape)), null, dynamic);
            Assert.Equal(g, d);
        }
    }

    /// <summary>N·∏spatial = 1 with batch statistics: same message as the generated layer, and neither counts the batch.</summary>
    [Theory]
    [InlineData("Bn1dFlat", "[1, 4]")]
    [InlineData("Bn2dUnit", "[1, 4, 1, 1]")]
    public void BatchOfOneValuePerChannelIsRejectedInTraining(string name, string shapeText)
    {
        GeneratedTwin generated = GeneratedTwin.Create(name);
        BatchNorm dynamic = generated.CreateDynamic();
        Prepare(generated, dynamic);
        GeneratedTwin.Config config = generated.Configuration;
        nint[] shape = config.Shape(1);
        string message = SameError(generated, dynamic, name, Ramp(config.NumFeatures), shape, new float[config.NumFeatures], shape);
        Assert.StartsWith(BatchSizeMessage + shapeText, message, StringComparison.Ordinal);

        // Eval with running statistics accepts it (PyTorch too).
        generated.Train(false);
        dynamic.Eval();
        float[] input = Ramp(config.NumFeatures);
        AssertClose(
            TensorExtensions.AsSpan(generated.ForwardTensor(Tensor.Create(input, shape))),
            TensorExtensions.AsSpan(dynamic.Forward(Tensor.Create(input, shape))),
            OutputTolerance,
            name + " eval N=1");
        AssertSameState(generated, dynamic, name + " eval N=1");
    }

    /// <summary>Without running statistics, eval uses batch statistics, so the rule applies in eval too (PyTorch issue #156051).</summary>
    [Fact]
    public void BatchOfOneValuePerChannelIsRejectedInEvalWithoutRunningStats()
    {
        var layer = new BatchNorm(4, trackRunningStats: false);
        layer.Eval();
        float[] input = Ramp(4);
        foreach (nint[] shape in new nint[][] { [1, 4], [1, 4, 1], [1, 4, 1, 1, 1] })
        {
            ArgumentException e = Assert.ThrowsAny<ArgumentException>(() => layer.Forward(Tensor.Create(input, shape)));
            Assert.Equal(BatchSizeMessage + "[" + string.Join(", ", shape) + "] (Parameter 'input')", e.Message);
        }

        Assert.False(layer.Training);

        // Two values per channel are fine, in either dimension.
        foreach (nint[] shape in new nint[][] { [2, 4], [1, 4, 2], [1, 4, 1, 2] })
        {
            var data = Enumerable.Range(0, 8).Select(i => (float)(i * i)).ToArray();
            Tensor<float> output = layer.Forward(Tensor.Create(data, shape));
            Assert.All(TensorExtensions.AsSpan(output).ToArray(), v => Assert.Equal(1f, Math.Abs(v), 3));
        }
    }

    [Fact]
    public void RankBelowTwoIsRejected()
    {
        var layer = new BatchNorm(3);
        TwinState before = TwinState.Of(layer);
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(() => layer.Forward(Tensor.Create(new float[3], [3])));
        Assert.Equal("expected 2D or higher input (got 1D input) (Parameter 'input')", e.Message);
        e = Assert.ThrowsAny<ArgumentException>(() => layer.Forward(new ReadOnlyTensorSpan<float>(new float[3], [3]), new TensorSpan<float>(new float[3], [3])));
        Assert.Equal("expected 2D or higher input (got 1D input) (Parameter 'input')", e.Message);
        Assert.Throws<ArgumentNullException>(() => layer.Forward(null!));
        before.AssertEqual(TwinState.Of(layer), "rank 1");
    }

    [Fact]
    public void WrongChannelCountWithoutAffineOrRunningStatsIsRejected()
    {
        var layer = new BatchNorm(3, affine: false, trackRunningStats: false);
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(() => layer.Forward(Tensor.Create(new float[8], [2, 4])));
        Assert.Equal("Expected input with 3 channels in dim 1 (num_features), but got input of shape [2, 4]. (Parameter 'input')", e.Message);
    }

    [Fact]
    public void EmptyBatchCountsInTrainingAndChangesNothingElse()
    {
        GeneratedTwin generated = GeneratedTwin.Create("Bn2d");
        BatchNorm dynamic = generated.CreateDynamic();
        Prepare(generated, dynamic);
        foreach (bool training in new[] { true, false })
        {
            generated.Train(training);
            dynamic.Train(training);
            nint[] shape = [0, 3, 4, 5];
            Assert.Equal(0, generated.ForwardTensor(Tensor.Create(Array.Empty<float>(), shape)).FlattenedLength);
            Tensor<float> output = dynamic.Forward(Tensor.Create(Array.Empty<float>(), shape));
            Assert.Equal(shape, output.Lengths.ToArray());
            AssertSameState(generated, dynamic, $"N=0 {(training ? "train" : "eval")}");
        }

        // An empty spatial dimension (which no generated layer can have): PyTorch also counts the batch.
        long before = dynamic.NumBatchesTracked;
        dynamic.Train();
        float[] runningMean = TensorExtensions.AsSpan(dynamic.RunningMean!).ToArray();
        dynamic.Forward(Tensor.Create(Array.Empty<float>(), [2, 3, 0, 5]));
        Assert.Equal(before + 1, dynamic.NumBatchesTracked);
        Assert.Equal(runningMean, TensorExtensions.AsSpan(dynamic.RunningMean!).ToArray());
    }

    [Fact]
    public void SteadyStateForwardAllocatesNothing()
    {
        var layer = new BatchNorm(16, cumulativeAverage: true);
        nint[] shape = [4, 16, 33, 31];
        var input = new float[4 * 16 * 33 * 31];
        var rng = new Random(1);
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = (float)Normal(rng);
        }

        var output = new float[input.Length];
        void Run(bool training, int times)
        {
            layer.Train(training);
            for (int i = 0; i < times; i++)
            {
                layer.Forward(new ReadOnlyTensorSpan<float>(input, shape), new TensorSpan<float>(output, shape));
            }
        }

        Assert.Equal(0, SteadyState.AllocatedBytes(() =>
        {
            Run(true, 1);
            Run(false, 1);
        }));
    }

    [Fact]
    public void ConstructorValidatesItsArguments()
    {
        AssertRejected("numFeatures", () => new BatchNorm(0), "numFeatures (the number of channels C) must be positive, but it is 0.");
        AssertRejected("numFeatures", () => new BatchNorm(-2), "numFeatures (the number of channels C) must be positive, but it is -2.");
        AssertRejected("eps", () => new BatchNorm(3, eps: -1e-5), "eps must be zero or positive and finite (PyTorch's default is 1e-5), but it is -1E-05.");
        AssertRejected("eps", () => new BatchNorm(3, eps: double.NaN), "eps must be zero or positive and finite");
        AssertRejected("eps", () => new BatchNorm(3, eps: double.PositiveInfinity), "eps must be zero or positive and finite");
        AssertRejected("momentum", () => new BatchNorm(3, momentum: 1.5), "momentum must be between 0 and 1 inclusive (PyTorch's default is 0.1; use cumulativeAverage: true for momentum=None), but it is 1.5.");
        AssertRejected("momentum", () => new BatchNorm(3, momentum: -0.1), "momentum must be between 0 and 1 inclusive");
        AssertRejected("momentum", () => new BatchNorm(3, momentum: double.NaN), "momentum must be between 0 and 1 inclusive");

        // The bounds themselves are fine.
        _ = new BatchNorm(1, eps: 0, momentum: 0);
        _ = new BatchNorm(1, momentum: 1);

        static void AssertRejected(string parameter, Func<BatchNorm> create, string messageStart)
        {
            ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => create());
            Assert.Equal(parameter, e.ParamName);
            Assert.StartsWith(messageStart, e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void SurfaceFollowsTheConfiguration()
    {
        var full = new BatchNorm(3, eps: 1e-3, momentum: 0.3);
        Assert.Equal(3, full.NumFeatures);
        Assert.Equal(1e-3, full.Eps);
        Assert.Equal(0.3, full.Momentum);
        Assert.False(full.CumulativeAverage);
        Assert.True(full.Affine);
        Assert.True(full.TrackRunningStats);
        Assert.True(full.Training);
        Assert.Same(full, full.Eval());
        Assert.False(full.Training);
        Assert.Same(full, full.Train());
        Assert.True(full.Training);
        Assert.Equal(new[] { "weight", "bias" }, full.NamedParameters().Select(p => p.Name));
        Assert.Same(full.Weight, full.NamedParameters()[0].Parameter);
        Assert.Same(full.Bias, full.NamedParameters()[1].Parameter);
        Assert.False(full.Weight!.WeightDecay);
        Assert.False(full.Bias!.WeightDecay);
        Assert.Equal(new nint[] { 3 }, full.Weight.Data.Lengths.ToArray());
        Assert.Equal(new[] { "running_mean", "running_var", "num_batches_tracked" }, full.NamedBuffers().Select(b => b.Name));
        Assert.Same(full.RunningMean, full.NamedBuffers()[0].Buffer);
        Assert.Same(full.RunningVar, full.NamedBuffers()[1].Buffer);
        Assert.All(full.Weight.DataSpan.ToArray(), w => Assert.Equal(1f, w));
        Assert.All(full.Bias.DataSpan.ToArray(), b => Assert.Equal(0f, b));
        Assert.All(TensorExtensions.AsSpan(full.RunningMean!).ToArray(), m => Assert.Equal(0f, m));
        Assert.All(TensorExtensions.AsSpan(full.RunningVar!).ToArray(), v => Assert.Equal(1f, v));

        // Training moves everything; ResetRunningStats restores the buffers, ResetParameters the parameters too.
        full.Weight.DataSpan.Fill(2f);
        full.Bias.DataSpan.Fill(-1f);
        full.Forward(Tensor.Create(Enumerable.Range(0, 12).Select(i => (float)(i * 1.5)).ToArray(), [2, 3, 2]));
        var counter = (Tensor<long>)full.NamedBuffers()[2].Buffer;
        Assert.Equal(1, full.NumBatchesTracked);
        Assert.Equal(1, counter[0]);
        Assert.NotEqual(0f, full.RunningMean![0]);
        full.ResetRunningStats();
        Assert.Equal(0, full.NumBatchesTracked);
        Assert.All(TensorExtensions.AsSpan(full.RunningMean).ToArray(), m => Assert.Equal(0f, m));
        Assert.All(TensorExtensions.AsSpan(full.RunningVar!).ToArray(), v => Assert.Equal(1f, v));
        Assert.All(full.Weight.DataSpan.ToArray(), w => Assert.Equal(2f, w));
        full.ResetParameters();
        Assert.All(full.Weight.DataSpan.ToArray(), w => Assert.Equal(1f, w));
        Assert.All(full.Bias.DataSpan.ToArray(), b => Assert.Equal(0f, b));

        var bare = new BatchNorm(3, affine: false, trackRunningStats: false, cumulativeAverage: true);
        Assert.True(bare.CumulativeAverage);
        Assert.Null(bare.Weight);
        Assert.Null(bare.Bias);
        Assert.Null(bare.RunningMean);
        Assert.Null(bare.RunningVar);
        Assert.Empty(bare.NamedParameters());
        Assert.Empty(bare.NamedBuffers());
        bare.Forward(Tensor.Create(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), [2, 3, 2]));
        Assert.Equal(0, bare.NumBatchesTracked);
        bare.ResetRunningStats();
        bare.ResetParameters();
    }

    /// <summary>Prepares both layers identically: random parameters and one training step, so "unchanged" is not the initial state.</summary>
    private static void Prepare(GeneratedTwin generated, BatchNorm dynamic)
    {
        RandomizeParameters(generated.Parameters(), dynamic.NamedParameters(), seed: 77);
        GeneratedTwin.Config config = generated.Configuration;
        var rng = new Random(99);
        (double[] means, double[] stds) = Distributions(rng, config.NumFeatures);
        float[] warmup = Input(rng, config, 4, means, stds);
        generated.ForwardTensor(Tensor.Create(warmup, config.Shape(4)));
        dynamic.Forward(Tensor.Create(warmup, config.Shape(4)));
        AssertSameState(generated, dynamic, "warm-up");
    }

    /// <summary>
    /// Calls Forward(ReadOnlyTensorSpan, TensorSpan) of both layers with the same arguments; both must throw an
    /// ArgumentException with the same message and parameter name and leave their state unchanged.
    /// </summary>
    private static string SameError(
        GeneratedTwin generated,
        BatchNorm dynamic,
        string context,
        float[] input,
        nint[] inputShape,
        float[] output,
        nint[] outputShape,
        nint[]? inputStrides = null,
        nint[]? outputStrides = null)
    {
        inputStrides ??= Strides(inputShape);
        outputStrides ??= Strides(outputShape);
        string g = Message(() => generated.ForwardTensorSpan(new ReadOnlyTensorSpan<float>(input, 0, inputShape, inputStrides), new TensorSpan<float>(output, 0, outputShape, outputStrides)), generated, null);
        string d = Message(() => dynamic.Forward(new ReadOnlyTensorSpan<float>(input, 0, inputShape, inputStrides), new TensorSpan<float>(output, 0, outputShape, outputStrides)), null, dynamic);
        Assert.True(g == d, $"{context}: generated \"{g}\", dynamic \"{d}\"");
        return d;
    }

    /// <summary>Runs a call that must throw an ArgumentException without changing the layer; returns message and parameter name.</summary>
    private static string Message(Action call, GeneratedTwin? generated, BatchNorm? dynamic)
    {
        TwinState before = generated?.Capture() ?? TwinState.Of(dynamic!);
        ArgumentException e = Assert.ThrowsAny<ArgumentException>(call);
        before.AssertEqual(generated?.Capture() ?? TwinState.Of(dynamic!), "after the error " + e.Message);
        return e.Message;
    }

    private static void AssertSameState(GeneratedTwin generated, BatchNorm dynamic, string context)
    {
        Assert.Equal(generated.Training(), dynamic.Training);
        NamedBuffers expected = generated.Buffers();
        NamedBuffers actual = dynamic.NamedBuffers();
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Name, actual[i].Name);
            if (expected[i].Buffer is Tensor<long> counter)
            {
                Assert.Equal(counter[0], ((Tensor<long>)actual[i].Buffer)[0]);
                Assert.Equal(counter[0], dynamic.NumBatchesTracked);
            }
            else
            {
                AssertClose(
                    TensorExtensions.AsSpan((Tensor<float>)expected[i].Buffer),
                    TensorExtensions.AsSpan((Tensor<float>)actual[i].Buffer),
                    RunningTolerance,
                    $"{context} {expected[i].Name}");
            }
        }

        // Parameters are never written by Forward: bit-identical.
        NamedParameters expectedParameters = generated.Parameters();
        NamedParameters actualParameters = dynamic.NamedParameters();
        Assert.Equal(expectedParameters.Count, actualParameters.Count);
        for (int i = 0; i < expectedParameters.Count; i++)
        {
            Assert.Equal(expectedParameters[i].Parameter.DataSpan.ToArray(), actualParameters[i].Parameter.DataSpan.ToArray());
        }
    }

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i];
            double a = actual[i];
            if (!(Math.Abs(a - e) <= tolerance * Math.Max(1, Math.Abs(e))))
            {
                Assert.Fail($"{context}: element {i} is {a:R}, the generated layer gave {e:R}.");
            }
        }
    }

    private static void AssertRelative(double expected, double actual, double tolerance, string context)
        => Assert.True(Math.Abs(actual - expected) <= tolerance * Math.Max(Math.Abs(expected), 1e-30), $"{context}: {actual:R} vs {expected:R}");

    private static void RandomizeParameters(NamedParameters first, NamedParameters second, int seed)
    {
        var rng = new Random(seed);
        Assert.Equal(first.Count, second.Count);
        for (int i = 0; i < first.Count; i++)
        {
            Span<float> a = first[i].Parameter.DataSpan;
            Span<float> b = second[i].Parameter.DataSpan;
            for (int c = 0; c < a.Length; c++)
            {
                a[c] = b[c] = first[i].Name == "weight" ? (float)(0.5 + rng.NextDouble()) : (float)(rng.NextDouble() - 0.5);
            }
        }
    }

    /// <summary>Per-channel means of magnitude 0.5 to 5 (either sign) and standard deviations log-uniform in [1e-2, 10].</summary>
    private static (double[] Means, double[] Stds) Distributions(Random rng, int channels)
    {
        var means = new double[channels];
        var stds = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            means[c] = (rng.Next(2) == 0 ? -1 : 1) * (0.5 + (4.5 * rng.NextDouble()));
            stds[c] = Math.Pow(10, -2 + (3 * rng.NextDouble()));
        }

        return (means, stds);
    }

    private static float[] Input(Random rng, GeneratedTwin.Config config, int batch, double[] means, double[] stds)
    {
        int plane = config.PlaneSize;
        var x = new float[batch * config.NumFeatures * plane];
        for (int i = 0; i < x.Length; i++)
        {
            int c = i / plane % config.NumFeatures;
            x[i] = (float)(means[c] + (stds[c] * Normal(rng)));
        }

        return x;
    }

    private static float[] Ramp(int count) => Enumerable.Range(1, count).Select(i => (float)i).ToArray();

    /// <summary>Row-major strides as System.Numerics.Tensors computes them.</summary>
    private static nint[] Strides(nint[] shape)
    {
        var strides = new nint[shape.Length];
        nint stride = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = shape[d] == 1 ? 0 : stride; // System.Numerics.Tensors gives length-1 dimensions stride 0 (and rejects others)
            stride *= shape[d];
        }

        return strides;
    }

    private static double Normal(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble();
        double u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
