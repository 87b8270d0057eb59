using NormGen.Generator.Helpers;

namespace NormGen.Generator.Emit;

/// <summary>
/// The streaming variant of the per-row element-wise kernel of LayerNorm, RMSNorm and GroupNorm without spatial
/// dimensions (per-element weight and bias): rows too large for the tensors of a training step to stay in the cache.
/// </summary>
internal static partial class KernelEmitter
{
    /// <summary>
    /// Shortest row that gets a streaming variant: 32 cache lines, of which at most four (the partial lines at both ends
    /// and the whole lines beside them) are stored plain. Shorter runs with plain end lines measured slower than plain
    /// stores throughout (BatchNorm planes of 256 floats, four plain lines in sixteen: docs/performance.md, "Segment sums
    /// and per-sample streaming"); LayerNorm(768), 48 lines per row, is the case measured.
    /// </summary>
    public const int RowStreamingMinLength = 512;

    /// <summary>
    /// Whether rows of <paramref name="length"/> floats get <see cref="WriteElementwiseAffineStreaming"/>: at least
    /// <see cref="RowStreamingMinLength"/> floats, a whole number of cache lines (so every row of a tensor starts at the same
    /// position within a line).
    /// </summary>
    public static bool HasRowStreaming(int length) => length >= RowStreamingMinLength && length % 16 == 0;

    /// <summary>
    /// <c>{name}Streaming</c>: <see cref="WriteElementwiseAffine"/>'s kernel with streaming stores for the row's cache
    /// lines but the first two and the last two (Vector512 or Vector256; the caller checks <c>SimdMath.Use512 ||
    /// SimdMath.Use256</c>). The row is one run of <see cref="WriteSlotBody"/>: walked at 64-byte aligned addresses of
    /// <c>y</c>, its first and last partial line and the whole lines beside them computed before any store and stored last
    /// with plain stores (they share cache lines with the neighbouring rows), so no line gets both kinds of store; safe in
    /// place. The bits are those of <c>{name}</c> (the same expression per element).
    /// </summary>
    public static void WriteElementwiseAffineStreaming(IndentedWriter w, string name, int length, bool hasBias, string[]? prefetch)
    {
        if (!HasRowStreaming(length))
        {
            throw new System.ArgumentOutOfRangeException(nameof(length), length, "No streaming row kernel for this length.");
        }

        string ahead = prefetch is null ? "" : string.Concat(Map(prefetch, other => $", ref float {other}"));
        string parameters = "ref float x, ref float y, float shift, float invStd, float center, ref float weight" + (hasBias ? ", ref float bias" : "") + ahead;
        w.WriteLine($"/// <summary><see cref=\"{name}\"/> with streaming stores for the row's cache lines but the first two and the last two (Vector512 or Vector256: the caller checks <c>SimdMath.Use512 || SimdMath.Use256</c>).</summary>");
        w.WriteLine("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]");
        using (w.Block($"private static void {name}Streaming({parameters})"))
        {
            WriteWideThenNarrow(w, v => WriteSlotBody(
                w,
                v,
                length,
                planes: 1,
                "y",
                ElementwiseAffinePrologue(v),
                System.Array.Empty<string>(),
                (vw, at, _) => ElementwiseAffineValue(vw, at, hasBias),
                prefetch,
                streaming: true));
        }
    }
}
