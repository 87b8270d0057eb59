using System;
using System.Collections.Generic;
using NormGen.Generator.Helpers;

namespace NormGen.Generator.Emit;

/// <summary>
/// Writes the SIMD kernels of a layer, specialized on compile-time lengths. Every kernel dispatches
/// Vector512 → Vector256 → Vector128 → scalar on hardware support (static readonly flags the tiered JIT folds, so only
/// one path survives; <c>SimdMath.Use512</c> etc. also let tests pin a width), unrolls its main loop, and handles the tail without per-element branches: reductions
/// add a last, overlapping vector whose already-counted lanes are masked to zero; element-wise kernels compute
/// a last, overlapping vector before the main loop (safe in place) and store it after.
/// Widths whose vector is longer than the data are not emitted.
/// </summary>
internal static partial class KernelEmitter
{
    /// <summary>Vectors per iteration of the unrolled loops.</summary>
    private const int Unroll = 4;

    /// <summary>
    /// Iterations between flushes of the float partial sums into double totals: each lane then adds at most
    /// this many values in float (pairwise with the double totals: a cascade), which bounds the rounding error
    /// independently of the reduction length.
    /// </summary>
    public const int ChunkIterations = 16;

    private const string Unsafe = "global::System.Runtime.CompilerServices.Unsafe";

    /// <summary>
    /// Shortest sample, in floats, whose element-wise kernels get a streaming variant over the whole sample (64 cache lines:
    /// its four plainly stored lines at most a sixteenth of it).
    /// </summary>
    public const int StreamingMinLength = 1024;

    /// <summary>
    /// A kernel body with a Vector512 and a Vector256 path: <c>if (SimdMath.Use512) { ...; return; }</c>, then the
    /// Vector256 path in its own scope (callers run the kernel only when one of the two widths is in use).
    /// </summary>
    private static void WriteWideThenNarrow(IndentedWriter w, Action<VectorWidth> body)
    {
        using (w.Block("if (global::NormGen.SimdMath.Use512)"))
        {
            body(VectorWidth.All[0]);
            w.WriteLine("return;");
        }

        w.WriteLine();
        using (w.Block("")) // Vector256
        {
            body(VectorWidth.All[1]);
        }
    }

    /// <summary>
    /// A kernel as a small dispatcher and one method per vector width (<c>{name}512</c>, <c>{name}256</c>,
    /// <c>{name}128</c>, widths longer than <paramref name="length"/> left out) and <c>{name}Scalar</c>. The JIT inlines a
    /// method only if it declares at most 32 locals (<c>MAX_INL_LCLS</c>), and remembers a method that has more as never
    /// inlinable, whatever its <c>AggressiveInlining</c>: one method holding all three widths' unrolled accumulators
    /// exceeded that and was called per plane or row. Each width's method stays under it; the dispatcher folds to a
    /// single call of the width this machine uses (its flags are static readonly), which inlines.
    /// </summary>
    /// <param name="parameters">The parameter list, e.g. <c>ref float p, float shift, out double dev</c>.</param>
    /// <param name="vector">Writes the body of one width's method.</param>
    /// <param name="scalar">Writes the body of the scalar method.</param>
    /// <param name="helpers">Writes further methods of one width, after that width's method.</param>
    private static void WriteDispatchedKernel(IndentedWriter w, string name, string parameters, string summary, int length, Action<VectorWidth> vector, Action scalar, Action<VectorWidth>? helpers = null)
    {
        string arguments = Arguments(parameters);
        WriteKernelHeader(w, summary);
        using (w.Block($"private static void {name}({parameters})"))
        {
            foreach (VectorWidth v in VectorWidth.All)
            {
                if (length < v.Lanes)
                {
                    continue;
                }

                using (w.Block($"if ({v.Enabled})"))
                {
                    w.WriteLine($"{name}{v.Bits}({arguments});");
                    w.WriteLine("return;");
                }

                w.WriteLine();
            }

            w.WriteLine($"{name}Scalar({arguments});");
        }

        foreach (VectorWidth v in VectorWidth.All)
        {
            if (length < v.Lanes)
            {
                continue;
            }

            w.WriteLine();
            WriteKernelHeader(w, $"The Vector{v.Bits} path of <see cref=\"{name}\"/>.");
            using (w.Block($"private static void {name}{v.Bits}({parameters})"))
            {
                vector(v);
            }

            helpers?.Invoke(v);
        }

        w.WriteLine();
        WriteKernelHeader(w, $"The scalar path of <see cref=\"{name}\"/>.");
        using (w.Block($"private static void {name}Scalar({parameters})"))
        {
            scalar();
        }
    }

    /// <summary>The arguments that pass a parameter list on: <c>ref float p, float shift, out double dev</c> → <c>ref p, shift, out dev</c>.</summary>
    private static string Arguments(string parameters)
    {
        string[] list = parameters.Split(new[] { ", " }, StringSplitOptions.None);
        for (int i = 0; i < list.Length; i++)
        {
            string[] words = list[i].Trim().Split(' ');
            string modifier = words[0] is "ref" or "out" or "in" ? words[0] + " " : "";
            list[i] = modifier + words[words.Length - 1];
        }

        return string.Join(", ", list);
    }

    private static void WriteKernelHeader(IndentedWriter w, string summary)
    {
        w.WriteLine($"/// <summary>{summary}</summary>");
        w.WriteLine("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]");
    }

    /// <summary>
    /// Prefetches of the lines that hold element <paramref name="index"/> of each <paramref name="prefetch"/> row (none
    /// when it is null), written where <paramref name="position"/> (the index relative to the row's start, or its value
    /// modulo 16) is a multiple of 16 floats: one <c>NormGen.SimdMath.Prefetch</c> per 64 bytes of each row, interleaved
    /// with the kernel's own loads and stores. The per-sample layers use two kinds: a backward sums kernel prefetches the
    /// output row that the next kernel writes (without it each of those stores waits in the store buffer for its line
    /// to come from memory, with the parameter-gradient stores of LayerNorm's backward queued behind them: LayerNorm(768)
    /// backward over 8192 rows 9-10 ms without, 5-6 ms with, against 3 ms for a loop that reads two rows and writes one),
    /// and an element-wise kernel prefetches the next slot's inputs. The forward's sums kernel, followed by one store per
    /// vector, measured slower with the output prefetch (2.0 ms without, 2.2 ms with), so it has none.
    /// </summary>
    private static void WritePrefetches(IndentedWriter w, string[]? prefetch, string index, int position)
    {
        if (prefetch is null || position % 16 != 0)
        {
            return;
        }

        foreach (string row in prefetch)
        {
            w.WriteLine($"global::NormGen.SimdMath.Prefetch(ref {row}, {index});");
        }
    }

    private static string Store(VectorWidth v, string value, string destination, string at) => $"{v.Type}.StoreUnsafe({value}, ref {destination}, {at});";

    internal static string Load(VectorWidth v, string source, string at) => $"{v.Type}.LoadUnsafe(ref {source}, {at})";

    private static string Offset(string index, int delta)
    {
        if (delta == 0)
        {
            return index;
        }

        return int.TryParse(index, out int constant) ? Literals.Int(constant + delta) : $"{index} + {Literals.Int(delta)}";
    }

    private static IEnumerable<string> Map(IReadOnlyList<string> items, Func<string, string> f)
    {
        foreach (string item in items)
        {
            yield return f(item);
        }
    }
}
