using System;
using NormGen.Generator.Helpers;

namespace NormGen.Generator.Emit;

/// <summary>
/// The reductions over one contiguous run (a plane or a slot): float partials in independent chains, flushed into
/// double totals every few iterations.
/// </summary>
internal static partial class KernelEmitter
{
    /// <summary>
    /// <c>static void {name}(inputs of the kind, out double total...)</c>: reduces <paramref name="length"/>
    /// contiguous elements (one channel plane of one sample, or one slot).
    /// </summary>
    /// <param name="prefetch">
    /// When set, the kernel takes one more <c>ref float</c> parameter of that name (the output row of the same length)
    /// and prefetches its cache lines while it reduces: see <see cref="WritePrefetches"/>.
    /// </param>
    public static void WritePlaneReduction(IndentedWriter w, string name, ReductionKind kind, int length, string summary, string? prefetch = null)
    {
        string outs = string.Join(", ", Map(kind.Accumulators, a => "out double " + a));
        string ahead = prefetch is null ? "" : $", ref float {prefetch}";
        WriteDispatchedKernel(
            w,
            name,
            $"{kind.Parameters}{ahead}, {outs}",
            summary,
            length,
            v =>
            {
                WriteTotals(w, kind);
                WriteVectorReduction(w, v, kind, length, prefetch is null ? null : [prefetch]);
                WriteAssignOuts(w, kind);
            },
            () =>
            {
                WriteTotals(w, kind);
                using (w.Block($"for (int i = 0; i < {length}; i++)"))
                {
                    kind.WriteScalarUpdate(w, "i");
                }

                WriteAssignOuts(w, kind);
            });
    }

    private static void WriteTotals(IndentedWriter w, ReductionKind kind)
    {
        foreach (string a in kind.Accumulators)
        {
            w.WriteLine($"double {a}Total = 0;");
        }
    }

    private static void WriteAssignOuts(IndentedWriter w, ReductionKind kind)
    {
        foreach (string a in kind.Accumulators)
        {
            w.WriteLine($"{a} = {a}Total;");
        }
    }

    /// <summary>The vector body of a plane reduction: chunked, unrolled main loop; remainder vectors; masked tail.</summary>
    private static void WriteVectorReduction(IndentedWriter w, VectorWidth v, ReductionKind kind, int length, string[]? prefetch = null)
    {
        int lanes = v.Lanes;
        int vectors = length / lanes;
        int remainder = length % lanes;
        int chunkVectors = Unroll * ChunkIterations;
        int chunks = vectors / chunkVectors;
        int chunkElements = chunkVectors * lanes;

        kind.WritePrologue(w, v);
        if (remainder > 0)
        {
            w.WriteLine($"{v.Float} tail = {v.LastLanes}({remainder});");
        }

        if (chunks > 0)
        {
            using (w.Block($"for (nuint chunk = 0; chunk < {chunks * chunkElements}; chunk += {chunkElements})"))
            {
                WritePartials(w, v, kind, Unroll);
                using (w.Block($"for (nuint i = chunk; i < chunk + {chunkElements}; i += {Unroll * lanes})"))
                {
                    for (int k = 0; k < Unroll; k++)
                    {
                        kind.WriteUpdate(w, v, k, Offset("i", k * lanes), mask: null, tag: Literals.Int(k));
                        WritePrefetches(w, prefetch, Offset("i", k * lanes), k * lanes); // i is a multiple of 16
                    }
                }

                WriteFlush(w, v, kind, Unroll);
            }
        }

        int start = chunks * chunkElements;
        int restVectors = vectors - (chunks * chunkVectors);
        int partials = Math.Min(Unroll, restVectors + (remainder > 0 ? 1 : 0));
        if (partials == 0)
        {
            return;
        }

        using (w.Block(""))
        {
            WritePartials(w, v, kind, partials);
            int loopVectors = restVectors / Unroll * Unroll;
            if (loopVectors == Unroll)
            {
                for (int k = 0; k < Unroll; k++)
                {
                    kind.WriteUpdate(w, v, k, Literals.Int(start + (k * lanes)), mask: null, tag: Literals.Int(k));
                    WritePrefetches(w, prefetch, Literals.Int(start + (k * lanes)), start + (k * lanes));
                }
            }
            else if (loopVectors > 0)
            {
                using (w.Block($"for (nuint i = {start}; i < {start + (loopVectors * lanes)}; i += {Unroll * lanes})"))
                {
                    for (int k = 0; k < Unroll; k++)
                    {
                        kind.WriteUpdate(w, v, k, Offset("i", k * lanes), mask: null, tag: Literals.Int(k));
                        WritePrefetches(w, prefetch, Offset("i", k * lanes), k * lanes); // i is a multiple of 16
                    }
                }
            }

            for (int j = 0; j < restVectors - loopVectors; j++)
            {
                kind.WriteUpdate(w, v, j, Literals.Int(start + ((loopVectors + j) * lanes)), mask: null, tag: "Rest" + Literals.Int(j));
                WritePrefetches(w, prefetch, Literals.Int(start + ((loopVectors + j) * lanes)), start + ((loopVectors + j) * lanes));
            }

            if (remainder > 0)
            {
                kind.WriteUpdate(w, v, (restVectors - loopVectors) % partials, Literals.Int(length - lanes), "tail", tag: "Tail");
            }

            if (length % 16 != 0)
            {
                WritePrefetches(w, prefetch, Literals.Int(length - 1), 0); // the line of the last element, past the last multiple of 16
            }

            WriteFlush(w, v, kind, partials);
        }
    }

    private static void WritePartials(IndentedWriter w, VectorWidth v, ReductionKind kind, int count)
    {
        foreach (string a in kind.Accumulators)
        {
            for (int k = 0; k < count; k++)
            {
                w.WriteLine($"{kind.PartialType(v)} {a}{k} = {kind.PartialType(v)}.Zero;");
            }
        }
    }

    private static void WriteFlush(IndentedWriter w, VectorWidth v, ReductionKind kind, int count)
    {
        foreach (string a in kind.Accumulators)
        {
            w.WriteLine($"{a}Total += {kind.Flush(v, Combined(a, count))};");
        }
    }

    private static string Combined(string a, int count) => count switch
    {
        1 => $"{a}0",
        2 => $"{a}0 + {a}1",
        3 => $"({a}0 + {a}1) + {a}2",
        _ => $"({a}0 + {a}1) + ({a}2 + {a}3)",
    };
}
