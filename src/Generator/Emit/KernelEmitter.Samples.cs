using System;
using NormGen.Generator.Helpers;

namespace NormGen.Generator.Emit;

/// <summary>
/// The streaming element-wise kernels over one whole sample of planes of whole vectors (BatchNorm planes that are a
/// multiple of 16 floats): every line of the output between the sample's ends is written with a streaming store.
/// </summary>
internal static partial class KernelEmitter
{
    /// <summary>
    /// <c>{name}Streaming</c>: <c>{name}</c> (one call per plane) as one call per sample of <paramref name="slots"/>
    /// planes of <paramref name="planeLength"/> floats, with streaming stores (<c>NormGen.SimdMath.StoreStreaming</c>) for
    /// every line of the output but the first and the last. Its vectors are computed where the destination's lines are
    /// (aligned addresses: 64-byte cache lines on Vector512, 32-byte halves of lines on Vector256), not where the planes
    /// start, so each line is one computed vector and no permute forms it: when the sample does not start at a line, the
    /// last line of each plane runs into the next plane and takes each lane's coefficients from its own channel (a blend
    /// of the two channels' broadcasts, from a mask made once per call). Against the earlier form, which computed the
    /// vectors where the planes start and joined each line from two of them (a <c>vpermt2ps</c> on Vector512, two
    /// <c>vpermps</c> and a blend on Vector256), the input gradient of (8, 32, 112, 112) went from 1.52x to 1.35x a copy on
    /// an AVX2-only machine (bench/results/ab-sample-lines; other shapes were at their floor already), and streaming the
    /// normalization stopped costing there, so it streams on Vector256 too.
    /// The first and the last vector of the sample and its first and last whole line are computed before any store and
    /// stored last with plain stores (they share their cache lines with the neighbouring samples), so no line gets both
    /// kinds of store; every other line is loaded just before it is stored and read by nothing after: safe in place. Each
    /// element gets its own channel's coefficients and the operations of <c>{name}</c>: the same bits.
    /// </summary>
    public static void WriteSampleStreaming(IndentedWriter w, string name, int planeLength, int slots, string tensors, string destination, string[] coefficients, Func<VectorWidth, string, string> value)
    {
        if (planeLength % 16 != 0 || planeLength < 32)
        {
            throw new ArgumentOutOfRangeException(nameof(planeLength), planeLength, "WriteSampleStreaming takes planes of at least two 16-float vectors.");
        }

        string coefficientParameters = string.Join(", ", Map(coefficients, c => "ref float " + c));
        w.WriteLine($"/// <summary>{name} over one whole sample with streaming stores for its lines but the first and the last (Vector512: whole cache lines, Vector256: halves of lines; one call per sample).</summary>");
        w.WriteLine("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]");
        using (w.Block($"private static void {name}Streaming({tensors}, {coefficientParameters})"))
        {
            WriteWideThenNarrow(w, v => WriteSampleLinesBody(w, v, planeLength, slots, destination, coefficients, value));
        }
    }

    /// <summary>One width's body of <see cref="WriteSampleStreaming"/>.</summary>
    private static void WriteSampleLinesBody(IndentedWriter w, VectorWidth v, int planeLength, int slots, string destination, string[] coefficients, Func<VectorWidth, string, string> value)
    {
        string lanes = Literals.Int(v.Lanes);
        int planeLines = planeLength / v.Lanes;
        int sampleLines = planeLines * slots;
        string line = v.Bits == 512 ? "cache line" : "half line";
        w.WriteLine($"nuint skew = global::NormGen.AlignedStores.Skew(ref {destination}, {lanes}); // the sample's first aligned {line}");
        w.WriteLine($"// Line j covers elements skew + {lanes}j to skew + {lanes}j + {Literals.Int(v.Lanes - 1)}; each plane holds planeLines of them whole.");
        w.WriteLine($"int lines = skew == 0 ? {Literals.Int(sampleLines)} : {Literals.Int(sampleLines - 1)};");
        w.WriteLine($"int planeLines = skew == 0 ? {Literals.Int(planeLines)} : {Literals.Int(planeLines - 1)};");
        w.WriteLine($"{v.Float} lower = {v.Type}.AsSingle({v.Type}.LessThan({v.Type}<int>.Indices, {v.Type}.Create({lanes} - (int)skew))); // the lanes of a line across two planes that are in the first");
        w.WriteLine();
        w.WriteLine("// The sample's first and last vector and its first and last line (in the first and the last plane), stored last.");
        w.WriteLine($"{v.Float} head, firstLine, lastLine, last;");
        void End(string name, int channel, string at)
        {
            using (w.Block(""))
            {
                WritePeriodChannels(w, v, coefficients, broadcast: true, Literals.Int(channel));
                w.WriteLine($"{name} = {value(v, at)};");
            }
        }

        End("head", 0, "(nuint)0");
        End("firstLine", 0, "skew");
        End("lastLine", slots - 1, $"skew + (nuint)((lines - 1) * {lanes})");
        End("last", slots - 1, "(nuint)" + Literals.Int((sampleLines - 1) * v.Lanes));
        w.WriteLine();
        using (w.Block($"for (int channel = 0; channel < {Literals.Int(slots)}; channel++)"))
        {
            WritePeriodChannels(w, v, coefficients, broadcast: true, "channel");
            w.WriteLine($"nuint first = (nuint)(channel * {Literals.Int(planeLength)}) + skew; // the plane's first line");
            w.WriteLine("// This plane's share of lines 1 to lines - 2 (0 and lines - 1 were computed above).");
            w.WriteLine($"int k = global::System.Math.Clamp(1 - (channel * {Literals.Int(planeLines)}), 0, planeLines);");
            w.WriteLine($"int end = global::System.Math.Clamp(lines - 1 - (channel * {Literals.Int(planeLines)}), 0, planeLines);");
            using (w.Block($"for (; k + {Unroll} <= end; k += {Unroll})"))
            {
                w.WriteLine($"nuint at = first + (nuint)(k * {lanes});");
                for (int u = 0; u < Unroll; u++)
                {
                    w.WriteLine($"{v.Float} value{u} = {value(v, u == 0 ? "at" : $"at + {Literals.Int(u * v.Lanes)}")};");
                }

                // SimdMath.StoreStreaming has a four-vector overload (one pin per four stores), matching Unroll = 4.
                w.WriteLine($"global::NormGen.SimdMath.StoreStreaming(value0, value1, value2, value3, ref {destination}, at);");
            }

            using (w.Block("for (; k < end; k++)"))
            {
                w.WriteLine($"nuint at = first + (nuint)(k * {lanes});");
                w.WriteLine($"global::NormGen.SimdMath.StoreStreaming({value(v, "at")}, ref {destination}, at);");
            }

            w.WriteLine();
            using (w.Block($"if (skew != 0 && channel != {Literals.Int(slots - 1)})"))
            {
                w.WriteLine("// The plane's last line runs into the next plane: each lane takes its own channel's coefficients.");
                foreach (string c in coefficients)
                {
                    w.WriteLine($"{c}Vector = {v.Type}.ConditionalSelect(lower, {c}Vector, {v.Type}.Create({UnsafeType}.Add(ref {c}, channel + 1)));");
                }

                w.WriteLine($"nuint at = first + (nuint)(planeLines * {lanes});");
                w.WriteLine($"global::NormGen.SimdMath.StoreStreaming({value(v, "at")}, ref {destination}, at);");
            }
        }

        w.WriteLine();
        w.WriteLine($"{v.Type}.StoreUnsafe(head, ref {destination}, 0);");
        w.WriteLine($"{v.Type}.StoreUnsafe(firstLine, ref {destination}, skew);");
        w.WriteLine($"{v.Type}.StoreUnsafe(lastLine, ref {destination}, skew + (nuint)((lines - 1) * {lanes}));");
        w.WriteLine($"{v.Type}.StoreUnsafe(last, ref {destination}, {Literals.Int((sampleLines - 1) * v.Lanes)});");
    }
}
