using System;
using System.Globalization;
using System.IO;
using System.Threading;

namespace NormGen;

/// <summary>
/// The process-wide size from which generated layers (BatchNorm, GroupNorm, LayerNorm, RMSNorm, where their shape has
/// streaming kernels) write their outputs, the normalization and the input gradient, with streaming (non-temporal)
/// stores; the normalization of a call on more than one thread only from <see cref="ParallelFactor"/> times the size.
/// A streaming store writes a whole cache line to memory without reading it first and without evicting other data from the cache. A training step reads x
/// twice and writes y, then reads x and dy twice and writes dx: once those four tensors exceed the last-level cache,
/// streaming y and dx keeps x and dy in it for the passes that read them again. A smaller output is better written into
/// the cache, where the next reader finds it; and two threads streaming to memory at once measured slower than two
/// threads writing into the cache while the forward's input and output fit in it, so on more than one thread the
/// normalization streams only for larger tensors (<see cref="UseForNormalization"/>). The choice never changes a result:
/// the same values are stored either way.
/// </summary>
public static class StreamingStores
{
    /// <summary>
    /// The default of <see cref="MinBytes"/>: an eighth of the last-level cache, as Linux reports the cache
    /// (<c>/sys/devices/system/cpu/cpu0/cache</c>, its highest level); <see cref="long.MaxValue"/> (never) where the size is
    /// not known. Four tensors of that size fill half the reported cache: the share a process can use of a last-level
    /// cache shared with other cores (and, in a virtual machine, other guests) is smaller than its size. On the AMD EPYC
    /// guest of docs/performance.md (32 MiB reported) a copy ran at 81 GB/s for 4 MiB tensors, 51 at 12 MiB and 41 at
    /// 16 MiB, and GroupNorm(32, 256)'s training step on 6.4 MB tensors went from 7.95x to 5.66x a copy with streaming
    /// stores, its forward alone unchanged (bench/results/ab-gn-streaming-slots); a quarter of the cache (8 MiB) left it
    /// unstreamed.
    /// </summary>
    public static long DefaultMinBytes { get; } = FromCacheSize(LastLevelCacheBytes("/sys/devices/system/cpu/cpu0/cache"));

    // After DefaultMinBytes: static initializers run in the order they are written.
    private static long s_minBytes = DefaultMinBytes;

    /// <summary>
    /// Tensors of at least this many bytes get their outputs written with streaming stores (default
    /// <see cref="DefaultMinBytes"/>); <see cref="long.MaxValue"/> turns them off, 0 uses them for every size. It applies
    /// to calls that start after it is set.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public static long MinBytes
    {
        get => Volatile.Read(ref s_minBytes);
        set
        {
            if (value < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, $"StreamingStores.MinBytes must be at least 0 (0 = always, long.MaxValue = never), but it was set to {value}.");
            }

            Volatile.Write(ref s_minBytes, value);
        }
    }

    /// <summary>Whether the outputs of a call on a tensor of <paramref name="bytes"/> bytes are written with streaming stores.</summary>
    public static bool Use(long bytes) => bytes >= MinBytes;

    /// <summary>
    /// How many times <see cref="MinBytes"/> a tensor must be for its normalization to stream when the call runs on more
    /// than one thread: 4, by default half the reported last-level cache, where the forward's input and output together
    /// exceed it. On the AMD EPYC guest of docs/performance.md (32 MiB reported) streaming on two threads made the
    /// training forward slower for tensors of 8.4 and 12.8 MB (BatchNorm1d (64, 128, 256) 0.90x to 1.50x a copy,
    /// bench/results/ab-two-thread-normalize-streaming) and faster for LayerNorm(768)'s 25 MB (bench/results/ab-ln-streaming-rows).
    /// </summary>
    public const int ParallelFactor = 4;

    /// <summary>
    /// How many times <see cref="MinBytes"/> a tensor must be for the normalization of an eval-mode call (no backward
    /// follows, so only x and y compete for the cache) to stream on one thread: 2.5, by default 5/16 of the reported
    /// last-level cache, x and y together 5/8 of it. On the faster-copy AMD EPYC guest of docs/performance.md (32 MiB
    /// reported) BatchNorm's eval forward ran faster with plain stores for 8.4 MB tensors and faster streamed for 12.8 MB
    /// (bench/results/ab-eval-streaming).
    /// </summary>
    public const double EvalFactor = 2.5;

    /// <summary>
    /// Whether the normalization of a call on a tensor of <paramref name="bytes"/> bytes, run on
    /// <paramref name="threads"/> threads, writes with streaming stores: in training mode from <see cref="MinBytes"/> on
    /// one thread (a backward that reads x and dy again follows), in eval mode from <see cref="EvalFactor"/> times it; on
    /// more than one thread from <see cref="ParallelFactor"/> times it in either mode (0 still means always and
    /// <see cref="long.MaxValue"/> never).
    /// </summary>
    public static bool UseForNormalization(long bytes, int threads, bool training = true) =>
        threads > 1 ? bytes / ParallelFactor >= MinBytes
        : training ? Use(bytes)
        : bytes / EvalFactor >= MinBytes;

    /// <summary>The default threshold for a last-level cache of <paramref name="cacheBytes"/> (null: unknown).</summary>
    internal static long FromCacheSize(long? cacheBytes) => cacheBytes is > 0 ? cacheBytes.Value / 8 : long.MaxValue;

    /// <summary>
    /// The size of the highest cache level under <paramref name="directory"/> (Linux's <c>index*/level</c> and
    /// <c>index*/size</c> files, sizes like <c>32768K</c>), or null if there is none or it cannot be read.
    /// </summary>
    internal static long? LastLevelCacheBytes(string directory)
    {
        try
        {
            if (!Directory.Exists(directory))
            {
                return null;
            }

            int bestLevel = 0;
            long? bestBytes = null;
            foreach (string index in Directory.GetDirectories(directory, "index*"))
            {
                string levelPath = Path.Combine(index, "level"), sizePath = Path.Combine(index, "size");
                if (!File.Exists(levelPath) || !File.Exists(sizePath)
                    || !int.TryParse(File.ReadAllText(levelPath).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int level)
                    || ParseSize(File.ReadAllText(sizePath).Trim()) is not long bytes)
                {
                    continue;
                }

                if (level > bestLevel || (level == bestLevel && bytes > bestBytes))
                {
                    bestLevel = level;
                    bestBytes = bytes;
                }
            }

            return bestBytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException or NotSupportedException or ArgumentException)
        {
            return null; // a probe: the type initializer of this class must not fail, or no layer could run
        }
    }

    /// <summary>Bytes of a sysfs cache size (<c>32768K</c>, <c>2M</c>, <c>512</c>), or null if it is not one.</summary>
    internal static long? ParseSize(string text)
    {
        long unit = 1;
        if (text.EndsWith("K", StringComparison.Ordinal))
        {
            unit = 1L << 10;
        }
        else if (text.EndsWith("M", StringComparison.Ordinal))
        {
            unit = 1L << 20;
        }
        else if (text.EndsWith("G", StringComparison.Ordinal))
        {
            unit = 1L << 30;
        }

        string digits = unit == 1 ? text : text.Substring(0, text.Length - 1);
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long value) && value > 0 && value <= long.MaxValue / unit
            ? value * unit
            : null;
    }
}
