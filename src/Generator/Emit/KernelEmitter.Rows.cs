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

    /// <summary>
    /// <c>{name}Streaming</c>: <see cref="WriteRowBackward"/>'s kernel with streaming stores of <c>dx</c> for the row's
    /// cache lines but the first two and the last two (Vector512 or Vector256; the caller checks <c>SimdMath.Use512 ||
    /// SimdMath.Use256</c>). The row is walked at 64-byte aligned addresses of <c>dx</c>, as
    /// <see cref="WriteElementwiseAffineStreaming"/>: its first and last vector (<c>head</c>, <c>last</c>, over the partial
    /// lines shared with the neighbouring rows) and the whole lines beside them (<c>headLine</c>, <c>lastLine</c>) are
    /// computed first and their <c>dx</c> stored last with plain stores. Those four overlap where the row is not aligned,
    /// so the parameter gradients, which are read, modified and written, take from <c>head</c> only its lanes before the
    /// first aligned element and from <c>last</c> only its lanes after <c>lastLine</c> (<c>ConditionalSelect</c> with the
    /// old values: every element is added once, in the same expression as in <c>{name}</c>, so the bits are the same).
    /// Every position reads x and dy before any store that can reach it: safe in place.
    /// </summary>
    public static void WriteRowBackwardStreaming(IndentedWriter w, string name, int length, bool hasBias, string[]? prefetch)
    {
        if (!HasRowStreaming(length))
        {
            throw new System.ArgumentOutOfRangeException(nameof(length), length, "No streaming row kernel for this length.");
        }

        string bias = hasBias ? ", ref float gradBias" : "";
        string ahead = prefetch is null ? "" : string.Concat(Map(prefetch, other => $", ref float {other}"));
        w.WriteLine($"/// <summary><see cref=\"{name}\"/> with streaming stores of dx for the row's cache lines but the first two and the last two (Vector512 or Vector256: the caller checks <c>SimdMath.Use512 || SimdMath.Use256</c>).</summary>");
        w.WriteLine("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]");
        using (w.Block($"private static void {name}Streaming(ref float x, ref float dy, ref float dx, ref float weight, ref float gradWeight{bias}, float shift, float r, float cw, float b, float c{ahead})"))
        {
            WriteWideThenNarrow(w, v => WriteRowBackwardStreamingBody(w, v, length, hasBias, prefetch));
        }
    }

    private static string Minus(string value, int delta) => delta == 0 ? value : $"{value} - {Literals.Int(delta)}";

    private static void WriteRowBackwardStreamingBody(IndentedWriter w, VectorWidth v, int length, bool hasBias, string[]? prefetch)
    {
        int lanes = v.Lanes;
        int perLine = 16 / lanes;
        string Named(string stem, int k) => perLine == 1 ? stem : stem + Literals.Int(k);
        void Prefetches(string at)
        {
            foreach (string row in prefetch ?? System.Array.Empty<string>())
            {
                w.WriteLine($"global::NormGen.SimdMath.Prefetch(ref {row}, {at});");
            }
        }

        // One vector: its gradients (all lanes, or with a mask only the lanes the rest of the walk does not cover) stored
        // now, its dx kept in dx{suffix} for the caller to store.
        void Gradients(string suffix, string at, string? mask)
        {
            WriteRowBackwardValues(w, v, at, suffix, hasBias, mask);
            WriteRowBackwardStores(w, v, at, suffix, hasBias, dx: false);
        }

        WriteRowBackwardPrologue(w, v);
        w.WriteLine("nuint at = global::NormGen.AlignedStores.Skew(ref dx, 16); // the first element at an aligned address of dx");
        w.WriteLine("nuint headAt = at; // the first whole line, stored plainly (it shares a line with head where at > 0)");
        w.WriteLine($"nuint lastAt = {Literals.Int(length - 16)} - ((16 - at) & 15); // the last whole line, stored plainly");
        w.WriteLine("int after = at == 0 ? 0 : 16 - (int)at; // elements of the row after lastLine (in last's lanes)");
        w.WriteLine("// The lines at both ends first (every read before any store of dx), their gradients added once each.");
        for (int k = 0; k < perLine; k++)
        {
            Gradients(Named("HeadLine", k), Offset("headAt", k * lanes), null);
        }

        for (int k = 0; k < perLine; k++)
        {
            // head: the elements before headAt.
            Gradients(Named("Head", k), Literals.Int(k * lanes), $"{v.FirstLanes}({Minus("(int)at", k * lanes)})");
        }

        for (int k = 0; k < perLine; k++)
        {
            Gradients(Named("LastLine", k), Offset("lastAt", k * lanes), null);
        }

        for (int k = 0; k < perLine; k++)
        {
            // last: the elements after lastLine.
            Gradients(Named("Last", k), Literals.Int(length - 16 + (k * lanes)), $"{v.LastLanes}({Minus("after", (perLine - 1 - k) * lanes)})");
        }

        Prefetches("headAt");
        Prefetches("lastAt");
        using (w.Block($"for (at += 16; at + {Literals.Int(Unroll * lanes)} <= lastAt; at += {Literals.Int(Unroll * lanes)})"))
        {
            for (int k = 0; k < Unroll; k++)
            {
                Gradients(Literals.Int(k), Offset("at", k * lanes), null);
            }

            w.WriteLine($"global::NormGen.SimdMath.StoreStreaming(dx0, dx1, dx2, dx3, ref dx, at);");
            for (int k = 0; k < Unroll; k++)
            {
                if ((k * lanes) % 16 == 0)
                {
                    Prefetches(Offset("at", k * lanes)); // once per 16 floats
                }
            }
        }

        using (w.Block($"for (; at < lastAt; at += {Literals.Int(lanes)})"))
        {
            Gradients("Rest", "at", null);
            w.WriteLine("global::NormGen.SimdMath.StoreStreaming(dxRest, ref dx, at);");
            if (lanes == 16)
            {
                Prefetches("at");
            }
        }

        foreach (string stem in new[] { "HeadLine", "LastLine" })
        {
            for (int k = 0; k < perLine; k++)
            {
                w.WriteLine(Store(v, "dx" + Named(stem, k), "dx", Offset(stem == "HeadLine" ? "headAt" : "lastAt", k * lanes)));
            }
        }

        for (int k = 0; k < perLine; k++)
        {
            w.WriteLine(Store(v, "dx" + Named("Head", k), "dx", Literals.Int(k * lanes)));
        }

        for (int k = 0; k < perLine; k++)
        {
            w.WriteLine(Store(v, "dx" + Named("Last", k), "dx", Literals.Int(length - 16 + (k * lanes))));
        }
    }
}
