using System.Collections.Generic;
using NormGen.Generator.Helpers;

namespace NormGen.Generator.Emit;

/// <summary>
/// What a reduction kernel accumulates per loaded vector: the plain sum (first pass of the statistics) or
/// the sums of deviations and squared deviations from a shift (second pass). Deviations from a shift close to
/// the mean are exact in float (Sterbenz), so the second pass loses nothing to cancellation.
/// </summary>
internal abstract class ReductionKind
{
    public static readonly ReductionKind Sum = new SumKind();
    public static readonly ReductionKind Shifted = new ShiftedKind();

    /// <summary>Accumulator names; each gets one double total and <c>unroll</c> vector partials.</summary>
    public abstract IReadOnlyList<string> Accumulators { get; }

    /// <summary>The vector type of the partial accumulators.</summary>
    public abstract string PartialType(VectorWidth v);

    /// <summary>Expression adding up the lanes of a partial vector into a double.</summary>
    public abstract string Flush(VectorWidth v, string partial);

    /// <summary>Statements before the loops (broadcasts).</summary>
    public abstract void WritePrologue(IndentedWriter w, VectorWidth v);

    /// <summary>Adds the vector <paramref name="load"/> into partial accumulators <paramref name="k"/>; masked lanes add nothing. <paramref name="tag"/> makes temporaries unique within a scope.</summary>
    public abstract void WriteUpdate(IndentedWriter w, VectorWidth v, int k, string load, string? mask, string tag);

    /// <summary>Scalar accumulation of element <c>x</c> (a float) into the double totals.</summary>
    public abstract void WriteScalarUpdate(IndentedWriter w, string x);

    private sealed class SumKind : ReductionKind
    {
        public override IReadOnlyList<string> Accumulators { get; } = new[] { "sum" };

        public override string PartialType(VectorWidth v) => v.Float;

        public override string Flush(VectorWidth v, string partial) => $"global::NormGen.SimdMath.SumToDouble({partial})";

        public override void WritePrologue(IndentedWriter w, VectorWidth v)
        {
        }

        public override void WriteUpdate(IndentedWriter w, VectorWidth v, int k, string load, string? mask, string tag) =>
            w.WriteLine(mask is null
                ? $"sum{k} += {load};"
                : $"sum{k} += {v.Type}.ConditionalSelect({mask}, {load}, {v.Float}.Zero);");

        public override void WriteScalarUpdate(IndentedWriter w, string x) => w.WriteLine($"sumTotal += {x};");
    }

    private sealed class ShiftedKind : ReductionKind
    {
        public override IReadOnlyList<string> Accumulators { get; } = new[] { "dev", "sq" };

        public override string PartialType(VectorWidth v) => v.Double;

        public override string Flush(VectorWidth v, string partial) => $"{v.Type}.Sum({partial})";

        public override void WritePrologue(IndentedWriter w, VectorWidth v)
        {
            w.WriteLine($"{v.Float} center = {v.Type}.Create(shift);");
            w.WriteLine($"{v.Double} centerWide = {v.Type}.Create((double)shift);");
        }

        public override void WriteUpdate(IndentedWriter w, VectorWidth v, int k, string load, string? mask, string tag)
        {
            // Masked lanes are replaced by the shift itself, so their deviation is exactly zero.
            string value = mask is null ? load : $"{v.Type}.ConditionalSelect({mask}, {load}, center)";
            w.WriteLine($"({v.Double} low{tag}, {v.Double} high{tag}) = {v.Type}.Widen({value});");
            w.WriteLine($"low{tag} -= centerWide;");
            w.WriteLine($"high{tag} -= centerWide;");
            w.WriteLine($"dev{k} += low{tag} + high{tag};");
            w.WriteLine($"sq{k} = {v.Type}.MultiplyAddEstimate(low{tag}, low{tag}, {v.Type}.MultiplyAddEstimate(high{tag}, high{tag}, sq{k}));");
        }

        public override void WriteScalarUpdate(IndentedWriter w, string x)
        {
            w.WriteLine($"double d = (double){x} - shift;");
            w.WriteLine("devTotal += d;");
            w.WriteLine("sqTotal += d * d;");
        }
    }
}
