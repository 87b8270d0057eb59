using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics.Tensors;
using NormGen.Dynamic;
using NormGen.Runtime.Tests.Layers;
using Xunit;

namespace NormGen.Runtime.Tests.Dynamic;

/// <summary><c>Forward(ReadOnlyTensorSpan&lt;float&gt;, TensorSpan&lt;float&gt;)</c> of a layer.</summary>
public delegate void TwinTensorSpanForward(ReadOnlyTensorSpan<float> input, TensorSpan<float> output);

/// <summary>
/// A generated layer of Layers.cs behind delegates (the generated classes share no interface), with its
/// configuration written out again by hand so that the dynamic twin is built from the same numbers.
/// </summary>
public sealed class GeneratedTwin
{
    private GeneratedTwin(Config config, Func<Tensor<float>, Tensor<float>> forward, TwinTensorSpanForward forwardSpan, Action<bool> train, Func<bool> training, Func<NamedParameters> parameters, Func<NamedBuffers> buffers)
    {
        Training = training;
        Configuration = config;
        ForwardTensor = forward;
        ForwardTensorSpan = forwardSpan;
        Train = train;
        Parameters = parameters;
        Buffers = buffers;
    }

    /// <summary>The attribute arguments of a layer in Layers.cs.</summary>
    public sealed record Config(
        string Name,
        int NumFeatures,
        int[] Spatial,
        double Eps = 1e-5,
        double Momentum = 0.1,
        bool CumulativeAverage = false,
        bool Affine = true,
        bool TrackRunningStats = true)
    {
        /// <summary>Product of the spatial lengths.</summary>
        public int PlaneSize => Spatial.Aggregate(1, (a, b) => a * b);

        /// <summary>Input shape for a batch of <paramref name="batch"/>.</summary>
        public nint[] Shape(int batch) => [batch, NumFeatures, .. Spatial.Select(s => (nint)s)];
    }

    /// <summary>The configurations of Layers.cs.</summary>
    public static readonly IReadOnlyDictionary<string, Config> Configs = new Config[]
    {
        new(nameof(Bn1dFlat), 4, []),
        new(nameof(Bn1dOdd), 37, []),
        new(nameof(Bn1dAligned), 48, []),
        new(nameof(Bn1dAlignedSeq), 8, [2]),
        new(nameof(Bn1dSeq), 3, [5]),
        new(nameof(Bn1dShortSeq), 70, [3]),
        new(nameof(Bn1dCustom), 3, [5], Eps: 1e-3, Momentum: 0.3),
        new(nameof(Bn2d), 3, [4, 5]),
        new(nameof(Bn2dSmall), 5, [7, 7]),
        new(nameof(Bn2dPermutedPlane), 8, [14, 14]),
        new(nameof(Bn2dPermutedPairs), 4, [10, 20]),
        new(nameof(Bn2dSegments), 20, [5, 5]),
        new(nameof(Bn2dSegmentsWide), 18, [11, 11]),
        new(nameof(Bn2dSegmentsPlanes), 17, [9, 15]),
        new(nameof(Bn2dOddPlane), 8, [17, 19]),
        new(nameof(Bn2dUnit), 4, [1, 1]),
        new(nameof(Bn2dNoAffine), 3, [4, 5], Affine: false),
        new(nameof(Bn2dNoTrack), 3, [4, 5], TrackRunningStats: false),
        new(nameof(Bn2dBare), 3, [4, 5], Affine: false, TrackRunningStats: false),
        new(nameof(Bn2dCumulative), 3, [4, 5], CumulativeAverage: true),
        new(nameof(Bn2dEpsZero), 2, [16, 16], Eps: 0),
        new(nameof(Bn3d), 2, [3, 4, 5]),
    }.ToDictionary(c => c.Name);

    /// <summary>Every configuration name, as xUnit member data.</summary>
    public static TheoryData<string> AllNames() => new(Configs.Keys);

    /// <summary>The configuration.</summary>
    public Config Configuration { get; }

    /// <summary><c>Tensor&lt;float&gt; Forward(Tensor&lt;float&gt;)</c>.</summary>
    public Func<Tensor<float>, Tensor<float>> ForwardTensor { get; }

    /// <summary><c>Forward(ReadOnlyTensorSpan&lt;float&gt;, TensorSpan&lt;float&gt;)</c>.</summary>
    public TwinTensorSpanForward ForwardTensorSpan { get; }

    /// <summary><c>Train(mode)</c>.</summary>
    public Action<bool> Train { get; }

    /// <summary><c>Training</c>.</summary>
    public Func<bool> Training { get; }

    /// <summary>Snapshot of the layer's state.</summary>
    public TwinState Capture() => TwinState.Of(Parameters(), Buffers(), Training());

    /// <summary><c>NamedParameters()</c>.</summary>
    public Func<NamedParameters> Parameters { get; }

    /// <summary><c>NamedBuffers()</c>.</summary>
    public Func<NamedBuffers> Buffers { get; }

    /// <summary>A new generated layer of the given name, in its initial state.</summary>
    public static GeneratedTwin Create(string name)
    {
        Config c = Configs[name];
        return name switch
        {
            nameof(Bn1dFlat) => Of(c, new Bn1dFlat()),
            nameof(Bn1dOdd) => Of(c, new Bn1dOdd()),
            nameof(Bn1dAligned) => Of(c, new Bn1dAligned()),
            nameof(Bn1dAlignedSeq) => Of(c, new Bn1dAlignedSeq()),
            nameof(Bn1dSeq) => Of(c, new Bn1dSeq()),
            nameof(Bn1dShortSeq) => Of(c, new Bn1dShortSeq()),
            nameof(Bn1dCustom) => Of(c, new Bn1dCustom()),
            nameof(Bn2d) => Of(c, new Bn2d()),
            nameof(Bn2dSmall) => Of(c, new Bn2dSmall()),
            nameof(Bn2dPermutedPlane) => Of(c, new Bn2dPermutedPlane()),
            nameof(Bn2dPermutedPairs) => Of(c, new Bn2dPermutedPairs()),
            nameof(Bn2dSegments) => Of(c, new Bn2dSegments()),
            nameof(Bn2dSegmentsWide) => Of(c, new Bn2dSegmentsWide()),
            nameof(Bn2dSegmentsPlanes) => Of(c, new Bn2dSegmentsPlanes()),
            nameof(Bn2dOddPlane) => Of(c, new Bn2dOddPlane()),
            nameof(Bn2dUnit) => Of(c, new Bn2dUnit()),
            nameof(Bn2dNoAffine) => Of(c, new Bn2dNoAffine()),
            nameof(Bn2dNoTrack) => Of(c, new Bn2dNoTrack()),
            nameof(Bn2dBare) => Of(c, new Bn2dBare()),
            nameof(Bn2dCumulative) => Of(c, new Bn2dCumulative()),
            nameof(Bn2dEpsZero) => Of(c, new Bn2dEpsZero()),
            nameof(Bn3d) => Of(c, new Bn3d()),
            _ => throw new ArgumentException($"Unknown layer {name}.", nameof(name)),
        };
    }

    /// <summary>The dynamic layer with the same configuration, in its initial state.</summary>
    public BatchNorm CreateDynamic() => new(
        Configuration.NumFeatures,
        Configuration.Eps,
        Configuration.Momentum,
        Configuration.CumulativeAverage,
        Configuration.Affine,
        Configuration.TrackRunningStats);

    private static GeneratedTwin Of(Config c, Bn1dFlat l) => new(c, l.Forward, l.Forward, m => l.Train(m), () => l.Training, l.NamedParameters, l.NamedBuffers);

    private static GeneratedTwin Of(Config c, Bn1dOdd l) => new(c, l.Forward, l.Forward, m => l.Train(m), () => l.Training, l.NamedParameters, l.NamedBuffers);

    private static GeneratedTwin Of(Config c, Bn1dAligned l) => new(c, l.Forward, l.Forward, m => l.Train(m), () => l.Training, l.NamedParameters, l.NamedBuffers);

    private static GeneratedTwin Of(Config c, Bn1dAlignedSeq l) => new(c, l.Forward, l.Forward, m => l.Train(m), () => l.Training, l.NamedParameters, l.NamedBuffers);

    private static GeneratedTwin Of(Config c, Bn1dSeq l) => new(c, l.Forward, l.Forward, m => l.Train(m), () => l.Training, l.NamedParameters, l.NamedBuffers);

    private static GeneratedTwin Of(Config c, Bn1dShortSeq l) => new(c, l.Forward, l.Forward, m => l.Train(m), () => l.Training, l.NamedParameters, l.NamedBuffers);

    private static GeneratedTwin Of(Config c, Bn1dCustom l) => new(c, l.Forward, l.Forward, m => l.Train(m), () => l.Training, l.NamedParameters, l.NamedBuffers);

    private static GeneratedTwin Of(Config c, Bn2d l) => new(c, l.Forward, l.Forward, m => l.Train(m), () => l.Training, l.NamedParameters, l.NamedBuffers);

    private static GeneratedTwin Of(Config c, Bn2dSmall l) => new(c, l.Forward, l.Forward, m => l.Train(m), () => l.Training, l.NamedParameters, l.NamedBuffers);

    private static GeneratedTwin Of(Config c, Bn2dPermutedPlane l) => new(c, l.Forward, l.Forward, m => l.Train(m), () => l.Training, l.NamedParameters, l.NamedBuffers);

    private static GeneratedTwin Of(Config c, Bn2dPermutedPairs l) => new(c, l.Forward, l.Forward, m => l.Train(m), () => l.Training, l.NamedParameters, l.NamedBuffers);

    private static GeneratedTwin Of(Config c, Bn2dSegments l) => new(c, l.Forward, l.Forward, m => l.Train(m), () => l.Training, l.NamedParameters, l.NamedBuffers);

    private static GeneratedTwin Of(Config c, Bn2dSegmentsWide l) => new(c, l.Forward, l.Forward, m => l.Train(m), () => l.Training, l.NamedParameters, l.NamedBuffers);

    private static GeneratedTwin Of(Config c, Bn2dSegmentsPlanes l) => new(c, l.Forward, l.Forward, m => l.Train(m), () => l.Training, l.NamedParameters, l.NamedBuffers);

    private static GeneratedTwin Of(Config c, Bn2dOddPlane l) => new(c, l.Forward, l.Forward, m => l.Train(m), () => l.Training, l.NamedParameters, l.NamedBuffers);

    private static GeneratedTwin Of(Config c, Bn2dUnit l) => new(c, l.Forward, l.Forward, m => l.Train(m), () => l.Training, l.NamedParameters, l.NamedBuffers);

    private static GeneratedTwin Of(Config c, Bn2dNoAffine l) => new(c, l.Forward, l.Forward, m => l.Train(m), () => l.Training, l.NamedParameters, l.NamedBuffers);

    private static GeneratedTwin Of(Config c, Bn2dNoTrack l) => new(c, l.Forward, l.Forward, m => l.Train(m), () => l.Training, l.NamedParameters, l.NamedBuffers);

    private static GeneratedTwin Of(Config c, Bn2dBare l) => new(c, l.Forward, l.Forward, m => l.Train(m), () => l.Training, l.NamedParameters, l.NamedBuffers);

    private static GeneratedTwin Of(Config c, Bn2dCumulative l) => new(c, l.Forward, l.Forward, m => l.Train(m), () => l.Training, l.NamedParameters, l.NamedBuffers);

    private static GeneratedTwin Of(Config c, Bn2dEpsZero l) => new(c, l.Forward, l.Forward, m => l.Train(m), () => l.Training, l.NamedParameters, l.NamedBuffers);

    private static GeneratedTwin Of(Config c, Bn3d l) => new(c, l.Forward, l.Forward, m => l.Train(m), () => l.Training, l.NamedParameters, l.NamedBuffers);
}

/// <summary>A snapshot of a layer's state through NamedParameters/NamedBuffers, as bit patterns (NaN equals itself).</summary>
public sealed record TwinState(string[] Names, int[][] Bits, long? NumBatchesTracked, bool Training)
{
    /// <summary>Snapshot of a generated layer.</summary>
    public static TwinState Of(NamedParameters parameters, NamedBuffers buffers, bool training)
    {
        var names = new List<string>();
        var bits = new List<int[]>();
        long? nbt = null;
        foreach ((string name, Parameter p) in parameters)
        {
            names.Add(name);
            bits.Add(p.DataSpan.ToArray().Select(BitConverter.SingleToInt32Bits).ToArray());
        }

        foreach ((string name, IReadOnlyTensor buffer) in buffers)
        {
            names.Add(name);
            if (buffer is Tensor<long> counter)
            {
                nbt = counter[0];
            }
            else
            {
                bits.Add(TensorExtensions.AsSpan((Tensor<float>)buffer).ToArray().Select(BitConverter.SingleToInt32Bits).ToArray());
            }
        }

        return new TwinState([.. names], [.. bits], nbt, training);
    }

    /// <summary>Snapshot of a dynamic layer.</summary>
    public static TwinState Of(BatchNorm layer) => Of(layer.NamedParameters(), layer.NamedBuffers(), layer.Training);

    /// <summary>Asserts that <paramref name="other"/> is bit-for-bit this state.</summary>
    public void AssertEqual(TwinState other, string context)
    {
        Assert.True(Names.SequenceEqual(other.Names), $"{context}: names {string.Join(",", other.Names)}, expected {string.Join(",", Names)}");
        Assert.Equal(Bits.Length, other.Bits.Length);
        for (int i = 0; i < Bits.Length; i++)
        {
            Assert.True(Bits[i].SequenceEqual(other.Bits[i]), $"{context}: tensor {i} changed");
        }

        Assert.Equal(NumBatchesTracked, other.NumBatchesTracked);
        Assert.Equal(Training, other.Training);
    }
}
