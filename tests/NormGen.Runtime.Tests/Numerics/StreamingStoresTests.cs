using System;
using System.IO;
using System.Reflection;
using System.Runtime.Intrinsics;
using Xunit;

namespace NormGen.Runtime.Tests.Numerics;

/// <summary>The members of a generated layer that <see cref="StreamingStoresTests"/> calls (the generated ones implement them).</summary>
public interface IStreamingLayer : IModule
{
    /// <summary>Elements per sample (the generated <c>SampleSize</c> constant).</summary>
    static abstract int Elements { get; }

    Parameter Weight { get; }

    /// <summary>The bias; null for layers without one (RMSNorm).</summary>
    Parameter? Bias { get; }

    void Forward(ReadOnlySpan<float> input, Span<float> output);

    void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput);
}

/// <summary><see cref="IStreamingLayer"/> with BatchNorm's running statistics.</summary>
public interface IStreamingBatchLayer : IStreamingLayer
{
    System.Numerics.Tensors.Tensor<float> RunningMean { get; }

    System.Numerics.Tensors.Tensor<float> RunningVar { get; }
}

/// <summary>
/// (N, 3, 32, 32): planes of 1024 floats, whole cache lines, so its element-wise passes have streaming variants. It is
/// declared here, not in Layers.cs, because its plain path is the same generated code as every other plane layer's:
/// this class compares its streaming path with it.
/// </summary>
[BatchNorm2d(3, 32, 32)]
public partial class Bn2dStreaming : IStreamingBatchLayer
{
    static int IStreamingLayer.Elements => SampleSize;
}

/// <summary>
/// (N, 8, 14, 14): planes of 196 floats, not whole cache lines, with the permuted kernels over whole samples of 1568
/// floats (4 channels in 49 vectors per period), whose streaming variants form each line from two vectors.
/// </summary>
[BatchNorm2d(8, 14, 14)]
public partial class Bn2dStreamingPermuted : IStreamingBatchLayer
{
    static int IStreamingLayer.Elements => SampleSize;
}

/// <summary>(N, 32, 7, 7): small planes (column statistics) with the permuted kernels (16 channels in 49 vectors per period).</summary>
[BatchNorm2d(32, 7, 7)]
public partial class Bn2dStreamingSmallPlanes : IStreamingBatchLayer
{
    static int IStreamingLayer.Elements => SampleSize;
}

/// <summary>
/// (N, 20, 14, 14): the planes of <see cref="Bn2dStreamingPermuted"/> in 5 periods (10 on Vector256), so the streaming
/// kernels write their inner periods out vector by vector (broadcast coefficients within a channel, permuted across two).
/// </summary>
[BatchNorm2d(20, 14, 14)]
public partial class Bn2dStreamingPermutedPeriods : IStreamingBatchLayer
{
    static int IStreamingLayer.Elements => SampleSize;
}

/// <summary>(N, 48, 7, 7): the planes of <see cref="Bn2dStreamingSmallPlanes"/> in 3 periods (6 on Vector256), inner periods written out.</summary>
[BatchNorm2d(48, 7, 7)]
public partial class Bn2dStreamingSmallPlanesPeriods : IStreamingBatchLayer
{
    static int IStreamingLayer.Elements => SampleSize;
}

/// <summary>(N, 64, 16): small planes of one vector each, so a period (one channel) is a single vector.</summary>
[BatchNorm1d(64, Length = 16)]
public partial class Bn1dStreamingSmallPlanes : IStreamingBatchLayer
{
    static int IStreamingLayer.Elements => SampleSize;
}

/// <summary>
/// (N, 8, 16, 16): planes of 256 floats, whole vectors but too short for the per-plane streaming kernels, with one
/// streaming kernel per sample of 2048 floats (<c>GradInputSampleStreaming</c>, <c>NormalizeSampleStreaming</c>: the
/// channel's coefficients broadcast per plane, each line joined from two vectors).
/// </summary>
[BatchNorm2d(8, 16, 16)]
public partial class Bn2dStreamingSamples : IStreamingBatchLayer
{
    static int IStreamingLayer.Elements => SampleSize;
}

/// <summary>(N, 5, 208): planes of 13 vectors in samples of 1040 floats (an odd number of vectors), the sample kernels.</summary>
[BatchNorm1d(5, Length = 208)]
public partial class Bn1dStreamingSamples : IStreamingBatchLayer
{
    static int IStreamingLayer.Elements => SampleSize;
}

/// <summary>
/// GroupNorm(4, 32) on (N, 32, 14, 14): slots of 8 planes of 196 floats (1568 floats, whole cache lines), whose slot kernels
/// have streaming variants (<c>NormalizeSlotStreaming</c>, <c>GradInputSlotStreaming</c>): GroupNorm(32, 256)'s slots.
/// </summary>
[GroupNorm(4, 32, 14, 14)]
public partial class GnStreamingSlots : IStreamingLayer
{
    static int IStreamingLayer.Elements => SampleSize;
}

/// <summary>
/// GroupNorm(2, 64) on (N, 64, 7, 7): slots of 32 planes of 49 floats, near the shortest plane with streaming slot
/// kernels (48: the first and the last aligned vector must lie in the first and the last plane).
/// </summary>
[GroupNorm(2, 64, 7, 7)]
public partial class GnStreamingShortPlanes : IStreamingLayer
{
    static int IStreamingLayer.Elements => SampleSize;
}

/// <summary>GroupNorm(2, 4) on (N, 4, 16, 32): slots of 2 planes of 512 floats (whole vectors, no vector across planes).</summary>
[GroupNorm(2, 4, 16, 32)]
public partial class GnStreamingWholePlanes : IStreamingLayer
{
    static int IStreamingLayer.Elements => SampleSize;
}

/// <summary>
/// LayerNorm(768): rows of 48 cache lines with per-element weight and bias, whose normalization and input gradient have
/// streaming variants (<c>NormalizeElementwiseStreaming</c>, <c>RowBackwardStreaming</c>: one run per row, its end lines stored plainly).
/// </summary>
[LayerNorm(768)]
public partial class LnStreamingRows : IStreamingLayer
{
    static int IStreamingLayer.Elements => SampleSize;
}

/// <summary>LayerNorm over (2, 256): rows of 512 floats, the shortest with the streaming variant (KernelEmitter.RowStreamingMinLength).</summary>
[LayerNorm(2, 256)]
public partial class LnStreamingShortRows : IStreamingLayer
{
    static int IStreamingLayer.Elements => SampleSize;
}

/// <summary>RMSNorm(1024): the streaming row kernel without a bias and with the shift fixed at 0.</summary>
[RmsNorm(1024)]
public partial class RmsStreamingRows : IStreamingLayer
{
    static int IStreamingLayer.Elements => SampleSize;

    Parameter? IStreamingLayer.Bias => null;
}

/// <summary>GroupNorm(2, 1024) on (N, 1024): no spatial dimensions, so per-element coefficients over slots (rows) of 512 floats.</summary>
[GroupNorm(2, 1024)]
public partial class GnStreamingRows : IStreamingLayer
{
    static int IStreamingLayer.Elements => SampleSize;
}

/// <summary>
/// BatchNorm layers whose samples are at least 1024 floats write their input gradient, and on one thread their
/// normalization, with streaming stores when the tensor is at least <see cref="StreamingStores.MinBytes"/>, on Vector512
/// and Vector256 (whole 64-byte lines, or 32-byte halves of lines; Vector128 calls the plain kernels): planes of whole vectors through one kernel per sample
/// (<c>GradInputSampleStreaming</c>, <c>NormalizeSampleStreaming</c>: the channel's coefficients broadcast per plane), the
/// layers with permuted kernels through their streaming variants (<c>GradInputPermutedStreaming</c>,
/// <c>NormalizePermutedStreaming</c>); both compute the vectors where they are in the sample and join each line from two
/// of them (<see cref="SimdMath.Join(System.Runtime.Intrinsics.Vector512{float}, System.Runtime.Intrinsics.Vector512{float}, System.Runtime.Intrinsics.Vector512{int})"/>), the sample's end lines stored plainly. Each element
/// is the same expression on either path, so the results must be bit-for-bit those of plain stores, wherever the tensors
/// start (the kernels split each sample at the destination's first whole cache line), in place, and on two
/// threads (each worker fences its own streaming stores). GroupNorm's slot kernels of slots of at least 1024 floats
/// stream too (Vector512 and Vector256, in whole 64-byte lines: their first and last aligned line stored plainly with the slot's unaligned ends), and
/// so does, on one thread, the normalization of the per-sample layers with per-element coefficients (LayerNorm, RMSNorm, GroupNorm without spatial
/// dimensions) over rows of at least 512 floats. The tests in this class are the only ones that change the process-wide
/// setting, and they run one after the other; other tests running meanwhile get the same bits on either path.
/// </summary>
public sealed class StreamingStoresTests
{
    private const int Batch = 9;

    /// <summary>(layer, input offset, output offset) in floats, covering every start of the output modulo 64 bytes.</summary>
    public static TheoryData<string, int, int> Offsets()
    {
        var data = new TheoryData<string, int, int>();
        foreach (string layer in Layers)
        {
            for (int o = 0; o < 16; o++)
            {
                data.Add(layer, (o * 5) % 16, o);
            }
        }

        return data;
    }

    /// <summary>(layer, offset) for the in-place runs.</summary>
    public static TheoryData<string, int> InPlaceOffsets()
    {
        var data = new TheoryData<string, int>();
        foreach (string layer in Layers)
        {
            foreach (int o in new[] { 0, 3, 15 })
            {
                data.Add(layer, o);
            }
        }

        return data;
    }

    public static TheoryData<string> LayerNames() => new(Layers);

    private static readonly string[] Layers = [nameof(Bn2dStreaming), nameof(Bn2dStreamingPermuted), nameof(Bn2dStreamingPermutedPeriods), nameof(Bn2dStreamingSmallPlanes), nameof(Bn2dStreamingSmallPlanesPeriods), nameof(Bn1dStreamingSmallPlanes), nameof(Bn2dStreamingSamples), nameof(Bn1dStreamingSamples), nameof(GnStreamingSlots), nameof(GnStreamingShortPlanes), nameof(GnStreamingWholePlanes), nameof(LnStreamingRows), nameof(LnStreamingShortRows), nameof(RmsStreamingRows), nameof(GnStreamingRows)];

    [Theory]
    [MemberData(nameof(Offsets))]
    public void StreamingStoresGiveTheSameBitsAsPlainStores(string layer, int inputOffset, int outputOffset)
    {
        TrainingStep.Results plain = Run(layer, streaming: false, batch => Step(layer, batch, 0, 0, inPlace: false));
        TrainingStep.Results streamed = Run(layer, streaming: true, batch => Step(layer, batch, inputOffset, outputOffset, inPlace: false));
        TrainingStep.AssertSame(streamed, plain);
    }

    [Theory]
    [MemberData(nameof(InPlaceOffsets))]
    public void StreamingStoresInPlaceGiveTheSameBits(string layer, int offset)
    {
        TrainingStep.Results plain = Run(layer, streaming: false, batch => Step(layer, batch, 0, 0, inPlace: false));
        TrainingStep.Results streamed = Run(layer, streaming: true, batch => Step(layer, batch, offset, offset, inPlace: true));
        TrainingStep.AssertSame(streamed, plain);
    }

    [Theory]
    [MemberData(nameof(LayerNames))]
    public void StreamingStoresOnTwoThreadsGiveTheSameBitsAsPlainStoresOnOne(string layer)
    {
        // At least NormThreads.ParallelMinBytes of input, so that the blocks may run on two threads.
        int batch = (NormThreads.ParallelMinBytes / (SampleSize(layer) * sizeof(float))) + 17;
        int savedThreads = NormThreads.MaxThreads;
        try
        {
            NormThreads.MaxThreads = 1;
            TrainingStep.Results plain = Run(layer, streaming: false, _ => Step(layer, batch, 0, 0, inPlace: false));
            NormThreads.MaxThreads = 2;
            TrainingStep.Results streamed = Run(layer, streaming: true, _ => Step(layer, batch, 7, 5, inPlace: false));
            TrainingStep.AssertSame(streamed, plain);
        }
        finally
        {
            NormThreads.MaxThreads = savedThreads;
        }
    }

    [Fact]
    public void JoinTakesTheLinesBetweenTwoVectors()
    {
        var lower = Vector512.Create(0f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        Vector512<float> upper = lower + Vector512.Create(16f);
        for (int skew = 0; skew < 16; skew++)
        {
            Vector512<int> indices = SimdMath.JoinIndices((nuint)skew);
            Vector512<float> expected = lower + Vector512.Create((float)skew);
            Assert.Equal(expected, SimdMath.Join(lower, upper, indices));
            Assert.Equal(expected, SimdMath.JoinSoftware(lower, upper, indices));
        }
    }

    [Fact]
    public void TheDefaultIsAnEighthOfTheLastLevelCache()
    {
        string root = Path.Combine(Path.GetTempPath(), "normgen-cache-" + Guid.NewGuid().ToString("N"));
        try
        {
            WriteCache(root, "index0", "1", "48K");
            WriteCache(root, "index1", "1", "32K");
            WriteCache(root, "index2", "2", "2048K");
            WriteCache(root, "index3", "3", "32768K");
            Assert.Equal(32L << 20, StreamingStores.LastLevelCacheBytes(root));
            Assert.Equal(4L << 20, StreamingStores.FromCacheSize(StreamingStores.LastLevelCacheBytes(root)));

            // An unreadable level is skipped; with no cache directory at all, streaming stays off.
            File.WriteAllText(Path.Combine(root, "index3", "size"), "large");
            Assert.Equal(2L << 20, StreamingStores.LastLevelCacheBytes(root));
            Assert.Null(StreamingStores.LastLevelCacheBytes(Path.Combine(root, "missing")));
            Assert.Equal(long.MaxValue, StreamingStores.FromCacheSize(null));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }

        Assert.Equal(1L << 30, StreamingStores.ParseSize("1G"));
        Assert.Equal(3L << 20, StreamingStores.ParseSize("3M"));
        Assert.Equal(512L, StreamingStores.ParseSize("512"));
        Assert.Null(StreamingStores.ParseSize("-1K"));
        Assert.Null(StreamingStores.ParseSize("0K"));
        Assert.Null(StreamingStores.ParseSize("K"));
    }

    [Fact]
    public void TheSettingStartsAtTheDefault()
    {
        // Only this class changes the setting, one test at a time, and every test restores it.
        Assert.Equal(StreamingStores.DefaultMinBytes, StreamingStores.MinBytes);
        Assert.Equal(StreamingStores.FromCacheSize(StreamingStores.LastLevelCacheBytes("/sys/devices/system/cpu/cpu0/cache")), StreamingStores.DefaultMinBytes);
    }

    [Fact]
    public void UseComparesWithTheSetting()
    {
        long saved = StreamingStores.MinBytes;
        try
        {
            StreamingStores.MinBytes = 4096;
            Assert.True(StreamingStores.Use(4096));
            Assert.False(StreamingStores.Use(4095));
            StreamingStores.MinBytes = long.MaxValue;
            Assert.False(StreamingStores.Use(long.MaxValue - 1));
            StreamingStores.MinBytes = 0;
            Assert.True(StreamingStores.Use(0));
        }
        finally
        {
            StreamingStores.MinBytes = saved;
        }
    }

    [Fact]
    public void TheNormalizationOnMoreThanOneThreadStreamsFromFourTimesTheSetting()
    {
        long saved = StreamingStores.MinBytes;
        try
        {
            StreamingStores.MinBytes = 4096;
            Assert.True(StreamingStores.UseForNormalization(4096, threads: 1));
            Assert.False(StreamingStores.UseForNormalization(4095, threads: 1));
            Assert.True(StreamingStores.UseForNormalization(4 * 4096, threads: 2));
            Assert.False(StreamingStores.UseForNormalization((4 * 4096) - 1, threads: 2));
            Assert.True(StreamingStores.UseForNormalization(8 * 4096, threads: 1));
            StreamingStores.MinBytes = long.MaxValue;
            Assert.False(StreamingStores.UseForNormalization(long.MaxValue, threads: 2));
            Assert.False(StreamingStores.UseForNormalization(long.MaxValue - 1, threads: 1));
            StreamingStores.MinBytes = 0;
            Assert.True(StreamingStores.UseForNormalization(0, threads: 2));
        }
        finally
        {
            StreamingStores.MinBytes = saved;
        }
    }

    [Fact]
    public void TheNormalizationInEvalModeStreamsFromTwoAndAHalfTimesTheSetting()
    {
        long saved = StreamingStores.MinBytes;
        try
        {
            StreamingStores.MinBytes = 4096;
            Assert.True(StreamingStores.UseForNormalization(10240, threads: 1, training: false));
            Assert.False(StreamingStores.UseForNormalization(10239, threads: 1, training: false));
            Assert.True(StreamingStores.UseForNormalization(4096, threads: 1, training: true));
            Assert.False(StreamingStores.UseForNormalization(4 * 4096 - 1, threads: 2, training: false)); // more than one thread: four times, either mode
            Assert.True(StreamingStores.UseForNormalization(4 * 4096, threads: 2, training: false));
            StreamingStores.MinBytes = long.MaxValue;
            Assert.False(StreamingStores.UseForNormalization(long.MaxValue, threads: 1, training: false));
            StreamingStores.MinBytes = 0;
            Assert.True(StreamingStores.UseForNormalization(0, threads: 1, training: false));
        }
        finally
        {
            StreamingStores.MinBytes = saved;
        }
    }

    [Fact]
    public void ANegativeMinimumIsRefusedAndTheSettingKept()
    {
        long saved = StreamingStores.MinBytes;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => StreamingStores.MinBytes = -1);
        Assert.Equal("value", error.ParamName);
        Assert.Equal(-1L, error.ActualValue);
        Assert.Contains("StreamingStores.MinBytes must be at least 0", error.Message, StringComparison.Ordinal);
        Assert.Equal(saved, StreamingStores.MinBytes);
    }

    private static void WriteCache(string root, string index, string level, string size)
    {
        string directory = Path.Combine(root, index);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "level"), level + "\n");
        File.WriteAllText(Path.Combine(directory, "size"), size + "\n");
    }

    private static int SampleSize(string layer) => layer switch
    {
        nameof(Bn2dStreaming) => Bn2dStreaming.SampleSize,
        nameof(Bn2dStreamingPermuted) => Bn2dStreamingPermuted.SampleSize,
        nameof(Bn2dStreamingPermutedPeriods) => Bn2dStreamingPermutedPeriods.SampleSize,
        nameof(Bn2dStreamingSmallPlanes) => Bn2dStreamingSmallPlanes.SampleSize,
        nameof(Bn2dStreamingSmallPlanesPeriods) => Bn2dStreamingSmallPlanesPeriods.SampleSize,
        nameof(Bn1dStreamingSmallPlanes) => Bn1dStreamingSmallPlanes.SampleSize,
        nameof(Bn2dStreamingSamples) => Bn2dStreamingSamples.SampleSize,
        nameof(GnStreamingSlots) => GnStreamingSlots.SampleSize,
        nameof(GnStreamingShortPlanes) => GnStreamingShortPlanes.SampleSize,
        nameof(GnStreamingWholePlanes) => GnStreamingWholePlanes.SampleSize,
        nameof(LnStreamingRows) => LnStreamingRows.SampleSize,
        nameof(LnStreamingShortRows) => LnStreamingShortRows.SampleSize,
        nameof(RmsStreamingRows) => RmsStreamingRows.SampleSize,
        nameof(GnStreamingRows) => GnStreamingRows.SampleSize,
        _ => Bn1dStreamingSamples.SampleSize,
    };

    private static TrainingStep.Results Step(string layer, int batch, int inputOffset, int outputOffset, bool inPlace) => layer switch
    {
        nameof(Bn2dStreaming) => TrainingStep.Run<Runner<Bn2dStreaming>>(batch, inputOffset, outputOffset, inPlace),
        nameof(Bn2dStreamingPermuted) => TrainingStep.Run<Runner<Bn2dStreamingPermuted>>(batch, inputOffset, outputOffset, inPlace),
        nameof(Bn2dStreamingPermutedPeriods) => TrainingStep.Run<Runner<Bn2dStreamingPermutedPeriods>>(batch, inputOffset, outputOffset, inPlace),
        nameof(Bn2dStreamingSmallPlanes) => TrainingStep.Run<Runner<Bn2dStreamingSmallPlanes>>(batch, inputOffset, outputOffset, inPlace),
        nameof(Bn2dStreamingSmallPlanesPeriods) => TrainingStep.Run<Runner<Bn2dStreamingSmallPlanesPeriods>>(batch, inputOffset, outputOffset, inPlace),
        nameof(Bn1dStreamingSmallPlanes) => TrainingStep.Run<Runner<Bn1dStreamingSmallPlanes>>(batch, inputOffset, outputOffset, inPlace),
        nameof(Bn2dStreamingSamples) => TrainingStep.Run<Runner<Bn2dStreamingSamples>>(batch, inputOffset, outputOffset, inPlace),
        nameof(GnStreamingSlots) => TrainingStep.Run<SampleRunner<GnStreamingSlots>>(batch, inputOffset, outputOffset, inPlace),
        nameof(GnStreamingShortPlanes) => TrainingStep.Run<SampleRunner<GnStreamingShortPlanes>>(batch, inputOffset, outputOffset, inPlace),
        nameof(GnStreamingWholePlanes) => TrainingStep.Run<SampleRunner<GnStreamingWholePlanes>>(batch, inputOffset, outputOffset, inPlace),
        nameof(LnStreamingRows) => TrainingStep.Run<SampleRunner<LnStreamingRows>>(batch, inputOffset, outputOffset, inPlace),
        nameof(LnStreamingShortRows) => TrainingStep.Run<SampleRunner<LnStreamingShortRows>>(batch, inputOffset, outputOffset, inPlace),
        nameof(RmsStreamingRows) => TrainingStep.Run<SampleRunner<RmsStreamingRows>>(batch, inputOffset, outputOffset, inPlace),
        nameof(GnStreamingRows) => TrainingStep.Run<SampleRunner<GnStreamingRows>>(batch, inputOffset, outputOffset, inPlace),
        _ => TrainingStep.Run<Runner<Bn1dStreamingSamples>>(batch, inputOffset, outputOffset, inPlace),
    };

    /// <summary>
    /// Runs <paramref name="step"/> (given the batch: 9 samples, or at least 32 where the column statistics take rows of
    /// 32) with streaming stores on for every size (<paramref name="streaming"/>) or off, and checks from the layer's own
    /// flag that the backward took that path.
    /// </summary>
    private static TrainingStep.Results Run(string layer, bool streaming, Func<int, TrainingStep.Results> step)
    {
        long saved = StreamingStores.MinBytes;
        try
        {
            StreamingStores.MinBytes = streaming ? 0 : long.MaxValue;
            StreamingRunner.LastStreaming = null;
            TrainingStep.Results results = step(layer is nameof(Bn2dStreamingSmallPlanes) or nameof(Bn2dStreamingSmallPlanesPeriods) or nameof(Bn1dStreamingSmallPlanes) ? 37 : Batch);
            Assert.Equal(streaming, StreamingRunner.LastStreaming);
            return results;
        }
        finally
        {
            StreamingStores.MinBytes = saved;
        }
    }

    /// <summary>The layer's <c>_streaming</c> flag after the last backward of any runner.</summary>
    private static class StreamingRunner
    {
        public static bool? LastStreaming { get; set; }
    }

    /// <summary>One generated layer behind <see cref="TrainingStep.IRunner"/>, recording its <c>_streaming</c> flag after each backward.</summary>
    private abstract class RunnerBase<TLayer> : TrainingStep.IRunner
        where TLayer : IStreamingLayer, new()
    {
        // The input gradient's flag, or for the layers whose input gradient has no streaming variant (LayerNorm, RMSNorm), the normalization's.
        private static readonly FieldInfo StreamingField = typeof(TLayer).GetField("_streaming", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? typeof(TLayer).GetField("_streamingNormalize", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new MissingFieldException(typeof(TLayer).Name, "_streaming");

        protected TLayer Layer { get; } = new();

        public int SampleSize => TLayer.Elements;

        public void Forward(ReadOnlySpan<float> input, Span<float> output, bool training)
        {
            Layer.Train(training);
            Layer.Forward(input, output);
        }

        public void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput)
        {
            Layer.Backward(input, gradOutput, gradInput);
            StreamingRunner.LastStreaming = (bool)StreamingField.GetValue(Layer)!;
        }

        public abstract (float[] WeightGrad, float[] BiasGrad, float[] RunningMean, float[] RunningVar) State();
    }

    private sealed class Runner<TLayer> : RunnerBase<TLayer>
        where TLayer : IStreamingBatchLayer, new()
    {
        public override (float[] WeightGrad, float[] BiasGrad, float[] RunningMean, float[] RunningVar) State() =>
            (Layer.Weight.GradSpan.ToArray(), Layer.Bias!.GradSpan.ToArray(), TensorExtensions.AsSpan(Layer.RunningMean).ToArray(), TensorExtensions.AsSpan(Layer.RunningVar).ToArray());
    }

    /// <summary><see cref="Runner{TLayer}"/> for the per-sample layers (GroupNorm, LayerNorm, RMSNorm), which have no running statistics (empty in the results).</summary>
    private sealed class SampleRunner<TLayer> : RunnerBase<TLayer>
        where TLayer : IStreamingLayer, new()
    {
        /// <summary>A weight and a bias that differ per channel (or element): with the defaults (1 and 0) every plane of a slot would have the same coefficients.</summary>
        public SampleRunner()
        {
            Span<float> weight = Layer.Weight.DataSpan;
            Span<float> bias = Layer.Bias is { } b ? b.DataSpan : default;
            for (int c = 0; c < weight.Length; c++)
            {
                weight[c] = 0.5f + (0.125f * (c % 7));
                if (!bias.IsEmpty)
                {
                    bias[c] = (0.25f * (c % 5)) - 0.5f;
                }
            }
        }

        public override (float[] WeightGrad, float[] BiasGrad, float[] RunningMean, float[] RunningVar) State() =>
            (Layer.Weight.GradSpan.ToArray(), Layer.Bias?.GradSpan.ToArray() ?? [], [], []);
    }
}
