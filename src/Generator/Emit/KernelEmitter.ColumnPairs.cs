using System;
using NormGen.Generator.Helpers;

namespace NormGen.Generator.Emit;

/// <summary>
/// The element-wise kernels of BatchNorm over (N, C) that handle two consecutive samples per call: each vector of the
/// per-element coefficients is loaded once and serves both samples, which halves the coefficient loads of a pass whose
/// tensor stays in L2, where the loads, not the memory, bound it. Only for samples that are a multiple of 16 floats,
/// whose two rows then share their alignment, so the stores of both are at vector-aligned addresses (see
/// <c>AlignedStores</c>). Each element gets the same operations as in the one-sample kernels, so the output bits are
/// theirs.
/// </summary>
internal static partial class KernelEmitter
{
    /// <summary>
    /// <c>static void {name}(ref float x, ref float y, ref float shift, ref float scale, ref float offset)</c>:
    /// <c>y = (x - shift) * scale + offset</c> over the two samples of <paramref name="size"/> floats at <c>x</c> and
    /// <c>x + size</c>.
    /// </summary>
    public static void WriteColumnPairNormalize(IndentedWriter w, string name, int size) => WriteColumnPairKernel(
        w,
        name,
        "ref float x, ref float y",
        size,
        $"y = (x - shift) * scale + offset element-wise over two consecutive samples of {size} elements, each vector of coefficients loaded once for both{AlignedSummary("y")}",
        "y",
        new[] { "shift", "scale", "offset" },
        ColumnNormalizeValue,
        $"{Unsafe}.Add(ref y, at) = ({Unsafe}.Add(ref x, at) - {Unsafe}.Add(ref shift, i)) * {Unsafe}.Add(ref scale, i) + {Unsafe}.Add(ref offset, i);");

    /// <summary>
    /// <c>static void {name}(ref float x, ref float dy, ref float dx, ref float shift, ref float a, ref float b, ref float c)</c>:
    /// <c>dx = dy * a + (x - shift) * b + c</c> over the two samples of <paramref name="size"/> floats at each pointer and
    /// <paramref name="size"/> floats after it.
    /// </summary>
    public static void WriteColumnPairGradInput(IndentedWriter w, string name, int size) => WriteColumnPairKernel(
        w,
        name,
        "ref float x, ref float dy, ref float dx",
        size,
        $"dx = dy * a + (x - shift) * b + c element-wise over two consecutive samples of {size} elements, each vector of coefficients loaded once for both{AlignedSummary("dx")}",
        "dx",
        new[] { "shift", "a", "b", "c" },
        ColumnGradInputValue,
        $"{Unsafe}.Add(ref dx, at) = ({Unsafe}.Add(ref dy, at) * {Unsafe}.Add(ref a, i)) + ((({Unsafe}.Add(ref x, at) - {Unsafe}.Add(ref shift, i)) * {Unsafe}.Add(ref b, i)) + {Unsafe}.Add(ref c, i));");

    /// <summary>
    /// <c>(x - shift) * scale + offset</c> of the tensor elements at <paramref name="at"/>, the coefficients read through
    /// <paramref name="coefficient"/> (loads at the same index, or vectors loaded once for two samples): the one
    /// expression of the one-sample and the two-sample normalization kernels, so both compute the same bits.
    /// </summary>
    private static string ColumnNormalizeValue(VectorWidth v, string at, Func<string, string> coefficient) =>
        $"{v.Type}.MultiplyAddEstimate({Load(v, "x", at)} - {coefficient("shift")}, {coefficient("scale")}, {coefficient("offset")})";

    /// <summary><c>dy * a + (x - shift) * b + c</c>, as <see cref="ColumnNormalizeValue"/> for the input-gradient kernels.</summary>
    private static string ColumnGradInputValue(VectorWidth v, string at, Func<string, string> coefficient) =>
        $"{v.Type}.MultiplyAddEstimate({Load(v, "dy", at)}, {coefficient("a")}, {v.Type}.MultiplyAddEstimate({Load(v, "x", at)} - {coefficient("shift")}, {coefficient("b")}, {coefficient("c")}))";

    /// <summary>
    /// A two-sample element-wise kernel. Like the one-sample aligned kernels (<see cref="WriteAlignedElementwise"/>), the
    /// first and last vector of each sample are computed before any store (safe in place) and stored last, and the
    /// vectors between them are stored at aligned addresses of the destination; here both samples' vectors at a column
    /// position are computed from one load of each coefficient.
    /// </summary>
    /// <param name="compute">The value at tensor index <c>at</c>, given how to read a coefficient (by its name).</param>
    /// <param name="scalarStatement">The scalar update of tensor index <c>at</c> from coefficient index <c>i</c>.</param>
    private static void WriteColumnPairKernel(
        IndentedWriter w,
        string name,
        string tensors,
        int size,
        string summary,
        string destination,
        string[] coefficients,
        Func<VectorWidth, string, Func<string, string>, string> compute,
        string scalarStatement)
    {
        string parameters = $"{tensors}, {string.Join(", ", Map(coefficients, c => "ref float " + c))}";
        string second = Literals.Int(size);
        WriteDispatchedKernel(
            w,
            name,
            parameters,
            summary,
            size,
            v =>
            {
                string last = Literals.Int(size - v.Lanes);
                string lastNext = Literals.Int(size + size - v.Lanes);
                w.WriteLine($"{v.Float} head = {compute(v, "0", c => Load(v, c, "0"))};");
                w.WriteLine($"{v.Float} last = {compute(v, last, c => Load(v, c, last))};");
                w.WriteLine($"{v.Float} headNext = {compute(v, second, c => Load(v, c, "0"))};");
                w.WriteLine($"{v.Float} lastNext = {compute(v, lastNext, c => Load(v, c, last))};");
                w.WriteLine($"nuint i = global::NormGen.AlignedStores.Skew(ref {destination}, {v.Lanes});");
                w.WriteLine($"nuint end = i + {last};");
                using (w.Block($"for (; i + {2 * v.Lanes} <= end; i += {2 * v.Lanes})"))
                {
                    WriteColumnPairPosition(w, v, destination, coefficients, compute, 0, size);
                    WriteColumnPairPosition(w, v, destination, coefficients, compute, v.Lanes, size);
                }

                // The positions between the first and the last vector: size / lanes - 1 of them, pairs in the loop above.
                if (((size / v.Lanes) - 1) % 2 != 0)
                {
                    WriteColumnPairPosition(w, v, destination, coefficients, compute, 0, size);
                }

                w.WriteLine(Store(v, "head", destination, "0"));
                w.WriteLine(Store(v, "last", destination, last));
                w.WriteLine(Store(v, "headNext", destination, second));
                w.WriteLine(Store(v, "lastNext", destination, lastNext));
            },
            () =>
            {
                using (w.Block("for (int r = 0; r < 2; r++)"))
                using (w.Block($"for (int i = 0; i < {size}; i++)"))
                {
                    w.WriteLine($"int at = (r * {size}) + i;");
                    w.WriteLine(scalarStatement);
                }
            });
    }

    /// <summary>One column position of <see cref="WriteColumnPairKernel"/>, <c>i + delta</c>: the coefficients there, then both samples' stores.</summary>
    private static void WriteColumnPairPosition(IndentedWriter w, VectorWidth v, string destination, string[] coefficients, Func<VectorWidth, string, Func<string, string>, string> compute, int delta, int size)
    {
        string at = Offset("i", delta);
        using IDisposable scope = w.Block("");
        foreach (string c in coefficients)
        {
            w.WriteLine($"{v.Float} {c}Column = {Load(v, c, at)};");
        }

        string next = Offset("i", delta + size);
        w.WriteLine(Store(v, compute(v, at, c => c + "Column"), destination, at));
        w.WriteLine(Store(v, compute(v, next, c => c + "Column"), destination, next));
    }
}
