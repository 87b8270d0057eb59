using System.Collections.Generic;
using System.Linq;
using NormGen.Generator.Helpers;

namespace NormGen.Generator.Emit;

/// <summary>The per-sample segment kernels: per-channel sums over one whole sample of small planes.</summary>
internal static partial class KernelEmitter
{
    /// <summary>Shortest plane the segment kernels take: one whole Vector512, so a plane's tail vector stays inside it.</summary>
    public const int SegmentMinLength = 16;

    /// <summary>Longest plane the segment kernels take on Vector512: 16 vectors, whose per-plane helper stays under the JIT's 32 locals for inlining.</summary>
    public const int SegmentMaxLength = 256;

    /// <summary>Longest plane the Vector256 segment kernels take: 16 vectors of 8 floats, for the same reason.</summary>
    public const int SegmentMaxLength256 = 128;


    /// <summary>
    /// <c>static void {name}(ref float p[, ref float dy], ref float shift, ref double ...Totals)</c> for one width
    /// <paramref name="v"/> (Vector512, or Vector256 for planes of at most <see cref="SegmentMaxLength256"/> floats): adds
    /// the sums of <paramref name="kind"/> of every plane of one sample (<paramref name="slots"/> planes of
    /// <paramref name="planeLength"/> floats, at least <see cref="SegmentMinLength"/>), each against its channel's shift,
    /// into per-channel double totals. The sample is read once, in order. A plane's vectors (the last one overlapping
    /// the previous, its counted lanes masked) go into float partials that <c>{name}Channel</c> returns as one vector; V
    /// channels' vectors (V = 16 or 8 lanes) are reduced together to one vector of their V sums by
    /// <c>NormGen.SimdMath.PairwiseSums</c> (V - 1 vector additions instead of V horizontal sums), widened and added to
    /// the totals; channels past the last multiple of V are summed one by one. Each lane of a float partial adds at
    /// most four values before the tree (planes of at most <see cref="SegmentMaxLength"/> floats, four partials), so a
    /// plane's float sum adds at most <paramref name="planeLength"/> values and is then accumulated in double, sample
    /// after sample.
    /// </summary>
    public static void WriteSegmentSums(IndentedWriter w, VectorWidth v, string name, ReductionKind kind, int planeLength, int slots, string summary)
    {
        if (v.Bits < 256 || planeLength < SegmentMinLength || planeLength > (v.Bits == 512 ? SegmentMaxLength : SegmentMaxLength256))
        {
            throw new System.ArgumentOutOfRangeException(nameof(planeLength), planeLength, $"No Vector{v.Bits} segment kernel for planes of this length.");
        }

        int lanes = v.Lanes;
        string[] inputs = kind.Parameters.Split(new[] { ", " }, System.StringSplitOptions.None)
            .Where(p => p.StartsWith("ref float ", System.StringComparison.Ordinal))
            .Select(p => p.Substring("ref float ".Length))
            .ToArray();
        IReadOnlyList<string> accumulators = kind.Accumulators;
        int remainder = planeLength % v.Lanes;
        int groups = slots / v.Lanes;
        string tailParameter = remainder > 0 ? $", {v.Float} tail" : "";
        string tailArgument = remainder > 0 ? ", tail" : "";

        string Call(string channel, string suffix) =>
            $"{name}Channel({string.Join(", ", inputs.Select(i => $"ref {UnsafeType}.Add(ref {i}, ({channel}) * {Literals.Int(planeLength)})"))}, {UnsafeType}.Add(ref shift, {channel}){tailArgument}, "
            + string.Join(", ", accumulators.Select(a => $"out {v.Float} {a}{suffix}")) + ");";

        w.WriteLine($"/// <summary>{summary}</summary>");
        w.WriteLine("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]");
        string totals = string.Join(", ", accumulators.Select(a => $"ref double {a}Totals"));
        using (w.Block($"private static void {name}({string.Join(", ", inputs.Select(i => "ref float " + i))}, ref float shift, {totals})"))
        {
            if (remainder > 0)
            {
                w.WriteLine($"{v.Float} tail = {v.LastLanes}({Literals.Int(remainder)});");
            }

            w.WriteLine("int c = 0;");
            if (groups > 0)
            {
                int quads = lanes / 4;
                using (w.Block($"for (; c < {Literals.Int(groups * lanes)}; c += {Literals.Int(lanes)})"))
                {
                    foreach (string a in accumulators)
                    {
                        w.WriteLine($"{v.Float} {string.Join(", ", Enumerable.Range(0, quads).Select(q => $"{a}Quad{q}"))};");
                    }

                    for (int q = 0; q < quads; q++)
                    {
                        using (w.Block(""))
                        {
                            for (int j = 0; j < 4; j++)
                            {
                                w.WriteLine(Call($"c + {Literals.Int((4 * q) + j)}", Literals.Int(j)));
                            }

                            foreach (string a in accumulators)
                            {
                                w.WriteLine($"{a}Quad{q} = {Pairwise(Pairwise($"{a}0", $"{a}1"), Pairwise($"{a}2", $"{a}3"))};");
                            }
                        }
                    }

                    foreach (string a in accumulators)
                    {
                        w.WriteLine($"({v.Double} {a}Low, {v.Double} {a}High) = {v.Type}.Widen({Tree(Enumerable.Range(0, quads).Select(q => $"{a}Quad{q}").ToList())});");
                        w.WriteLine($"{v.Type}.StoreUnsafe({v.Type}.LoadUnsafe(ref {a}Totals, (nuint)c) + {a}Low, ref {a}Totals, (nuint)c);");
                        w.WriteLine($"{v.Type}.StoreUnsafe({v.Type}.LoadUnsafe(ref {a}Totals, (nuint)c + {Literals.Int(lanes / 2)}) + {a}High, ref {a}Totals, (nuint)c + {Literals.Int(lanes / 2)});");
                    }
                }
            }

            if (slots % lanes != 0)
            {
                if (groups > 0)
                {
                    w.WriteLine();
                }

                w.WriteLine($"// The channels after the last group of {Literals.Int(lanes)}, one by one.");
                using (w.Block($"for (; c < {Literals.Int(slots)}; c++)"))
                {
                    w.WriteLine(Call("c", "Lanes"));
                    foreach (string a in accumulators)
                    {
                        w.WriteLine($"{UnsafeType}.Add(ref {a}Totals, c) += global::NormGen.SimdMath.SumToDouble({a}Lanes);");
                    }
                }
            }
        }

        w.WriteLine();
        int vectors = planeLength / v.Lanes;
        int updates = vectors + (remainder > 0 ? 1 : 0);
        int partials = System.Math.Min(Unroll, updates);
        int perLane = (updates + partials - 1) / partials;
        string values = perLane == 1 ? "each lane one value" : $"each lane the sum of at most {Literals.Int(perLane)} values";
        WriteKernelHeader(w, $"One plane of <see cref=\"{name}\"/>: {(partials == 1 ? "its float partial vector" : $"its {Literals.Int(partials)} float partial vectors")}, {values}, added into one vector per sum.");
        string outs = string.Join(", ", accumulators.Select(a => $"out {v.Float} {a}Lanes"));
        using (w.Block($"private static void {name}Channel({kind.Parameters}{tailParameter}, {outs})"))
        {
            kind.WritePrologue(w, v);
            for (int j = 0; j < vectors; j++)
            {
                kind.WriteUpdate(w, v, j % partials, Literals.Int(j * v.Lanes), mask: null, tag: Literals.Int(j), first: j < partials);
            }

            if (remainder > 0)
            {
                kind.WriteUpdate(w, v, vectors % partials, Literals.Int(planeLength - v.Lanes), "tail", tag: "Tail", first: vectors < partials);
            }

            foreach (string a in accumulators)
            {
                w.WriteLine($"{a}Lanes = {Combined(a, partials)};");
            }
        }
    }

    private const string UnsafeType = "global::System.Runtime.CompilerServices.Unsafe";

    private static string Pairwise(string a, string b) => $"global::NormGen.SimdMath.PairwiseSums({a}, {b})";

    /// <summary>The pairwise tree over <paramref name="vectors"/> (a power of two of them), neighbours first.</summary>
    private static string Tree(IReadOnlyList<string> vectors) =>
        vectors.Count == 1 ? vectors[0] : Tree(Enumerable.Range(0, vectors.Count / 2).Select(i => Pairwise(vectors[2 * i], vectors[(2 * i) + 1])).ToList());
}
