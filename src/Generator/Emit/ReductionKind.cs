using System.Collections.Generic;
using NormGen.Generator.Helpers;

namespace NormGen.Generator.Emit;

/// <summary>
/// What a reduction kernel accumulates per loaded vector: the plain sum, the sums of deviations and squared deviations
/// from a shift, or the backward sums. Deviations from a float shift close to the data are exact in float (Sterbenz),
/// so shifted sums lose nothing to cancellation. Every vector kind accumulates in float vector partials in which a lane
/// adds at most <c>KernelEmitter.ChunkIterations</c> values before the partials are widened into double totals (a
/// cascade: the error does not grow with the length); the scalar fallback accumulates in double.
/// </summary>
internal abstract class ReductionKind
{
    public static readonly ReductionKind Sum = new SumKind();
    public static readonly ReductionKind Shifted = new ShiftedKind();
    public static readonly ReductionKind Gradient = new GradientKind(weighted: false);
    public static readonly ReductionKind WeightedGradient = new GradientKind(weighted: true);

    /// <summary>The kernel's input parameters (before the <c>out double</c> totals).</summary>
    public abstract string Parameters { get; }

    /// <summary>Accumulator names; each gets one double total and <c>unroll</c> vector partials.</summary>
    public abstract IReadOnlyList<string> Accumulators { get; }

    /// <summary>The vector type of the partial accumulators.</summary>
    public abstract string PartialType(VectorWidth v);

    /// <summary>Expression adding up the lanes of a partial vector into a double.</summary>
    public abstract string Flush(VectorWidth v, string partial);

    /// <summary>Statements before the loops (broadcasts).</summary>
    public abstract void WritePrologue(IndentedWriter w, VectorWidth v);

    /// <summary>
    /// Adds the vectors at offset <paramref name="at"/> into partial accumulators <paramref name="k"/>; masked lanes add
    /// nothing. <paramref name="tag"/> makes temporaries unique within a scope. With <paramref name="first"/>, the
    /// update declares the partials instead, initialized to its values (the JIT does not fold an addition to a zero
    /// vector: <c>0 + -0</c> is <c>+0</c>).
    /// </summary>
    public abstract void WriteUpdate(IndentedWriter w, VectorWidth v, int k, string at, string? mask, string tag, bool first = false);

    /// <summary>Scalar accumulation of element <paramref name="i"/> into the double totals.</summary>
    public abstract void WriteScalarUpdate(IndentedWriter w, string i);

    private static string Element(string source, string i) => $"global::System.Runtime.CompilerServices.Unsafe.Add(ref {source}, {i})";

    private sealed class SumKind : ReductionKind
    {
        public override IReadOnlyList<string> Accumulators { get; } = new[] { "sum" };

        public override string Parameters => "ref float p";

        public override string PartialType(VectorWidth v) => v.Float;

        public override string Flush(VectorWidth v, string partial) => $"global::NormGen.SimdMath.SumToDouble({partial})";

        public override void WritePrologue(IndentedWriter w, VectorWidth v)
        {
        }

        public override void WriteUpdate(IndentedWriter w, VectorWidth v, int k, string at, string? mask, string tag, bool first = false)
        {
            string load = KernelEmitter.Load(v, "p", at);
            string value = mask is null ? load : $"{v.Type}.ConditionalSelect({mask}, {load}, {v.Float}.Zero)";
            w.WriteLine(first ? $"{v.Float} sum{k} = {value};" : $"sum{k} += {value};");
        }

        public override void WriteScalarUpdate(IndentedWriter w, string i) => w.WriteLine($"sumTotal += {Element("p", i)};");
    }

    private sealed class ShiftedKind : ReductionKind
    {
        public override IReadOnlyList<string> Accumulators { get; } = new[] { "dev", "sq" };

        public override string Parameters => "ref float p, float shift";

        public override string PartialType(VectorWidth v) => v.Float;

        public override string Flush(VectorWidth v, string partial) => $"global::NormGen.SimdMath.SumToDouble({partial})";

        public override void WritePrologue(IndentedWriter w, VectorWidth v) => w.WriteLine($"{v.Float} center = {v.Type}.Create(shift);");

        public override void WriteUpdate(IndentedWriter w, VectorWidth v, int k, string at, string? mask, string tag, bool first = false)
        {
            string load = KernelEmitter.Load(v, "p", at);

            // Masked lanes are replaced by the shift itself, so their deviation is exactly zero.
            string value = mask is null ? load : $"{v.Type}.ConditionalSelect({mask}, {load}, center)";
            w.WriteLine($"{v.Float} d{tag} = {value} - center;");
            if (first)
            {
                w.WriteLine($"{v.Float} dev{k} = d{tag};");
                w.WriteLine($"{v.Float} sq{k} = d{tag} * d{tag};");
                return;
            }

            w.WriteLine($"dev{k} += d{tag};");
            w.WriteLine($"sq{k} = {v.Type}.MultiplyAddEstimate(d{tag}, d{tag}, sq{k});");
        }

        public override void WriteScalarUpdate(IndentedWriter w, string i)
        {
            w.WriteLine($"double d = (double){Element("p", i)} - shift;");
            w.WriteLine("devTotal += d;");
            w.WriteLine("sqTotal += d * d;");
        }
    }

    /// <summary>
    /// Backward sums over a block: Σg and Σg·(x - shift) with g = dy (or dy·weight element-wise), in float partials
    /// flushed into double totals.
    /// </summary>
    private sealed class GradientKind : ReductionKind
    {
        private readonly bool _weighted;

        public GradientKind(bool weighted) => _weighted = weighted;

        public override IReadOnlyList<string> Accumulators { get; } = new[] { "grad", "gradX" };

        public override string Parameters => _weighted ? "ref float x, ref float dy, ref float weight, float shift" : "ref float x, ref float dy, float shift";

        public override string PartialType(VectorWidth v) => v.Float;

        public override string Flush(VectorWidth v, string partial) => $"global::NormGen.SimdMath.SumToDouble({partial})";

        public override void WritePrologue(IndentedWriter w, VectorWidth v) => w.WriteLine($"{v.Float} center = {v.Type}.Create(shift);");

        public override void WriteUpdate(IndentedWriter w, VectorWidth v, int k, string at, string? mask, string tag, bool first = false)
        {
            string g = KernelEmitter.Load(v, "dy", at);
            if (_weighted)
            {
                g = $"{g} * {KernelEmitter.Load(v, "weight", at)}";
            }

            string x = KernelEmitter.Load(v, "x", at);
            if (mask is not null)
            {
                // Masked lanes were counted already: zero gradient and zero deviation, so Inf or NaN there cannot count twice.
                g = $"{v.Type}.ConditionalSelect({mask}, {g}, {v.Float}.Zero)";
                x = $"{v.Type}.ConditionalSelect({mask}, {x}, center)";
            }

            w.WriteLine($"{v.Float} g{tag} = {g};");
            if (first)
            {
                w.WriteLine($"{v.Float} grad{k} = g{tag};");
                w.WriteLine($"{v.Float} gradX{k} = g{tag} * ({x} - center);");
                return;
            }

            w.WriteLine($"grad{k} += g{tag};");
            w.WriteLine($"gradX{k} = {v.Type}.MultiplyAddEstimate(g{tag}, {x} - center, gradX{k});");
        }

        public override void WriteScalarUpdate(IndentedWriter w, string i)
        {
            string g = _weighted ? $"(double){Element("dy", i)} * {Element("weight", i)}" : $"(double){Element("dy", i)}";
            w.WriteLine($"double g = {g};");
            w.WriteLine("gradTotal += g;");
            w.WriteLine($"gradXTotal += g * ((double){Element("x", i)} - shift);");
        }
    }
}
