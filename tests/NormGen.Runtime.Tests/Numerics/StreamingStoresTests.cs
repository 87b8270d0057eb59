using System;
using System.IO;
using System.Reflection;
using Xunit;

namespace NormGen.Runtime.Tests.Numerics;

/// <summary>
/// (N, 3, 32, 32): planes of 1024 floats, whole cache lines, so its element-wise passes have streaming variants. It is
/// declared here, not in Layers.cs, because its plain path is the same generated code as every other plane layer's:
/// this class compares its streaming path with it.
/// </summary>
[BatchNorm2d(3, 32, 32)]
public partial class Bn2dStreaming
{
}

/// <summary>
/// BatchNorm layers whose planes are at least 1024 floats of whole cache lines write their input gradient, and on one
/// thread their normalization, with streaming stores when the tensor is at least <see cref="StreamingStores.MinBytes"/>
/// (<c>GradInputPlaneStreaming</c>, <c>NormalizePlaneStreaming</c>: plain stores for the lines at both ends of a plane,
/// streaming ones between them, on Vector512; other widths call the plain kernel). Each element is the same expression
/// on either path, so the results must be bit-for-bit those of plain stores, wherever the tensors start (the kernels
/// split each plane at the destination's first whole cache line), in place, and on two threads (each worker fences its
/// own streaming stores). The tests in this class are the only ones that change the process-wide
/// setting, and they run one after the other; other tests running meanwhile get the same bits on either path.
/// </summary>
public sealed class StreamingStoresTests
{
    private const int Batch = 9;

    /// <summary>(input offset, output offset) in floats, covering every start of the output modulo 64 bytes.</summary>
    public static TheoryData<int, int> Offsets()
    {
        var data = new TheoryData<int, int>();
        for (int o = 0; o < 16; o++)
        {
            data.Add((o * 5) % 16, o);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Offsets))]
    public void StreamingStoresGiveTheSameBitsAsPlainStores(int inputOffset, int outputOffset)
    {
        TrainingStep.Results plain = Run(streaming: false, () => TrainingStep.Run<Bn2dStreamingRunner>(Batch, 0, 0, inPlace: false));
        TrainingStep.Results streamed = Run(streaming: true, () => TrainingStep.Run<Bn2dStreamingRunner>(Batch, inputOffset, outputOffset, inPlace: false));
        TrainingStep.AssertSame(streamed, plain);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(15)]
    public void StreamingStoresInPlaceGiveTheSameBits(int offset)
    {
        TrainingStep.Results plain = Run(streaming: false, () => TrainingStep.Run<Bn2dStreamingRunner>(Batch, 0, 0, inPlace: false));
        TrainingStep.Results streamed = Run(streaming: true, () => TrainingStep.Run<Bn2dStreamingRunner>(Batch, offset, offset, inPlace: true));
        TrainingStep.AssertSame(streamed, plain);
    }

    [Fact]
    public void StreamingStoresOnTwoThreadsGiveTheSameBitsAsPlainStoresOnOne()
    {
        // At least NormThreads.ParallelMinBytes of input, so that the blocks may run on two threads.
        int batch = (NormThreads.ParallelMinBytes / (Bn2dStreaming.SampleSize * sizeof(float))) + 17;
        int savedThreads = NormThreads.MaxThreads;
        try
        {
            NormThreads.MaxThreads = 1;
            TrainingStep.Results plain = Run(streaming: false, () => TrainingStep.Run<Bn2dStreamingRunner>(batch, 0, 0, inPlace: false));
            NormThreads.MaxThreads = 2;
            TrainingStep.Results streamed = Run(streaming: true, () => TrainingStep.Run<Bn2dStreamingRunner>(batch, 7, 5, inPlace: false));
            TrainingStep.AssertSame(streamed, plain);
        }
        finally
        {
            NormThreads.MaxThreads = savedThreads;
        }
    }

    [Fact]
    public void TheDefaultIsAQuarterOfTheLastLevelCache()
    {
        string root = Path.Combine(Path.GetTempPath(), "normgen-cache-" + Guid.NewGuid().ToString("N"));
        try
        {
            WriteCache(root, "index0", "1", "48K");
            WriteCache(root, "index1", "1", "32K");
            WriteCache(root, "index2", "2", "2048K");
            WriteCache(root, "index3", "3", "32768K");
            Assert.Equal(32L << 20, StreamingStores.LastLevelCacheBytes(root));
            Assert.Equal(8L << 20, StreamingStores.FromCacheSize(StreamingStores.LastLevelCacheBytes(root)));

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

    /// <summary>
    /// Runs <paramref name="step"/> with streaming stores on for every size (<paramref name="streaming"/>) or off, and
    /// checks from the layer's own flag that the backward took that path.
    /// </summary>
    private static TrainingStep.Results Run(bool streaming, Func<TrainingStep.Results> step)
    {
        long saved = StreamingStores.MinBytes;
        try
        {
            StreamingStores.MinBytes = streaming ? 0 : long.MaxValue;
            Bn2dStreamingRunner.LastStreaming = null;
            TrainingStep.Results results = step();
            Assert.Equal(streaming, Bn2dStreamingRunner.LastStreaming);
            return results;
        }
        finally
        {
            StreamingStores.MinBytes = saved;
        }
    }

    private sealed class Bn2dStreamingRunner : TrainingStep.IRunner
    {
        private static readonly FieldInfo StreamingField = typeof(Bn2dStreaming).GetField("_streaming", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new MissingFieldException(nameof(Bn2dStreaming), "_streaming");

        private readonly Bn2dStreaming _layer = new();

        /// <summary>The layer's <c>_streaming</c> flag after the last backward of any runner.</summary>
        public static bool? LastStreaming { get; set; }

        public int SampleSize => Bn2dStreaming.SampleSize;

        public void Forward(ReadOnlySpan<float> input, Span<float> output, bool training)
        {
            _layer.Train(training);
            _layer.Forward(input, output);
        }

        public void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> gradOutput, Span<float> gradInput)
        {
            _layer.Backward(input, gradOutput, gradInput);
            LastStreaming = (bool)StreamingField.GetValue(_layer)!;
        }

        public (float[] WeightGrad, float[] BiasGrad, float[] RunningMean, float[] RunningVar) State() =>
            (_layer.Weight.GradSpan.ToArray(), _layer.Bias.GradSpan.ToArray(), TensorExtensions.AsSpan(_layer.RunningMean).ToArray(), TensorExtensions.AsSpan(_layer.RunningVar).ToArray());
    }
}
