using System;
using System.Collections.Generic;
using System.Linq;
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

    /// <summary>
    /// Most rows per call of the <see cref="WriteColumnRows"/> kernels, which accumulate the rows in
    /// <see cref="ColumnChains"/> independent float chains: each lane of a chain adds at most ColumnRows / ColumnChains
    /// values before the double flush.
    /// </summary>
    public const int ColumnRows = 32;

    /// <summary>
    /// The L1 data cache <see cref="ColumnRowsFor"/> plans for: addresses this many bytes apart share a set (64 sets of
    /// 64-byte lines, every current x86 core) ...
    /// </summary>
    private const int L1SetSpanBytes = 4096;

    /// <summary>... and each set holds this many lines (8 on AMD Zen 4 and Intel Skylake, 12 on newer Intel cores).</summary>
    private const int L1Ways = 8;

    /// <summary>
    /// Rows per call of a <see cref="WriteColumnRows"/> kernel over samples of <paramref name="sampleSize"/> floats that
    /// reads <paramref name="inputs"/> tensors: the most rows, up to <see cref="ColumnRows"/>, whose lines at one column
    /// fit in the L1 sets they map to. A column walk loads one line per row and input at each column position; when the
    /// sample stride is a multiple of half of <see cref="L1SetSpanBytes"/> (7x7 planes of 512 channels: 100352 bytes),
    /// the rows share two sets, and more lines than ways evict the hardware prefetcher's lines of the next columns
    /// before they are read. The inputs' addresses relative to each other are not known, so they are assumed to share
    /// sets too.
    /// </summary>
    public static int ColumnRowsFor(int sampleSize, int inputs)
    {
        int rows = ColumnRows;
        while (rows > ColumnChains && inputs * RowsPerL1Set(sampleSize, rows) > L1Ways)
        {
            rows /= 2;
        }

        return rows;
    }

    /// <summary>
    /// The most distinct lines that the first elements of <paramref name="rows"/> consecutive samples put in one L1 set
    /// (rows that share a line count once).
    /// </summary>
    private static int RowsPerL1Set(int sampleSize, int rows)
    {
        int sets = L1SetSpanBytes / 64;
        int[] counts = new int[sets];
        int most = 0;
        long previous = -1;
        for (int r = 0; r < rows; r++)
        {
            long line = (long)r * sampleSize * sizeof(float) / 64;
            if (line != previous)
            {
                most = System.Math.Max(most, ++counts[(int)(line % sets)]);
                previous = line;
            }
        }

        return most;
    }

    /// <summary>
    /// Rows per call of the element-wise row kernels (<see cref="WriteColumnRowsNormalize"/>): fewer than the reductions'
    /// rows, since each row is a read and a write stream for the prefetchers.
    /// </summary>
    public const int ElementwiseRows = 4;

    /// <summary>Independent accumulator chains of the <see cref="WriteColumnRows"/> kernels.</summary>
    private const int ColumnChains = 4;

    private const string Unsafe = "global::System.Runtime.CompilerServices.Unsafe";

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

    /// <summary>
    /// <c>static void {name}(ref float first[, ref float firstDy], ref float shift, int rows, ref double ...Totals)</c>:
    /// reduces <c>rows</c> (at most <see cref="ColumnRows"/>) consecutive samples of <paramref name="size"/> elements
    /// column by column, each element against its own shift, into per-element double totals. The partials of a column
    /// stay in registers across the rows (<see cref="ColumnChains"/> chains), so the totals are read and written once per call.
    /// </summary>
    public static void WriteColumnRows(IndentedWriter w, string name, ReductionKind kind, int size, string summary, bool aligned = false)
    {
        bool gradient = kind != ReductionKind.Shifted;
        string inputs = gradient ? "ref float firstX, ref float firstDy" : "ref float first";
        string totals = string.Join(", ", Map(kind.Accumulators, a => $"ref double {a}Totals"));
        string parameters = $"{inputs}, ref float shift, int rows, {totals}";
        string arguments = Arguments(parameters);
        WriteDispatchedKernel(
            w,
            name,
            parameters,
            summary,
            size,
            v =>
            {
                if (aligned)
                {
                    WriteAlignedColumnPositions(w, v, name, arguments, kind, gradient, size);
                    return;
                }

                int full = size / v.Lanes * v.Lanes;
                int remainder = size % v.Lanes;
                using (w.Block($"for (nuint i = 0; i < {full}; i += {v.Lanes})"))
                {
                    WriteColumnPosition(w, v, kind, gradient, size, "i", mask: null);
                }

                if (remainder > 0)
                {
                    w.WriteLine($"{name}{v.Bits}Masked({arguments}, {Literals.Int(size - v.Lanes)}, {v.LastLanes}({remainder}));");
                }
            },
            () =>
            {
                using (w.Block($"for (int i = 0; i < {size}; i++)"))
                {
                    w.WriteLine($"double center = {Unsafe}.Add(ref shift, i);");
                    using (w.Block("for (int r = 0; r < rows; r++)"))
                    {
                        if (gradient)
                        {
                            w.WriteLine($"double g = {Unsafe}.Add(ref firstDy, (r * {size}) + i);");
                            w.WriteLine($"{Unsafe}.Add(ref gradTotals, i) += g;");
                            w.WriteLine($"{Unsafe}.Add(ref gradXTotals, i) += g * ({Unsafe}.Add(ref firstX, (r * {size}) + i) - center);");
                        }
                        else
                        {
                            w.WriteLine($"double d = {Unsafe}.Add(ref first, (r * {size}) + i) - center;");
                            w.WriteLine($"{Unsafe}.Add(ref devTotals, i) += d;");
                            w.WriteLine($"{Unsafe}.Add(ref sqTotals, i) += d * d;");
                        }
                    }
                }
            },
            v =>
            {
                if (aligned || size % v.Lanes != 0)
                {
                    WriteMaskedColumnPosition(w, v, name, parameters, kind, gradient, size);
                }
            });
    }

    /// <summary>
    /// The column positions of a sample that is a multiple of the widest vector, with the loads aligned on the input:
    /// the vectors start at its first aligned element (<c>AlignedStores.Skew</c>, a run-time value) and step by whole
    /// vectors; the elements before it come from the vector at 0 with only its first lanes counted, and the elements after
    /// the last aligned vector from the vector at <c>size - lanes</c> with only its last lanes counted (both in
    /// <c>{name}{bits}Masked</c>, which keeps each method under the JIT's limit of locals for inlining). Each element is
    /// still added over the same rows in the same chains, so the totals do not depend on the address.
    /// </summary>
    private static void WriteAlignedColumnPositions(IndentedWriter w, VectorWidth v, string name, string arguments, ReductionKind kind, bool gradient, int size)
    {
        string input = gradient ? "firstX" : "first";
        string last = Literals.Int(size - v.Lanes);
        w.WriteLine($"nuint skew = global::NormGen.AlignedStores.Skew(ref {input}, {v.Lanes});");
        using (w.Block("if (skew != 0)"))
        {
            w.WriteLine($"{name}{v.Bits}Masked({arguments}, 0, {v.FirstLanes}((int)skew));");
        }

        using (w.Block($"for (nuint i = skew; i < skew + {last}; i += {v.Lanes})"))
        {
            WriteColumnPosition(w, v, kind, gradient, size, "i", mask: null);
        }

        w.WriteLine($"{name}{v.Bits}Masked({arguments}, {last}, {v.LastLanes}({v.Lanes} - (int)skew));");
    }

    /// <summary>
    /// The <c>{name}{bits}Masked</c> helper of the column walks: one vector of columns at <c>at</c>, the lanes of
    /// <c>mask</c> counted (the last, overlapping vector, and the aligned walk's first one). A method of its own, so that
    /// no method holds the partials of two column positions: more than 32 locals, which the JIT does not inline.
    /// </summary>
    private static void WriteMaskedColumnPosition(IndentedWriter w, VectorWidth v, string name, string parameters, ReductionKind kind, bool gradient, int size)
    {
        w.WriteLine();
        WriteKernelHeader(w, $"One vector of columns at <paramref name=\"at\"/> of <see cref=\"{name}{v.Bits}\"/>, the lanes of <paramref name=\"mask\"/> counted.");
        using (w.Block($"private static void {name}{v.Bits}Masked({parameters}, nuint at, {v.Float} mask)"))
        {
            WriteColumnPosition(w, v, kind, gradient, size, "at", "mask");
        }
    }

    /// <summary>One vector of columns at <paramref name="at"/>: both chains over the rows, then the widened flush.</summary>
    private static void WriteColumnPosition(IndentedWriter w, VectorWidth v, ReductionKind kind, bool gradient, int size, string at, string? mask)
    {
        w.WriteLine($"{v.Float} center = {Load(v, "shift", at)};");
        WritePartials(w, v, kind, ColumnChains);
        w.WriteLine("int r = 0;");
        using (w.Block($"for (; r + {ColumnChains - 1} < rows; r += {ColumnChains})"))
        {
            for (int k = 0; k < ColumnChains; k++)
            {
                WriteColumnRow(w, v, kind, gradient, size, k == 0 ? "r" : $"r + {k}", at, mask, k);
            }
        }

        using (w.Block("for (; r < rows; r++)"))
        {
            WriteColumnRow(w, v, kind, gradient, size, "r", at, mask, 0, scoped: false);
        }

        string half = Offset(at, v.Lanes / 2);
        foreach (string a in kind.Accumulators)
        {
            w.WriteLine($"({v.Double} {a}Low, {v.Double} {a}High) = {v.Type}.Widen({Combined(a, ColumnChains)});");
            w.WriteLine(Store(v, $"{Load(v, a + "Totals", at)} + {a}Low", a + "Totals", at));
            w.WriteLine(Store(v, $"{Load(v, a + "Totals", half)} + {a}High", a + "Totals", half));
        }
    }

    private static void WriteColumnRow(IndentedWriter w, VectorWidth v, ReductionKind kind, bool gradient, int size, string row, string at, string? mask, int k, bool scoped = true)
    {
        string offset = row.Contains(" ") ? $"({row}) * {size}" : $"{row} * {size}";
        IDisposable? scope = scoped ? w.Block("") : null;
        if (gradient)
        {
            w.WriteLine($"ref float x = ref {Unsafe}.Add(ref firstX, {offset});");
            w.WriteLine($"ref float dy = ref {Unsafe}.Add(ref firstDy, {offset});");
        }
        else
        {
            w.WriteLine($"ref float p = ref {Unsafe}.Add(ref first, {offset});");
        }

        kind.WriteUpdate(w, v, k, at, mask, tag: Literals.Int(k));
        scope?.Dispose();
    }

    /// <summary>
    /// <c>static void {name}(ref float x, ref float y, float shift, float scale, float offset)</c>:
    /// <c>y = (x - shift) * scale + offset</c> over <paramref name="length"/> contiguous floats.
    /// </summary>
    public static void WritePlaneNormalize(IndentedWriter w, string name, int length, string[]? prefetch = null) => WriteElementwiseKernel(
        w,
        name,
        PlaneNormalizeParameters,
        length,
        $"y = (x - shift) * scale + offset over one plane of {length} elements.",
        "y",
        PlaneNormalizePrologue,
        PlaneNormalizeValue,
        $"{Unsafe}.Add(ref y, i) = ({Unsafe}.Add(ref x, i) - shift) * scale + offset;",
        prefetch: prefetch);

    private const string PlaneNormalizeParameters = "ref float x, ref float y, float shift, float scale, float offset";

    private static string[] PlaneNormalizePrologue(VectorWidth v) =>
        new[] { $"{v.Float} center = {v.Type}.Create(shift);", $"{v.Float} factor = {v.Type}.Create(scale);", $"{v.Float} addend = {v.Type}.Create(offset);" };

    private static string PlaneNormalizeValue(VectorWidth v, string at) => $"{v.Type}.MultiplyAddEstimate({Load(v, "x", at)} - center, factor, addend)";

    /// <summary>
    /// <c>static void {name}(ref float x, ref float dy, ref float dx, float shift, float a, float b, float c)</c>:
    /// <c>dx = dy * a + (x - shift) * b + c</c> over one block of <paramref name="length"/> floats (backward, per-block affine).
    /// </summary>
    public static void WriteGradInputPlane(IndentedWriter w, string name, int length, string[]? prefetch = null) => WriteElementwiseKernel(
        w,
        name,
        GradInputPlaneParameters,
        length,
        $"dx = dy * a + (x - shift) * b + c over one block of {length} elements.",
        "dx",
        GradInputPlanePrologue,
        GradInputPlaneValue,
        $"{Unsafe}.Add(ref dx, i) = ({Unsafe}.Add(ref dy, i) * a) + ((({Unsafe}.Add(ref x, i) - shift) * b) + c);",
        prefetch: prefetch);

    private const string GradInputPlaneParameters = "ref float x, ref float dy, ref float dx, float shift, float a, float b, float c";

    private static string[] GradInputPlanePrologue(VectorWidth v) =>
        new[] { $"{v.Float} center = {v.Type}.Create(shift);", $"{v.Float} va = {v.Type}.Create(a);", $"{v.Float} vb = {v.Type}.Create(b);", $"{v.Float} vc = {v.Type}.Create(c);" };

    private static string GradInputPlaneValue(VectorWidth v, string at) =>
        $"{v.Type}.MultiplyAddEstimate({Load(v, "dy", at)}, va, {v.Type}.MultiplyAddEstimate({Load(v, "x", at)} - center, vb, vc))";

    /// <summary>
    /// Shortest sample, in floats, whose element-wise kernels get a streaming variant over the whole sample (64 cache lines:
    /// its four plainly stored lines at most a sixteenth of it).
    /// </summary>
    public const int StreamingMinLength = 1024;

    /// <summary>
    /// <c>static void {name}(ref float x, ref float dy, ref float dx, ref float weight, ref float gradWeight[, ref float gradBias], float shift, float r, float cw, float b, float c)</c>:
    /// one pass over a row (backward, per-element affine) for the parameter gradients and the input gradient,
    /// <c>gradWeight += dy * ((x - shift) * r + cw)</c> (dy times the normalized input), <c>gradBias += dy</c> and
    /// <c>dx = dy * weight * r + (x - shift) * b + c</c>. Each position reads x and dy before it writes dx, so dx may be
    /// the memory of dy or x; the last, overlapping vector is computed first and stored last, so the gradients that
    /// are read, modified and written are not added twice.
    /// </summary>
    public static void WriteRowBackward(IndentedWriter w, string name, int length, bool hasBias, string[]? prefetch = null)
    {
        string summary = $"gradWeight += dy * x̂{(hasBias ? ", gradBias += dy" : "")} and dx = dy * weight * r + (x - shift) * b + c in one pass over one row of {length} elements{(prefetch is null ? "" : ", prefetching the next row's inputs")}.";
        string bias = hasBias ? ", ref float gradBias" : "";
        string ahead = prefetch is null ? "" : string.Concat(Map(prefetch, other => $", ref float {other}"));
        WriteDispatchedKernel(
            w,
            name,
            $"ref float x, ref float dy, ref float dx, ref float weight, ref float gradWeight{bias}, float shift, float r, float cw, float b, float c{ahead}",
            summary,
            length,
            v =>
            {
                w.WriteLine($"{v.Float} center = {v.Type}.Create(shift);");
                w.WriteLine($"{v.Float} vr = {v.Type}.Create(r);");
                w.WriteLine($"{v.Float} vcw = {v.Type}.Create(cw);");
                w.WriteLine($"{v.Float} vb = {v.Type}.Create(b);");
                w.WriteLine($"{v.Float} vc = {v.Type}.Create(c);");
                int lanes = v.Lanes;
                int vectors = length / lanes;
                int remainder = length % lanes;
                string tail = Literals.Int(length - lanes);
                if (remainder > 0)
                {
                    WriteRowBackwardValues(w, v, tail, "Last", hasBias);
                }

                int loopVectors = vectors / Unroll * Unroll;
                if (loopVectors > 0)
                {
                    using (w.Block($"for (nuint i = 0; i < {loopVectors * lanes}; i += {Unroll * lanes})"))
                    {
                        for (int k = 0; k < Unroll; k++)
                        {
                            string at = Offset("i", k * lanes);
                            WriteRowBackwardValues(w, v, at, Literals.Int(k), hasBias);
                            WriteRowBackwardStores(w, v, at, Literals.Int(k), hasBias);
                            WritePrefetches(w, prefetch, at, k * lanes); // i is a multiple of 16
                        }
                    }
                }

                for (int j = loopVectors; j < vectors; j++)
                {
                    string at = Literals.Int(j * lanes);
                    WriteRowBackwardValues(w, v, at, Literals.Int(j), hasBias);
                    WriteRowBackwardStores(w, v, at, Literals.Int(j), hasBias);
                    WritePrefetches(w, prefetch, at, j * lanes);
                }

                if (remainder > 0)
                {
                    WriteRowBackwardStores(w, v, tail, "Last", hasBias);
                }

                if (length % 16 != 0)
                {
                    WritePrefetches(w, prefetch, Literals.Int(length - 1), 0);
                }
            },
            () =>
            {
                using (w.Block($"for (int i = 0; i < {length}; i++)"))
                {
                    w.WriteLine($"float g = {Unsafe}.Add(ref dy, i); // read before dx is written: dx may be dy");
                    w.WriteLine($"float centered = {Unsafe}.Add(ref x, i) - shift;");
                    w.WriteLine($"{Unsafe}.Add(ref gradWeight, i) += g * ((centered * r) + cw);");
                    if (hasBias)
                    {
                        w.WriteLine($"{Unsafe}.Add(ref gradBias, i) += g;");
                    }

                    w.WriteLine($"{Unsafe}.Add(ref dx, i) = (g * {Unsafe}.Add(ref weight, i) * r) + ((centered * b) + c);");
                }
            });
    }

    /// <summary>The new gradWeight (and gradBias) and dx of the vector at <paramref name="at"/>, in locals named with <paramref name="suffix"/>.</summary>
    private static void WriteRowBackwardValues(IndentedWriter w, VectorWidth v, string at, string suffix, bool hasBias)
    {
        w.WriteLine($"{v.Float} g{suffix} = {Load(v, "dy", at)};");
        w.WriteLine($"{v.Float} centered{suffix} = {Load(v, "x", at)} - center;");
        w.WriteLine($"{v.Float} gradWeight{suffix} = {v.Type}.MultiplyAddEstimate(g{suffix}, {v.Type}.MultiplyAddEstimate(centered{suffix}, vr, vcw), {Load(v, "gradWeight", at)});");
        if (hasBias)
        {
            w.WriteLine($"{v.Float} gradBias{suffix} = {Load(v, "gradBias", at)} + g{suffix};");
        }

        w.WriteLine($"{v.Float} dx{suffix} = {v.Type}.MultiplyAddEstimate(g{suffix} * {Load(v, "weight", at)}, vr, {v.Type}.MultiplyAddEstimate(centered{suffix}, vb, vc));");
    }

    private static void WriteRowBackwardStores(IndentedWriter w, VectorWidth v, string at, string suffix, bool hasBias)
    {
        w.WriteLine(Store(v, $"gradWeight{suffix}", "gradWeight", at));
        if (hasBias)
        {
            w.WriteLine(Store(v, $"gradBias{suffix}", "gradBias", at));
        }

        w.WriteLine(Store(v, $"dx{suffix}", "dx", at));
    }

    /// <summary>
    /// An element-wise kernel over <paramref name="length"/> floats: per width, broadcasts then the vector expression
    /// (last overlapping vector computed first, so in-place and read-modify-write destinations are safe); scalar fallback.
    /// </summary>
    private static void WriteElementwiseKernel(
        IndentedWriter w,
        string name,
        string parameters,
        int length,
        string summary,
        string destination,
        Func<VectorWidth, string[]> prologue,
        Func<VectorWidth, string, string> compute,
        string scalarStatement,
        bool aligned = false,
        string[]? prefetch = null)
    {
        string ahead = prefetch is null ? "" : string.Concat(Map(prefetch, other => $", ref float {other}"));
        WriteDispatchedKernel(
            w,
            name,
            parameters + ahead,
            summary,
            length,
            v =>
            {
                foreach (string line in prologue(v))
                {
                    w.WriteLine(line);
                }

                if (aligned)
                {
                    WriteAlignedElementwise(w, v, length, at => compute(v, at), destination);
                }
                else
                {
                    WriteElementwise(w, v, length, at => compute(v, at), destination, prefetch);
                }
            },
            () =>
            {
                using (w.Block($"for (int i = 0; i < {length}; i++)"))
                {
                    w.WriteLine(scalarStatement);
                }
            });
    }

    /// <summary>
    /// <c>static void {name}(ref float x, ref float y, float shift, float invStd, float center, ref float weight[, ref float bias])</c>:
    /// <c>y = ((x - shift) * invStd + center) * weight + bias</c> element-wise over one row of <paramref name="length"/> floats.
    /// </summary>
    public static void WriteElementwiseAffine(IndentedWriter w, string name, int length, bool hasBias, string[]? prefetch = null)
    {
        string normalized = $"((({Unsafe}.Add(ref x, i) - shift) * invStd) + center)";
        WriteElementwiseKernel(
            w,
            name,
            "ref float x, ref float y, float shift, float invStd, float center, ref float weight" + (hasBias ? ", ref float bias" : ""),
            length,
            $"y = ((x - shift) * invStd + center) * weight{(hasBias ? " + bias" : "")} element-wise over one row of {length} elements.",
            "y",
            ElementwiseAffinePrologue,
            (v, at) => ElementwiseAffineValue(v, at, hasBias),
            hasBias
                ? $"{Unsafe}.Add(ref y, i) = ({normalized} * {Unsafe}.Add(ref weight, i)) + {Unsafe}.Add(ref bias, i);"
                : $"{Unsafe}.Add(ref y, i) = {normalized} * {Unsafe}.Add(ref weight, i);",
            prefetch: prefetch);
    }

    private static string[] ElementwiseAffinePrologue(VectorWidth v) =>
        new[] { $"{v.Float} shiftVector = {v.Type}.Create(shift);", $"{v.Float} factor = {v.Type}.Create(invStd);", $"{v.Float} addend = {v.Type}.Create(center);" };

    private static string ElementwiseAffineValue(VectorWidth v, string at, bool hasBias)
    {
        string row = $"{v.Type}.MultiplyAddEstimate({Load(v, "x", at)} - shiftVector, factor, addend)";
        return hasBias
            ? $"{v.Type}.MultiplyAddEstimate({row}, {Load(v, "weight", at)}, {Load(v, "bias", at)})"
            : $"({row} * {Load(v, "weight", at)})";
    }

    /// <summary>
    /// <c>static void {name}(ref float x, ref float y, ref float shift, ref float scale, ref float offset)</c>:
    /// element-wise <c>y = (x - shift) * scale + offset</c> over one sample of <paramref name="size"/> floats.
    /// </summary>
    public static void WriteColumnNormalize(IndentedWriter w, string name, int size, bool aligned) => WriteElementwiseKernel(
        w,
        name,
        "ref float x, ref float y, ref float shift, ref float scale, ref float offset",
        size,
        $"y = (x - shift) * scale + offset element-wise over one sample of {size} elements{(aligned ? AlignedSummary("y") : ".")}",
        "y",
        v => System.Array.Empty<string>(),
        (v, at) => ColumnNormalizeValue(v, at, c => Load(v, c, at)),
        $"{Unsafe}.Add(ref y, i) = ({Unsafe}.Add(ref x, i) - {Unsafe}.Add(ref shift, i)) * {Unsafe}.Add(ref scale, i) + {Unsafe}.Add(ref offset, i);",
        aligned);

    /// <summary>
    /// <c>static void {name}(ref float x, ref float dy, ref float dx, ref float shift, ref float a, ref float b, ref float c)</c>:
    /// <c>dx = dy * a + (x - shift) * b + c</c> element-wise with per-element coefficients over one sample.
    /// </summary>
    public static void WriteGradInputColumns(IndentedWriter w, string name, int size, bool aligned) => WriteElementwiseKernel(
        w,
        name,
        "ref float x, ref float dy, ref float dx, ref float shift, ref float a, ref float b, ref float c",
        size,
        $"dx = dy * a + (x - shift) * b + c element-wise over one sample of {size} elements{(aligned ? AlignedSummary("dx") : ".")}",
        "dx",
        v => System.Array.Empty<string>(),
        (v, at) => ColumnGradInputValue(v, at, c => Load(v, c, at)),
        $"{Unsafe}.Add(ref dx, i) = ({Unsafe}.Add(ref dy, i) * {Unsafe}.Add(ref a, i)) + ((({Unsafe}.Add(ref x, i) - {Unsafe}.Add(ref shift, i)) * {Unsafe}.Add(ref b, i)) + {Unsafe}.Add(ref c, i));",
        aligned);

    /// <summary>
    /// <c>static void {name}(ref float x, ref float y, ref float shift, ref float scale, ref float offset, int rows)</c>:
    /// <c>y = (x - shift) * scale + offset</c> element-wise over <c>rows</c> consecutive samples of <paramref name="size"/>
    /// floats, the per-element coefficients of a vector of columns held in registers across the rows.
    /// </summary>
    public static void WriteColumnRowsNormalize(IndentedWriter w, string name, int size) => WriteColumnRowsKernel(
        w,
        name,
        size,
        "ref float x, ref float y",
        "y",
        new[] { "shift", "scale", "offset" },
        (v, at) => $"{v.Type}.MultiplyAddEstimate({Load(v, "x", at)} - shiftColumn, scaleColumn, offsetColumn)",
        $"{Unsafe}.Add(ref y, at) = ({Unsafe}.Add(ref x, at) - {Unsafe}.Add(ref shift, i)) * {Unsafe}.Add(ref scale, i) + {Unsafe}.Add(ref offset, i);",
        $"y = (x - shift) * scale + offset element-wise over up to {ElementwiseRows} samples of {size} elements (coefficients per element).");

    /// <summary>
    /// <c>static void {name}(ref float x, ref float dy, ref float dx, ref float shift, ref float a, ref float b, ref float c, int rows)</c>:
    /// <c>dx = dy * a + (x - shift) * b + c</c> element-wise over <c>rows</c> consecutive samples, coefficients held in registers.
    /// </summary>
    public static void WriteColumnRowsGradInput(IndentedWriter w, string name, int size) => WriteColumnRowsKernel(
        w,
        name,
        size,
        "ref float x, ref float dy, ref float dx",
        "dx",
        new[] { "shift", "a", "b", "c" },
        (v, at) => $"{v.Type}.MultiplyAddEstimate({Load(v, "dy", at)}, aColumn, {v.Type}.MultiplyAddEstimate({Load(v, "x", at)} - shiftColumn, bColumn, cColumn))",
        $"{Unsafe}.Add(ref dx, at) = ({Unsafe}.Add(ref dy, at) * {Unsafe}.Add(ref a, i)) + ((({Unsafe}.Add(ref x, at) - {Unsafe}.Add(ref shift, i)) * {Unsafe}.Add(ref b, i)) + {Unsafe}.Add(ref c, i));",
        $"dx = dy * a + (x - shift) * b + c element-wise over up to {ElementwiseRows} samples of {size} elements (coefficients per element).");

    /// <summary>
    /// <c>static void {name}({tensors}, ref float {coefficient}...)</c>: an element-wise pass over one sample of
    /// <paramref name="slots"/> planes of <paramref name="planeLength"/> floats with per-channel coefficients, for planes
    /// shorter than a few vectors. The channel pattern of V-float vectors repeats every period (V / gcd(L, V) channels,
    /// L / gcd(L, V) vectors): per period the coefficients of its channels are loaded as one vector each, and every
    /// vector of the period permutes its lanes' coefficients out of them with a compile-time index table
    /// (<paramref name="indexTable"/> for Vector512, <c>{indexTable}256</c> for Vector256, see
    /// <see cref="WritePermuteIndexTable"/>). It has a Vector512 and a Vector256 body (one-source permutes: <c>vpermps</c>
    /// through <c>Vector512.ShuffleNative</c> and <c>NormGen.SimdMath.Permute</c>); callers use it when
    /// <c>SimdMath.Use512</c> or <c>SimdMath.Use256</c> and per-element coefficient arrays otherwise (Vector128 and
    /// scalar). The coefficient arrays must hold 16 floats past the last channel.
    /// </summary>
    /// <param name="streaming">Whether to write <see cref="WritePermutedStreaming"/>'s variant <c>{name}Streaming</c> after it.</param>
    /// <param name="streams256">Whether the streaming variant has a Vector256 body too (else it is Vector512 only).</param>
    public static void WritePermutedElementwise(IndentedWriter w, string name, int planeLength, int slots, string tensors, string destination, string[] coefficients, Func<VectorWidth, string, string> value, string indexTable, bool streaming, bool streams256)
    {
        WritePermutedPlain(w, name, planeLength, slots, tensors, destination, coefficients, value, indexTable);
        if (streaming)
        {
            w.WriteLine();
            WritePermutedStreaming(w, name, planeLength, slots, tensors, destination, coefficients, value, indexTable, streams256);
        }
    }

    /// <summary>
    /// <c>{name}Streaming</c> for planes of whole vectors (a multiple of 16 floats, so each vector lies in one channel):
    /// <see cref="WritePermutedStreaming"/>'s streaming kernel over one sample with the period of a single channel, whose
    /// coefficients are broadcast once per plane instead of permuted per vector (no index table). One call per sample
    /// replaces the per-plane calls when the stores stream: whole cache lines formed across plane boundaries, where the
    /// per-plane streaming kernels must store both partial lines of every plane plainly.
    /// </summary>
    public static void WriteSampleStreaming(IndentedWriter w, string name, int planeLength, int slots, string tensors, string destination, string[] coefficients, Func<VectorWidth, string, string> value, bool streams256)
    {
        if (planeLength % 16 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(planeLength), planeLength, "WriteSampleStreaming takes planes of whole 16-float vectors.");
        }

        WritePermutedStreaming(w, name, planeLength, slots, tensors, destination, coefficients, value, indexTable: null, streams256);
    }

    private static void WritePermutedPlain(IndentedWriter w, string name, int planeLength, int slots, string tensors, string destination, string[] coefficients, Func<VectorWidth, string, string> value, string indexTable)
    {
        string coefficientParameters = string.Join(", ", Map(coefficients, c => "ref float " + c));
        VectorWidth wide = VectorWidth.All[0], narrow = VectorWidth.All[1];
        (int Channels, int Vectors) Period(VectorWidth v) => (v.Lanes / Gcd(planeLength, v.Lanes), planeLength / Gcd(planeLength, v.Lanes));
        bool unrolled = UnrollsPeriods(planeLength, wide.Lanes, slots / Period(wide).Channels, minPeriods: 1)
            && UnrollsPeriods(planeLength, narrow.Lanes, slots / Period(narrow).Channels, minPeriods: 1);
        string summary = $"Element-wise over one sample with per-channel coefficients permuted into each vector (per period: {Period(wide).Channels} channels in {Period(wide).Vectors} vectors of Vector512, {Period(narrow).Channels} in {Period(narrow).Vectors} of Vector256); Vector512 and Vector256 only.";
        if (unrolled)
        {
            // Each period written out vector by vector: too large to inline, and a call per sample costs nothing measurable.
            w.WriteLine($"/// <summary>{summary} Each period is written out vector by vector (coefficients broadcast within a channel).</summary>");
            w.WriteLine("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]");
        }
        else
        {
            WriteKernelHeader(w, summary);
        }

        using (w.Block($"private static void {name}({tensors}, {coefficientParameters})"))
        {
            void Body(VectorWidth v, string table)
            {
                (int channels, int vectors) = Period(v);
                bool permutes = !unrolled || planeLength % v.Lanes != 0; // an unrolled period of whole vectors only broadcasts
                if (permutes)
                {
                    w.WriteLine($"ref int index = ref global::System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference({table});");
                }

                using (w.Block($"for (int period = 0; period < {slots / channels}; period++)"))
                {
                    if (permutes)
                    {
                        WritePeriodChannels(w, v, coefficients, false, $"(nuint)(period * {channels})");
                    }

                    w.WriteLine($"nuint first = (nuint)(period * {channels * planeLength});");
                    if (unrolled)
                    {
                        WriteUnrolledPeriod(w, v, planeLength, vectors, destination, coefficients, value, streaming: false);
                        return;
                    }

                    using (w.Block($"for (nuint k = 0; k < {vectors}; k++)"))
                    {
                        WritePermutedCoefficients(w, v, coefficients, false, $"k * {v.Lanes}", declare: true);
                        w.WriteLine($"nuint at = first + (k * {v.Lanes});");
                        w.WriteLine($"{v.Type}.StoreUnsafe({value(v, "at")}, ref {destination}, at);");
                    }
                }
            }

            WriteWideThenNarrow(w, v => Body(v, v.Bits == 512 ? indexTable : indexTable + "256"));
        }
    }

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
    /// <c>{name}Streaming</c>: <see cref="WritePermutedElementwise"/>'s kernel <c>{name}</c> with streaming stores, for
    /// samples of at least <see cref="StreamingMinLength"/> floats (a sample is a whole number of 16-float vectors, so
    /// every sample starts at the same position within a cache line). The vectors are computed where they are in the
    /// sample, as in <c>{name}</c>, and each whole cache line of the output is formed from two neighbours
    /// (<c>NormGen.SimdMath.Join</c>, one two-source permute) and stored with <c>NormGen.SimdMath.StoreStreaming</c>, four at
    /// a time where a period allows. The first two and the last two vectors are computed before any store and written last
    /// with plain stores, as the first and last whole lines and the partial lines at both ends (shared with the neighbouring
    /// samples), so no line gets both kinds of store. Each stored line is formed only after both of its vectors are loaded,
    /// and no later load reaches it: safe in place. The bits are those of <c>{name}</c>.
    /// </summary>
    /// <param name="indexTable">The permute index table; null for planes of whole vectors (<see cref="WriteSampleStreaming"/>).</param>
    private static void WritePermutedStreaming(IndentedWriter w, string name, int planeLength, int slots, string tensors, string destination, string[] coefficients, Func<VectorWidth, string, string> value, string? indexTable, bool streams256)
    {
        bool broadcast = indexTable is null;
        string coefficientParameters = string.Join(", ", Map(coefficients, c => "ref float " + c));
        // A call per sample of at least 1024 floats, so not AggressiveInlining: its locals (the two end vectors kept for the
        // plain stores, the joined neighbours) are more than the JIT inlines, and the call costs nothing measurable here.
        string widths = streams256 ? "Vector512: whole cache lines, Vector256: halves of lines" : "Vector512 only: whole cache lines";
        w.WriteLine($"/// <summary><see cref=\"{name}\"/> with streaming stores for the sample's lines but the first and the last ({widths}; one call per sample).</summary>");
        w.WriteLine("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]");
        using (w.Block($"private static void {name}Streaming({tensors}, {coefficientParameters})"))
        {
            if (!streams256)
            {
                WriteStreamingBody(w, VectorWidth.All[0], planeLength, slots, destination, coefficients, value, indexTable);
                return;
            }

            WriteWideThenNarrow(w, v => WriteStreamingBody(w, v, planeLength, slots, destination, coefficients, value, broadcast || v.Bits == 512 ? indexTable : indexTable + "256"));
        }
    }

    /// <summary>
    /// One width's body of <see cref="WritePermutedStreaming"/>. Its "lines" are whole vectors at aligned addresses: 64-byte
    /// cache lines on Vector512, 32-byte halves of lines on Vector256 (so a line at either end of a sample may get one
    /// streamed and one plain half: two lines per sample, no difference in the bits).
    /// </summary>
    private static void WriteStreamingBody(IndentedWriter w, VectorWidth v, int planeLength, int slots, string destination, string[] coefficients, Func<VectorWidth, string, string> value, string? indexTable)
    {
        bool broadcast = indexTable is null;
        int lanes = v.Lanes;
        int g = Gcd(planeLength, lanes);
        int channels = lanes / g;
        int vectors = planeLength / g;
        int periods = slots / channels;
        int sampleVectors = periods * vectors;
        string Join(string lower, string upper) => $"global::NormGen.SimdMath.Join({lower}, {upper}, join)";
        if (!broadcast)
        {
            w.WriteLine($"ref int index = ref global::System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference({indexTable});");
        }

        w.WriteLine($"nuint skew = global::NormGen.AlignedStores.Skew(ref {destination}, {Literals.Int(lanes)}); // the first aligned {(v.Bits == 512 ? "cache line" : "half line")}");
        w.WriteLine($"{v.Type}<int> join = global::NormGen.SimdMath.JoinIndices{(v.Bits == 512 ? "" : "256")}(skew);");
        w.WriteLine();
        w.WriteLine("// The two first and the two last vectors of the sample, stored last.");
        w.WriteLine($"{v.Float} head, second, penultimate, last;");
        void End(string name, int vector)
        {
            using (w.Block(""))
            {
                int period = vector / vectors;
                WritePeriodChannels(w, v, coefficients, broadcast, Literals.Int(period * channels));
                WritePermutedCoefficients(w, v, coefficients, broadcast, Literals.Int((vector % vectors) * lanes), declare: true);
                w.WriteLine($"{name} = {value(v, $"(nuint){Literals.Int(vector * lanes)}")};");
            }
        }

        End("head", 0);
        End("second", 1);
        End("penultimate", sampleVectors - 2);
        End("last", sampleVectors - 1);
        w.WriteLine();
        w.WriteLine($"// Line j (from element skew + {Literals.Int(lanes)}j) joins vectors j and j + 1: stored once vector j + 1 is computed.");
        w.WriteLine($"{v.Float} previous = second;");
        bool unrolled = !broadcast && UnrollsPeriods(planeLength, lanes, periods, minPeriods: 3);
        using (w.Block($"for (int period = 0; period < {Literals.Int(periods)}; period++)"))
        {
            WritePeriodChannels(w, v, coefficients, broadcast, $"(nuint)(period * {channels})");
            w.WriteLine($"nuint first = (nuint)(period * {Literals.Int(channels * planeLength)});");
            if (unrolled)
            {
                using (w.Block($"if (period != 0 && period != {Literals.Int(periods - 1)})"))
                {
                    WriteUnrolledPeriod(w, v, planeLength, vectors, destination, coefficients, value, streaming: true);
                    w.WriteLine("continue;");
                }

                w.WriteLine();
                w.WriteLine("// The first and the last period: the vectors the ends above did not compute.");
            }

            w.WriteLine($"// This period's share of the sample's vectors 2 to {Literals.Int(sampleVectors - 2)} (0, 1 and {Literals.Int(sampleVectors - 1)} were computed above).");
            w.WriteLine($"nuint k = (nuint)global::System.Math.Clamp(2 - (period * {Literals.Int(vectors)}), 0, {Literals.Int(vectors)});");
            w.WriteLine($"nuint end = (nuint)global::System.Math.Clamp({Literals.Int(sampleVectors - 1)} - (period * {Literals.Int(vectors)}), 0, {Literals.Int(vectors)});");
            using (w.Block($"for (; k + {Unroll} <= end; k += {Unroll})"))
            {
                for (int u = 0; u < Unroll; u++)
                {
                    WritePermutedCoefficients(w, v, coefficients, broadcast, u == 0 ? $"k * {lanes}" : $"(k + {u}) * {lanes}", declare: u == 0);
                    w.WriteLine($"{v.Float} value{u} = {value(v, u == 0 ? $"first + (k * {lanes})" : $"first + ((k + {u}) * {lanes})")};");
                }

                // SimdMath.StoreStreaming has a four-vector overload (one pin per four stores), matching Unroll = 4.
                w.WriteLine($"global::NormGen.SimdMath.StoreStreaming({Join("previous", "value0")}, {Join("value0", "value1")}, {Join("value1", "value2")}, {Join("value2", "value3")}, ref {destination}, first + (k * {lanes}) - {lanes} + skew);");
                w.WriteLine("previous = value3;");
            }

            using (w.Block("for (; k < end; k++)"))
            {
                WritePermutedCoefficients(w, v, coefficients, broadcast, $"k * {lanes}", declare: true);
                w.WriteLine($"{v.Float} value = {value(v, $"first + (k * {lanes})")};");
                w.WriteLine($"global::NormGen.SimdMath.StoreStreaming({Join("previous", "value")}, ref {destination}, first + (k * {lanes}) - {lanes} + skew);");
                w.WriteLine("previous = value;");
            }
        }

        w.WriteLine();
        w.WriteLine($"{v.Type}.StoreUnsafe(head, ref {destination}, 0);");
        w.WriteLine($"{v.Type}.StoreUnsafe({Join("head", "second")}, ref {destination}, skew);");
        w.WriteLine($"{v.Type}.StoreUnsafe({Join("penultimate", "last")}, ref {destination}, {Literals.Int((sampleVectors - 2) * lanes)} + skew);");
        w.WriteLine($"{v.Type}.StoreUnsafe(last, ref {destination}, {Literals.Int((sampleVectors - 1) * lanes)});");
    }

    /// <summary>Most vectors per period that <see cref="WriteUnrolledPeriod"/> writes out one by one.</summary>
    private const int MaxUnrolledPeriodVectors = 64;

    /// <summary>
    /// Whether a permuted kernel writes its periods out vector by vector (<see cref="WriteUnrolledPeriod"/>): planes of at
    /// least one vector (so a vector spans at most two channels), periods of at most
    /// <see cref="MaxUnrolledPeriodVectors"/> vectors, and at least <paramref name="minPeriods"/> periods (3 for the
    /// streaming kernels, whose first and last periods keep the loop).
    /// </summary>
    private static bool UnrollsPeriods(int planeLength, int lanes, int periods, int minPeriods) =>
        planeLength >= lanes && planeLength / Gcd(planeLength, lanes) <= MaxUnrolledPeriodVectors && periods >= minPeriods;

    /// <summary>
    /// One whole period of a permuted kernel, its vectors written out at their compile-time places: a vector within one
    /// channel takes that channel's coefficients broadcast (loaded again only when the channel changes), a vector across two
    /// channels permutes them out of the period's channel vectors as the loop does. Most vectors of a period lie within one
    /// channel (46 of 49 for planes of 196 floats on Vector512), so most permutes go (the input gradient of BatchNorm2d
    /// (64, 256, 14, 14) measured 1.61x → 1.45x a copy). With <paramref name="streaming"/>, each line is joined from two
    /// neighbours and streamed as in <see cref="WriteStreamingBody"/> (<c>previous</c>, <c>join</c>, <c>skew</c> in scope);
    /// else each vector is stored where it was computed. The same bits as the loop: only where the coefficients come from
    /// changes, not the arithmetic.
    /// </summary>
    private static void WriteUnrolledPeriod(IndentedWriter w, VectorWidth v, int planeLength, int vectors, string destination, string[] coefficients, Func<VectorWidth, string, string> value, bool streaming)
    {
        int lanes = v.Lanes;
        string Join(string lower, string upper) => $"global::NormGen.SimdMath.Join({lower}, {upper}, join)";
        string LineAt(int vector) => vector == 0 ? $"first - {Literals.Int(lanes)} + skew" : $"first + {Literals.Int((vector - 1) * lanes)} + skew"; // the line joining vectors vector - 1 and vector
        w.WriteLine($"nuint channel = (nuint)(period * {Literals.Int(vectors * lanes / planeLength)});");
        if (planeLength % lanes != 0)
        {
            w.WriteLine($"{v.Type}<int> lanes;"); // for the vectors across two channels
        }

        w.WriteLine($"{v.Float} {string.Join(", ", Map(coefficients, c => c + "Vector"))};");
        int current = -1;
        for (int group = 0; group < vectors; group += Unroll)
        {
            int count = Math.Min(Unroll, vectors - group);
            using (w.Block(""))
            {
                for (int u = 0; u < count; u++)
                {
                    int q = group + u, start = q * lanes;
                    int low = start / planeLength, high = (start + lanes - 1) / planeLength;
                    if (low == high && low != current)
                    {
                        foreach (string c in coefficients)
                        {
                            w.WriteLine($"{c}Vector = {v.Type}.Create({UnsafeType}.Add(ref {c}, channel + {Literals.Int(low)}));");
                        }

                        current = low;
                    }
                    else if (low != high)
                    {
                        WritePermutedCoefficients(w, v, coefficients, broadcast: false, Literals.Int(start), declare: false);
                        current = -1;
                    }

                    w.WriteLine($"{v.Float} value{u} = {value(v, $"first + {Literals.Int(start)}")};");
                    if (!streaming)
                    {
                        w.WriteLine($"{v.Type}.StoreUnsafe(value{u}, ref {destination}, first + {Literals.Int(start)});");
                    }
                }

                if (!streaming)
                {
                    continue;
                }

                if (count == Unroll)
                {
                    w.WriteLine($"global::NormGen.SimdMath.StoreStreaming({Join("previous", "value0")}, {Join("value0", "value1")}, {Join("value1", "value2")}, {Join("value2", "value3")}, ref {destination}, {LineAt(group)});");
                    w.WriteLine("previous = value3;");
                }
                else
                {
                    for (int u = 0; u < count; u++)
                    {
                        w.WriteLine($"global::NormGen.SimdMath.StoreStreaming({Join(u == 0 ? "previous" : "value" + (u - 1), "value" + u)}, ref {destination}, {LineAt(group + u)});");
                    }

                    w.WriteLine($"previous = value{count - 1};");
                }
            }
        }
    }

    /// <summary>
    /// Loads the per-channel coefficient vectors of the period whose first channel is <paramref name="channel"/>
    /// (<c>{c}Channels</c>); with <paramref name="broadcast"/> (a period of one channel) the coefficients of that channel in
    /// every lane instead (<c>{c}Vector</c>, which <see cref="WritePermutedCoefficients"/> then leaves alone).
    /// </summary>
    private static void WritePeriodChannels(IndentedWriter w, VectorWidth v, string[] coefficients, bool broadcast, string channel)
    {
        foreach (string c in coefficients)
        {
            w.WriteLine(broadcast
                ? $"{v.Float} {c}Vector = {v.Type}.Create({UnsafeType}.Add(ref {c}, {channel}));"
                : $"{v.Float} {c}Channels = {v.Type}.LoadUnsafe(ref {c}, {channel});");
        }
    }

    /// <summary>
    /// Permutes each coefficient's channels into the lanes of the vector whose index row starts at <paramref name="row"/>
    /// (<c>lanes</c>, <c>{c}Vector</c>; declared, or assigned again): <c>Vector512.ShuffleNative</c> (<c>vpermps</c>), or
    /// <c>NormGen.SimdMath.Permute</c> for Vector256 (<c>vpermps</c> on AVX2).
    /// </summary>
    private static void WritePermutedCoefficients(IndentedWriter w, VectorWidth v, string[] coefficients, bool broadcast, string row, bool declare)
    {
        if (broadcast)
        {
            return;
        }

        w.WriteLine($"{(declare ? v.Type + "<int> " : "")}lanes = {v.Type}.LoadUnsafe(ref index, {row});");
        foreach (string c in coefficients)
        {
            string permuted = v.Bits == 512 ? $"{v.Type}.ShuffleNative({c}Channels, lanes)" : $"global::NormGen.SimdMath.Permute({c}Channels, lanes)";
            w.WriteLine($"{(declare ? v.Float + " " : "")}{c}Vector = {permuted};");
        }
    }

    /// <summary>
    /// <c>static readonly int[] {name}</c>: for each vector of <paramref name="lanes"/> floats of one period, the channel
    /// (within the period) of each of its lanes, for <see cref="WritePermutedElementwise"/>. (A static array rather than a
    /// span property over constants: that allocates per call in Debug builds.)
    /// </summary>
    public static void WritePermuteIndexTable(IndentedWriter w, string name, int planeLength, int lanes)
    {
        int g = Gcd(planeLength, lanes);
        int vectors = planeLength / g;
        w.WriteLine($"/// <summary>Per vector of a period ({vectors} vectors of {lanes} lanes), the channel within the period of each lane.</summary>");
        w.WriteLine($"private static readonly int[] {name} =");
        w.WriteLine("[");
        w.Indent();
        for (int k = 0; k < vectors; k++)
        {
            var row = new string[lanes];
            for (int j = 0; j < lanes; j++)
            {
                row[j] = Literals.Int(((k * lanes) + j) / planeLength);
            }

            w.WriteLine(string.Join(", ", row) + ",");
        }

        w.Unindent();
        w.WriteLine("];");
    }

    private static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);

    /// <summary>
    /// An element-wise kernel over <c>rows</c> samples of <paramref name="size"/> floats with per-element coefficients: for
    /// each vector of columns the coefficients are loaded once and applied down the rows. The last, overlapping vector of
    /// columns stores only its new lanes (blended with the destination), so in-place calls are safe.
    /// </summary>
    private static void WriteColumnRowsKernel(
        IndentedWriter w,
        string name,
        int size,
        string tensors,
        string destination,
        string[] coefficients,
        Func<VectorWidth, string, string> compute,
        string scalarStatement,
        string summary)
    {
        string coefficientParameters = string.Join(", ", Map(coefficients, c => "ref float " + c));
        WriteDispatchedKernel(
            w,
            name,
            $"{tensors}, {coefficientParameters}, int rows",
            summary,
            size,
            v =>
            {
                int full = size / v.Lanes * v.Lanes;
                int remainder = size % v.Lanes;
                using (w.Block($"for (nuint i = 0; i < {full}; i += {v.Lanes})"))
                {
                    WriteColumnRowsPosition(w, v, size, destination, coefficients, compute, "i", mask: null);
                }

                if (remainder > 0)
                {
                    using (w.Block(""))
                    {
                        w.WriteLine($"{v.Float} tail = {v.LastLanes}({remainder});");
                        w.WriteLine($"const nuint i = {size - v.Lanes};");
                        WriteColumnRowsPosition(w, v, size, destination, coefficients, compute, "i", mask: "tail");
                    }
                }
            },
            () =>
            {
                using (w.Block("for (int r = 0; r < rows; r++)"))
                using (w.Block($"for (int i = 0; i < {size}; i++)"))
                {
                    w.WriteLine($"int at = (r * {size}) + i;");
                    w.WriteLine(scalarStatement);
                }
            });
    }

    private static void WriteColumnRowsPosition(IndentedWriter w, VectorWidth v, int size, string destination, string[] coefficients, Func<VectorWidth, string, string> compute, string i, string? mask)
    {
        foreach (string c in coefficients)
        {
            w.WriteLine($"{v.Float} {c}Column = {Load(v, c, i)};");
        }

        using (w.Block("for (int r = 0; r < rows; r++)"))
        {
            w.WriteLine($"nuint at = {i} + (nuint)(r * {size});");
            string value = compute(v, "at");
            w.WriteLine(mask is null
                ? Store(v, value, destination, "at")
                : Store(v, $"{v.Type}.ConditionalSelect({mask}, {value}, {Load(v, destination, "at")})", destination, "at"));
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

    /// <summary>Element-wise kernel body: last overlapping vector computed first, unrolled main loop, remainder, last stored.</summary>
    private static void WriteElementwise(IndentedWriter w, VectorWidth v, int length, Func<string, string> compute, string destination = "y", string[]? prefetch = null)
    {
        int lanes = v.Lanes;
        int vectors = length / lanes;
        int remainder = length % lanes;
        if (remainder > 0)
        {
            w.WriteLine($"{v.Float} last = {compute(Literals.Int(length - lanes))};");
        }

        int loopVectors = vectors / Unroll * Unroll;
        if (loopVectors == Unroll)
        {
            loopVectors = 0; // a single iteration: written out below, without a loop
        }
        else if (loopVectors > 0)
        {
            using (w.Block($"for (nuint i = 0; i < {loopVectors * lanes}; i += {Unroll * lanes})"))
            {
                for (int k = 0; k < Unroll; k++)
                {
                    string at = Offset("i", k * lanes);
                    w.WriteLine(Store(v, compute(at), destination, at));
                    WritePrefetches(w, prefetch, at, k * lanes); // i is a multiple of 16
                }
            }
        }

        for (int j = loopVectors; j < vectors; j++)
        {
            string at = Literals.Int(j * lanes);
            w.WriteLine(Store(v, compute(at), destination, at));
            WritePrefetches(w, prefetch, at, j * lanes);
        }

        if (remainder > 0)
        {
            w.WriteLine(Store(v, "last", destination, Literals.Int(length - lanes)));
        }

        if (length % 16 != 0)
        {
            WritePrefetches(w, prefetch, Literals.Int(length - 1), 0); // the line of the last element, past the last multiple of 16
        }
    }

    /// <summary>
    /// The body of an element-wise kernel whose stores land on vector-aligned addresses of the destination, for lengths
    /// that are a multiple of the widest vector: the first and the last vector (unaligned) are computed before any store
    /// (safe in place) and stored last; between them, vectors start at the first aligned element (<c>AlignedStores.Skew</c>,
    /// a run-time value) and step by whole vectors up to the last one.
    /// </summary>
    private static void WriteAlignedElementwise(IndentedWriter w, VectorWidth v, int length, Func<string, string> compute, string destination)
    {
        int lanes = v.Lanes;
        string last = Literals.Int(length - lanes);
        w.WriteLine($"{v.Float} head = {compute("0")};");
        w.WriteLine($"{v.Float} last = {compute(last)};");
        w.WriteLine($"nuint i = global::NormGen.AlignedStores.Skew(ref {destination}, {lanes});");
        w.WriteLine($"nuint end = i + {last};");
        using (w.Block($"for (; i + {Unroll * lanes} <= end; i += {Unroll * lanes})"))
        {
            for (int k = 0; k < Unroll; k++)
            {
                string at = Offset("i", k * lanes);
                w.WriteLine(Store(v, compute(at), destination, at));
            }
        }

        using (w.Block($"for (; i < end; i += {lanes})"))
        {
            w.WriteLine(Store(v, compute("i"), destination, "i"));
        }

        w.WriteLine(Store(v, "head", destination, "0"));
        w.WriteLine(Store(v, "last", destination, last));
    }

    private static string AlignedSummary(string destination) =>
        $", storing at vector-aligned addresses of <paramref name=\"{destination}\"/> between its first and last vector.";

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
