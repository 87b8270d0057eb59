using System;
using NormGen.Generator.Helpers;

namespace NormGen.Generator.Emit;

/// <summary>
/// The permuted element-wise kernels over whole samples (per-channel coefficients laid out by a permute per vector, or
/// written out per period) and their streaming variants, which join each cache line of the output from two vectors.
/// </summary>
internal static partial class KernelEmitter
{
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
    public static void WritePermutedElementwise(IndentedWriter w, string name, int planeLength, int slots, string tensors, string destination, string[] coefficients, Func<VectorWidth, string, string> value, string indexTable, bool streaming)
    {
        WritePermutedPlain(w, name, planeLength, slots, tensors, destination, coefficients, value, indexTable);
        if (streaming)
        {
            w.WriteLine();
            WritePermutedStreaming(w, name, planeLength, slots, tensors, destination, coefficients, value, indexTable);
        }
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
                        WritePermutedCoefficients(w, v, coefficients, $"k * {v.Lanes}", declare: true);
                        w.WriteLine($"nuint at = first + (k * {v.Lanes});");
                        w.WriteLine($"{v.Type}.StoreUnsafe({value(v, "at")}, ref {destination}, at);");
                    }
                }
            }

            WriteWideThenNarrow(w, v => Body(v, v.Bits == 512 ? indexTable : indexTable + "256"));
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
    /// <param name="indexTable">The permute index table.</param>
    private static void WritePermutedStreaming(IndentedWriter w, string name, int planeLength, int slots, string tensors, string destination, string[] coefficients, Func<VectorWidth, string, string> value, string indexTable)
    {
        string coefficientParameters = string.Join(", ", Map(coefficients, c => "ref float " + c));
        // A call per sample of at least 1024 floats, so not AggressiveInlining: its locals (the two end vectors kept for the
        // plain stores, the joined neighbours) are more than the JIT inlines, and the call costs nothing measurable here.
        w.WriteLine($"/// <summary><see cref=\"{name}\"/> with streaming stores for the sample's lines but the first and the last (Vector512: whole cache lines, Vector256: halves of lines; one call per sample).</summary>");
        w.WriteLine("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]");
        using (w.Block($"private static void {name}Streaming({tensors}, {coefficientParameters})"))
        {
            WriteWideThenNarrow(w, v => WriteStreamingBody(w, v, planeLength, slots, destination, coefficients, value, v.Bits == 512 ? indexTable : indexTable + "256"));
        }
    }

    /// <summary>
    /// One width's body of <see cref="WritePermutedStreaming"/>. Its "lines" are whole vectors at aligned addresses: 64-byte
    /// cache lines on Vector512, 32-byte halves of lines on Vector256 (so a line at either end of a sample may get one
    /// streamed and one plain half: two lines per sample, no difference in the bits).
    /// </summary>
    private static void WriteStreamingBody(IndentedWriter w, VectorWidth v, int planeLength, int slots, string destination, string[] coefficients, Func<VectorWidth, string, string> value, string indexTable)
    {
        int lanes = v.Lanes;
        int g = Gcd(planeLength, lanes);
        int channels = lanes / g;
        int vectors = planeLength / g;
        int periods = slots / channels;
        int sampleVectors = periods * vectors;
        string Join(string lower, string upper) => $"global::NormGen.SimdMath.Join({lower}, {upper}, join)";
        w.WriteLine($"ref int index = ref global::System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference({indexTable});");

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
                WritePeriodChannels(w, v, coefficients, broadcast: false, Literals.Int(period * channels));
                WritePermutedCoefficients(w, v, coefficients, Literals.Int((vector % vectors) * lanes), declare: true);
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
        bool unrolled = UnrollsPeriods(planeLength, lanes, periods, minPeriods: 3);
        using (w.Block($"for (int period = 0; period < {Literals.Int(periods)}; period++)"))
        {
            WritePeriodChannels(w, v, coefficients, broadcast: false, $"(nuint)(period * {channels})");
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
                    WritePermutedCoefficients(w, v, coefficients, u == 0 ? $"k * {lanes}" : $"(k + {u}) * {lanes}", declare: u == 0);
                    w.WriteLine($"{v.Float} value{u} = {value(v, u == 0 ? $"first + (k * {lanes})" : $"first + ((k + {u}) * {lanes})")};");
                }

                // SimdMath.StoreStreaming has a four-vector overload (one pin per four stores), matching Unroll = 4.
                w.WriteLine($"global::NormGen.SimdMath.StoreStreaming({Join("previous", "value0")}, {Join("value0", "value1")}, {Join("value1", "value2")}, {Join("value2", "value3")}, ref {destination}, first + (k * {lanes}) - {lanes} + skew);");
                w.WriteLine("previous = value3;");
            }

            using (w.Block("for (; k < end; k++)"))
            {
                WritePermutedCoefficients(w, v, coefficients, $"k * {lanes}", declare: true);
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
                        WritePermutedCoefficients(w, v, coefficients, Literals.Int(start), declare: false);
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
    /// (<c>{c}Channels</c>); with <paramref name="broadcast"/> the coefficients of that one channel in every lane instead
    /// (<c>{c}Vector</c>: <see cref="WriteSampleStreaming"/>'s planes of whole vectors).
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
    private static void WritePermutedCoefficients(IndentedWriter w, VectorWidth v, string[] coefficients, string row, bool declare)
    {
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
}
