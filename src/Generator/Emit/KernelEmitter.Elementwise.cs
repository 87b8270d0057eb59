using System;
using System.Linq;
using NormGen.Generator.Helpers;

namespace NormGen.Generator.Emit;

/// <summary>
/// The element-wise kernels over one contiguous run (a plane, a slot or a row): normalization and input gradient with
/// scalar or per-element coefficients, and the one-pass row backward of the per-element affine layers.
/// </summary>
internal static partial class KernelEmitter
{
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
                WriteRowBackwardPrologue(w, v);
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

    /// <summary>The broadcasts the row backward kernels' vector expressions use.</summary>
    private static void WriteRowBackwardPrologue(IndentedWriter w, VectorWidth v)
    {
        w.WriteLine($"{v.Float} center = {v.Type}.Create(shift);");
        w.WriteLine($"{v.Float} vr = {v.Type}.Create(r);");
        w.WriteLine($"{v.Float} vcw = {v.Type}.Create(cw);");
        w.WriteLine($"{v.Float} vb = {v.Type}.Create(b);");
        w.WriteLine($"{v.Float} vc = {v.Type}.Create(c);");
    }

    /// <summary>
    /// The new gradWeight (and gradBias) and dx of the vector at <paramref name="at"/>, in locals named with
    /// <paramref name="suffix"/>; with <paramref name="mask"/>, the gradients change only in its lanes (the others keep
    /// the loaded values).
    /// </summary>
    private static void WriteRowBackwardValues(IndentedWriter w, VectorWidth v, string at, string suffix, bool hasBias, string? mask = null)
    {
        string Masked(string value, string old) => mask is null ? value : $"{v.Type}.ConditionalSelect({mask}, {value}, {old})";
        w.WriteLine($"{v.Float} g{suffix} = {Load(v, "dy", at)};");
        w.WriteLine($"{v.Float} centered{suffix} = {Load(v, "x", at)} - center;");
        w.WriteLine($"{v.Float} gradWeight{suffix} = {Masked($"{v.Type}.MultiplyAddEstimate(g{suffix}, {v.Type}.MultiplyAddEstimate(centered{suffix}, vr, vcw), {Load(v, "gradWeight", at)})", Load(v, "gradWeight", at))};");
        if (hasBias)
        {
            w.WriteLine($"{v.Float} gradBias{suffix} = {Masked($"{Load(v, "gradBias", at)} + g{suffix}", Load(v, "gradBias", at))};");
        }

        w.WriteLine($"{v.Float} dx{suffix} = {v.Type}.MultiplyAddEstimate(g{suffix} * {Load(v, "weight", at)}, vr, {v.Type}.MultiplyAddEstimate(centered{suffix}, vb, vc));");
    }

    /// <summary>Stores the gradients of <see cref="WriteRowBackwardValues"/>, and its dx unless <paramref name="dx"/> is false.</summary>
    private static void WriteRowBackwardStores(IndentedWriter w, VectorWidth v, string at, string suffix, bool hasBias, bool dx = true)
    {
        w.WriteLine(Store(v, $"gradWeight{suffix}", "gradWeight", at));
        if (hasBias)
        {
            w.WriteLine(Store(v, $"gradBias{suffix}", "gradBias", at));
        }

        if (dx)
        {
            w.WriteLine(Store(v, $"dx{suffix}", "dx", at));
        }
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
}
