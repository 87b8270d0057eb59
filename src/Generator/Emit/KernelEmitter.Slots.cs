using System;
using NormGen.Generator.Helpers;

namespace NormGen.Generator.Emit;

/// <summary>
/// The per-slot element-wise kernels of GroupNorm: one call per (sample, group) over the planes of the group's channels,
/// each plane with its own coefficients, instead of one call per plane.
/// </summary>
internal static partial class KernelEmitter
{
    /// <summary>Shortest plane the slot kernels take: one Vector512, so a vector spans at most two channels.</summary>
    public const int SlotKernelMinPlane = 16;

    /// <summary>
    /// Whether slots of <paramref name="planes"/> planes of <paramref name="planeLength"/> floats get the slot kernels:
    /// more than one plane per slot (at most <see cref="SlotKernelMaxPlanes"/>), planes of at least <see cref="SlotKernelMinPlane"/> floats, and slots of whole
    /// 16-float vectors (so a slot ends where a vector of every width ends, and its vectors are aligned when the tensor is).
    /// </summary>
    public static bool HasSlotKernels(int planeLength, int planes) =>
        planes > 1 && planes <= SlotKernelMaxPlanes && planeLength >= SlotKernelMinPlane && ((long)planeLength * planes) % 16 == 0;

    /// <summary>
    /// Whether the slot kernels also get a streaming variant (<c>{name}Streaming</c>): slots of at least
    /// <see cref="StreamingMinLength"/> floats, in planes of at least three 16-float lines, so that the first and the last
    /// aligned line of a slot (stored plain with its unaligned ends) lie in its first and its last plane.
    /// </summary>
    public static bool HasSlotStreaming(int planeLength, int planes) =>
        HasSlotKernels(planeLength, planes) && planeLength >= 48 && (long)planeLength * planes >= StreamingMinLength;

    /// <summary>Most planes per slot for the slot kernels: their callers keep the per-plane coefficients on the stack (8 KB at most).</summary>
    public const int SlotKernelMaxPlanes = 1024;

    /// <summary>
    /// <c>static void {name}(ref float x, ref float y, float shift, ref float scale, ref float offset)</c>:
    /// <c>y = (x - shift) * scale[p] + offset[p]</c> over one slot of <paramref name="planes"/> planes of
    /// <paramref name="planeLength"/> floats, p the plane of each element (see <see cref="WriteSlotElementwise"/>).
    /// </summary>
    public static void WriteSlotNormalize(IndentedWriter w, string name, int planeLength, int planes, bool streaming) => WriteSlotElementwise(
        w,
        name,
        "ref float x, ref float y, float shift, ref float scale, ref float offset",
        planeLength,
        planes,
        $"y = (x - shift) * scale[p] + offset[p] over one slot of {planes} planes of {planeLength} elements, p the plane of the element.",
        "y",
        v => new[] { $"{v.Float} center = {v.Type}.Create(shift);" },
        new[] { "scale", "offset" },
        (v, at, c) => $"{v.Type}.MultiplyAddEstimate({Load(v, "x", at)} - center, {c("scale")}, {c("offset")})",
        $"{Unsafe}.Add(ref y, i) = ({Unsafe}.Add(ref x, i) - shift) * planeScale + planeOffset;",
        prefetch: null,
        streaming);

    /// <summary>
    /// <c>static void {name}(ref float x, ref float dy, ref float dx, float shift, ref float a, float b, float c, ref float nextX, ref float nextDy)</c>:
    /// <c>dx = dy * a[p] + (x - shift) * b + c</c> over one slot (see <see cref="WriteSlotElementwise"/>).
    /// </summary>
    public static void WriteSlotGradInput(IndentedWriter w, string name, int planeLength, int planes, bool streaming) => WriteSlotElementwise(
        w,
        name,
        "ref float x, ref float dy, ref float dx, float shift, ref float a, float b, float c, ref float nextX, ref float nextDy",
        planeLength,
        planes,
        $"dx = dy * a[p] + (x - shift) * b + c over one slot of {planes} planes of {planeLength} elements, p the plane of the element; prefetches the same spans of <paramref name=\"nextX\"/> and <paramref name=\"nextDy\"/>.",
        "dx",
        v => new[] { $"{v.Float} center = {v.Type}.Create(shift);", $"{v.Float} vb = {v.Type}.Create(b);", $"{v.Float} vc = {v.Type}.Create(c);" },
        new[] { "a" },
        (v, at, c) => $"{v.Type}.MultiplyAddEstimate({Load(v, "dy", at)}, {c("a")}, {v.Type}.MultiplyAddEstimate({Load(v, "x", at)} - center, vb, vc))",
        $"{Unsafe}.Add(ref dx, i) = ({Unsafe}.Add(ref dy, i) * planeA) + ((({Unsafe}.Add(ref x, i) - shift) * b) + c);",
        new[] { "nextX", "nextDy" },
        streaming);

    /// <summary>
    /// An element-wise kernel over one slot of <paramref name="planes"/> planes with per-plane coefficients (arrays of one
    /// float per plane). The slot is walked as one run of vectors at aligned addresses of the destination
    /// (<c>AlignedStores.Skew</c>), whatever the planes' own alignment: per plane its coefficients are broadcast and the
    /// vectors wholly inside it computed (unrolled by <see cref="Unroll"/>); a vector across the end of a plane takes its
    /// first lanes' coefficients from this plane and the rest from the next (<c>ConditionalSelect</c> on
    /// <c>FirstLanes</c>). The slot's first and last vector (in its first and last plane, planes being at least one
    /// vector long) are computed before any store and stored last, over the unaligned ends: safe in place. The bits are
    /// those of one <c>(x - shift) * scale + offset</c>-style call per plane. With <paramref name="prefetch"/>, each vector
    /// prefetches the same position of those spans (the next slot's inputs), once per 16 floats.
    /// </summary>
    /// <param name="coefficients">The per-plane coefficient arrays; <paramref name="value"/> names the vector of one through its third argument.</param>
    /// <param name="scalarStatement">The scalar statement for element <c>i</c>, with the plane's coefficients in <c>plane{C}</c> locals (<c>planeScale</c>).</param>
    private static void WriteSlotElementwise(
        IndentedWriter w,
        string name,
        string parameters,
        int planeLength,
        int planes,
        string summary,
        string destination,
        Func<VectorWidth, string[]> prologue,
        string[] coefficients,
        Func<VectorWidth, string, Func<string, string>, string> value,
        string scalarStatement,
        string[]? prefetch,
        bool streaming)
    {
        if (!HasSlotKernels(planeLength, planes))
        {
            throw new ArgumentOutOfRangeException(nameof(planeLength), planeLength, "No slot kernel for this plane length and plane count.");
        }

        WriteDispatchedKernel(
            w,
            name,
            parameters,
            summary,
            planeLength,
            v => WriteSlotBody(w, v, planeLength, planes, destination, prologue(v), coefficients, value, prefetch, streaming: false),
            () =>
            {
                using (w.Block($"for (int p = 0; p < {Literals.Int(planes)}; p++)"))
                {
                    foreach (string c in coefficients)
                    {
                        w.WriteLine($"float plane{Capitalized(c)} = {Unsafe}.Add(ref {c}, p);");
                    }

                    using (w.Block($"for (int i = p * {Literals.Int(planeLength)}; i < (p + 1) * {Literals.Int(planeLength)}; i++)"))
                    {
                        w.WriteLine(scalarStatement);
                    }
                }
            });

        if (streaming)
        {
            if (!HasSlotStreaming(planeLength, planes))
            {
                throw new ArgumentOutOfRangeException(nameof(planeLength), planeLength, "No streaming slot kernel for this plane length and plane count.");
            }

            w.WriteLine();
            w.WriteLine($"/// <summary><see cref=\"{name}\"/> with streaming stores for the slot's cache lines but the first two and the last two (Vector512 or Vector256: the caller checks <c>SimdMath.Use512 || SimdMath.Use256</c>).</summary>");
            w.WriteLine("[global::System.Runtime.CompilerServices.MethodImpl(global::System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]");
            using (w.Block($"private static void {name}Streaming({parameters})"))
            {
                WriteWideThenNarrow(w, v => WriteSlotBody(w, v, planeLength, planes, destination, prologue(v), coefficients, value, prefetch, streaming: true));
            }
        }
    }

    /// <summary>
    /// One width's body of <see cref="WriteSlotElementwise"/>. With <paramref name="streaming"/> (Vector512 or Vector256)
    /// the walk aligns to whole 64-byte lines, and the lines at aligned addresses are written with
    /// <c>NormGen.SimdMath.StoreStreaming</c> except the first and the last: those share cache lines with the slot's
    /// unaligned first and last line (and, through them, with the neighbouring slots' ends), so all four are computed
    /// before any store and written last with plain stores, and no cache line gets both kinds of store (a line written
    /// partly streamed and partly plain is flushed as a partial line: measured far slower,
    /// bench/results/ab-gn-naive-streaming). Without it the walk aligns to the vector width.
    /// </summary>
    private static void WriteSlotBody(
        IndentedWriter w,
        VectorWidth v,
        int planeLength,
        int planes,
        string destination,
        string[] prologue,
        string[] coefficients,
        Func<VectorWidth, string, Func<string, string>, string> value,
        string[]? prefetch,
        bool streaming)
    {
        int lanes = v.Lanes;
        int slotLength = planeLength * planes;
        foreach (string line in prologue)
        {
            w.WriteLine(line);
        }

        string Broadcast(string c, string plane) => $"{v.Type}.Create({Unsafe}.Add(ref {c}, {plane}))";
        void Prefetches(string at)
        {
            if (prefetch is not null)
            {
                foreach (string row in prefetch)
                {
                    w.WriteLine($"global::NormGen.SimdMath.Prefetch(ref {row}, {at});");
                }
            }
        }

        // Streaming works in whole 64-byte lines: the slot's first and last line (one Vector512, two Vector256 each) are
        // stored plain, and so are the first and the last aligned line, which share cache lines with them.
        int perLine = streaming ? 16 / lanes : 1;
        int span = perLine * lanes;
        string Named(string name, int k) => perLine == 1 ? name : name + Literals.Int(k);
        string where = planes > 1 ? "of the slot (in its first and its last plane)" : "of the row";
        w.WriteLine(streaming && perLine > 1
            ? $"// The first and the last line {where}, computed before any store and stored last."
            : $"// The first and the last vector {where}, computed before any store and stored last.");
        for (int k = 0; k < perLine; k++)
        {
            w.WriteLine($"{v.Float} {Named("head", k)} = {value(v, Literals.Int(k * lanes), c => Broadcast(c, "0"))};");
        }

        for (int k = 0; k < perLine; k++)
        {
            w.WriteLine($"{v.Float} {Named("last", k)} = {value(v, Literals.Int(slotLength - span + (k * lanes)), c => Broadcast(c, Literals.Int(planes - 1)))};");
        }

        w.WriteLine($"nuint at = global::NormGen.AlignedStores.Skew(ref {destination}, {Literals.Int(span)}); // the first element at an aligned address, then the first not yet stored");
        if (streaming)
        {
            w.WriteLine(perLine == 1
                ? "// The first and the last aligned vector share lines with head and last: plain stores, computed now and stored last."
                : "// The first and the last aligned line share cache lines with head and last: plain stores, computed now and stored last.");
            w.WriteLine("nuint headAt = at;");
            w.WriteLine($"nuint lastAt = {Literals.Int(slotLength - span)} - (({Literals.Int(span)} - at) & {Literals.Int(span - 1)});");
            for (int k = 0; k < perLine; k++)
            {
                w.WriteLine($"{v.Float} {Named("headLine", k)} = {value(v, Offset("headAt", k * lanes), c => Broadcast(c, "0"))};");
            }

            Prefetches("headAt");
            for (int k = 0; k < perLine; k++)
            {
                w.WriteLine($"{v.Float} {Named("lastLine", k)} = {value(v, Offset("lastAt", k * lanes), c => Broadcast(c, Literals.Int(planes - 1)))};");
            }

            Prefetches("lastAt");
            w.WriteLine($"at += {Literals.Int(span)};");
        }

        // One run (planes == 1: a row of per-element coefficients) is walked in one scope, without the plane loop.
        using (w.Block(planes > 1 ? $"for (int p = 0; p < {Literals.Int(planes)}; p++)" : ""))
        {
            foreach (string c in coefficients)
            {
                w.WriteLine($"{v.Float} {c}Plane = {Broadcast(c, "p")};");
            }

            w.WriteLine((planes > 1, streaming) switch
            {
                (true, true) => $"nuint end = p < {Literals.Int(planes - 1)} ? (nuint)((p + 1) * {Literals.Int(planeLength)}) : lastAt; // the last plane stops at lastLine",
                (true, false) => $"nuint end = (nuint)((p + 1) * {Literals.Int(planeLength)});",
                (false, true) => "nuint end = lastAt; // the run stops at lastLine",
                (false, false) => $"nuint end = {Literals.Int(slotLength)};",
            });
            void Vector(string at, bool prefetches, Func<string, string> coefficient)
            {
                w.WriteLine(streaming
                    ? $"global::NormGen.SimdMath.StoreStreaming({value(v, at, coefficient)}, ref {destination}, {at});"
                    : Store(v, value(v, at, coefficient), destination, at));
                if (prefetches)
                {
                    Prefetches(at);
                }
            }

            using (w.Block($"for (; at + {Literals.Int(Unroll * lanes)} <= end; at += {Literals.Int(Unroll * lanes)})"))
            {
                if (streaming)
                {
                    // Four vectors with one pin (SimdMath.StoreStreaming's four-vector overload matches Unroll = 4): four lines, or two on Vector256.
                    for (int k = 0; k < Unroll; k++)
                    {
                        w.WriteLine($"{v.Float} value{k} = {value(v, Offset("at", k * lanes), c => c + "Plane")};");
                    }

                    w.WriteLine($"global::NormGen.SimdMath.StoreStreaming(value0, value1, value2, value3, ref {destination}, at);");
                    for (int k = 0; k < Unroll; k++)
                    {
                        if ((k * lanes) % 16 == 0)
                        {
                            Prefetches(Offset("at", k * lanes)); // once per 16 floats
                        }
                    }
                }
                else
                {
                    for (int k = 0; k < Unroll; k++)
                    {
                        // One prefetch per 16 floats: every vector of Vector512, every other of Vector256, every fourth of Vector128.
                        Vector(Offset("at", k * lanes), (k * lanes) % 16 == 0, c => c + "Plane");
                    }
                }
            }

            using (w.Block($"for (; at + {Literals.Int(lanes)} <= end; at += {Literals.Int(lanes)})"))
            {
                Vector("at", true, c => c + "Plane");
            }

            if (planes > 1)
            {
                // A vector across the end of a plane but the last (whose rest, if the slot is not aligned, is the last vector's).
                using (w.Block($"if (at < end && p < {Literals.Int(planes - 1)})"))
                {
                    w.WriteLine("// Its first end - at lanes are this plane's, the rest the next plane's.");
                    w.WriteLine($"{v.Float} ours = {v.FirstLanes}((int)(end - at));");
                    foreach (string c in coefficients)
                    {
                        w.WriteLine($"{v.Float} {c}Across = {v.Type}.ConditionalSelect(ours, {c}Plane, {Broadcast(c, "p + 1")});");
                    }

                    Vector("at", true, c => c + "Across");
                    w.WriteLine($"at += {Literals.Int(lanes)};");
                }
            }
        }

        if (streaming)
        {
            for (int k = 0; k < perLine; k++)
            {
                w.WriteLine(Store(v, Named("headLine", k), destination, Offset("headAt", k * lanes)));
            }

            for (int k = 0; k < perLine; k++)
            {
                w.WriteLine(Store(v, Named("lastLine", k), destination, Offset("lastAt", k * lanes)));
            }
        }

        for (int k = 0; k < perLine; k++)
        {
            w.WriteLine(Store(v, Named("head", k), destination, Literals.Int(k * lanes)));
        }

        for (int k = 0; k < perLine; k++)
        {
            w.WriteLine(Store(v, Named("last", k), destination, Literals.Int(slotLength - span + (k * lanes))));
        }
    }

    /// <summary>
    /// <c>static void {name}(ref float x, ref float dy, float shift, ref float gradInput, ref double grad, ref double gradX)</c>:
    /// per plane p of one slot of <paramref name="planes"/> planes of <paramref name="planeLength"/> floats,
    /// <c>grad[p] = Σdy</c> and <c>gradX[p] = Σdy·(x - shift)</c>, float partials per plane added in double. The slot is
    /// read as one run of whole vectors from its start, one call per slot instead of one per plane: a vector across the
    /// end of a plane adds its first lanes to this plane's partials and starts the next plane's with the rest (masked-out
    /// lanes add a zero gradient times a zero deviation, so an Inf or NaN is counted once). Unlike the element-wise slot
    /// kernels it does not align its walk to the addresses: the order of the additions, and so the bits of the sums,
    /// depend only on the shape, not on where the tensors are. Each vector prefetches the same position of
    /// <c>gradInput</c> (the lines the input gradient writes next), once per 16 floats.
    /// </summary>
    public static void WriteSlotGradientSums(IndentedWriter w, string name, int planeLength, int planes)
    {
        if (!HasSlotKernels(planeLength, planes))
        {
            throw new ArgumentOutOfRangeException(nameof(planeLength), planeLength, "No slot kernel for this plane length and plane count.");
        }

        WriteDispatchedKernel(
            w,
            name,
            "ref float x, ref float dy, float shift, ref float gradInput, ref double grad, ref double gradX",
            $"Per plane p of one slot of {planes} planes of {planeLength} elements, grad[p] = Σdy and gradX[p] = Σdy·(x - shift) (float partials per plane added in double), prefetching the slot's input gradient.",
            planeLength,
            v => WriteSlotGradientSumsBody(w, v, planeLength, planes),
            () =>
            {
                using (w.Block($"for (int p = 0; p < {Literals.Int(planes)}; p++)"))
                {
                    w.WriteLine("double gradTotal = 0, gradXTotal = 0;");
                    using (w.Block($"for (int i = p * {Literals.Int(planeLength)}; i < (p + 1) * {Literals.Int(planeLength)}; i++)"))
                    {
                        ReductionKind.Gradient.WriteScalarUpdate(w, "i");
                    }

                    w.WriteLine($"{Unsafe}.Add(ref grad, p) = gradTotal;");
                    w.WriteLine($"{Unsafe}.Add(ref gradX, p) = gradXTotal;");
                }
            });
    }

    private static void WriteSlotGradientSumsBody(IndentedWriter w, VectorWidth v, int planeLength, int planes)
    {
        int lanes = v.Lanes;
        int slotLength = planeLength * planes;
        string zero = v.Float + ".Zero";
        string Select(string mask, string a, string b) => $"{v.Type}.ConditionalSelect({mask}, {a}, {b})";
        void Update(int chain, string g, string x) =>
            w.WriteLine($"gradX{chain} = {v.Type}.MultiplyAddEstimate({g}, {x} - center, gradX{chain});");

        void Flush(string plane)
        {
            w.WriteLine($"{Unsafe}.Add(ref grad, {plane}) = global::NormGen.SimdMath.SumToDouble(grad0 + grad1);");
            w.WriteLine($"{Unsafe}.Add(ref gradX, {plane}) = global::NormGen.SimdMath.SumToDouble(gradX0 + gradX1);");
        }

        void WholeVectors()
        {
            using (w.Block($"for (; at + {Literals.Int(Unroll * lanes)} <= end; at += {Literals.Int(Unroll * lanes)})"))
            {
                for (int k = 0; k < Unroll; k++)
                {
                    string at = Offset("at", k * lanes);
                    string g = $"g{k}";
                    w.WriteLine($"{v.Float} {g} = {Load(v, "dy", at)};");
                    w.WriteLine($"grad{k % 2} += {g};");
                    Update(k % 2, g, Load(v, "x", at));
                    if ((k * lanes) % 16 == 0)
                    {
                        w.WriteLine($"global::NormGen.SimdMath.Prefetch(ref gradInput, {at});");
                    }
                }
            }

            using (w.Block($"for (; at + {Literals.Int(lanes)} <= end; at += {Literals.Int(lanes)})"))
            {
                w.WriteLine($"{v.Float} g = {Load(v, "dy", "at")};");
                w.WriteLine("grad0 += g;");
                Update(0, "g", Load(v, "x", "at"));
                w.WriteLine("global::NormGen.SimdMath.Prefetch(ref gradInput, at);");
            }
        }

        w.WriteLine($"{v.Float} center = {v.Type}.Create(shift);");
        w.WriteLine($"{v.Float} grad0 = {zero}, gradX0 = {zero}, grad1 = {zero}, gradX1 = {zero};");
        w.WriteLine("nuint at = 0;");
        using (w.Block($"for (int p = 0; p < {Literals.Int(planes - 1)}; p++)"))
        {
            w.WriteLine($"nuint end = (nuint)((p + 1) * {Literals.Int(planeLength)});");
            WholeVectors();
            if (planeLength % lanes == 0)
            {
                // Planes of whole vectors: walked from the slot's start, no vector crosses a plane's end.
                Flush("p");
                w.WriteLine($"grad0 = {zero};");
                w.WriteLine($"gradX0 = {zero};");
            }
            else
            {
                using (w.Block("if (at < end)"))
                {
                    w.WriteLine("// The vector across the end of this plane: its first end - at lanes are this plane's, the rest start the next plane's.");
                    w.WriteLine($"{v.Float} ours = {v.FirstLanes}((int)(end - at));");
                    w.WriteLine($"{v.Float} g = {Load(v, "dy", "at")};");
                    w.WriteLine($"{v.Float} xv = {Load(v, "x", "at")};");
                    w.WriteLine($"{v.Float} gOurs = {Select("ours", "g", zero)};");
                    w.WriteLine("grad0 += gOurs;");
                    Update(0, "gOurs", Select("ours", "xv", "center"));
                    w.WriteLine("global::NormGen.SimdMath.Prefetch(ref gradInput, at);");
                    Flush("p");
                    w.WriteLine($"grad0 = {Select("ours", zero, "g")};");
                    w.WriteLine($"gradX0 = grad0 * ({Select("ours", "center", "xv")} - center);");
                    w.WriteLine($"at += {Literals.Int(lanes)};");
                }

                using (w.Block("else"))
                {
                    Flush("p");
                    w.WriteLine($"grad0 = {zero};");
                    w.WriteLine($"gradX0 = {zero};");
                }
            }

            w.WriteLine($"grad1 = {zero};");
            w.WriteLine($"gradX1 = {zero};");
        }

        using (w.Block(""))
        {
            w.WriteLine("// The last plane, to the end of the slot (a whole number of vectors).");
            w.WriteLine($"nuint end = {Literals.Int(slotLength)};");
            WholeVectors();
            Flush(Literals.Int(planes - 1));
        }
    }

    private static string Capitalized(string name) => char.ToUpperInvariant(name[0]) + name.Substring(1);
}
