using System;
using NormGen.Generator.Helpers;

namespace NormGen.Generator.Emit;

/// <summary>
/// The column kernels of BatchNorm over samples of short planes (columns and small planes): reductions that walk
/// several samples column by column into per-element totals, and the element-wise kernels over whole samples with per-
/// element coefficients.
/// </summary>
internal static partial class KernelEmitter
{
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
}
