using System;
using System.Linq;
using NormGen.Generator.Helpers;
using NormGen.Generator.Model;

namespace NormGen.Generator.Emit;

internal static partial class LayerEmitter
{
    private const string Unsafe = "global::System.Runtime.CompilerServices.Unsafe";
    private const string MemoryMarshal = "global::System.Runtime.InteropServices.MemoryMarshal";

    private static void WriteForwardOverloads(IndentedWriter w, LayerModel m)
    {
        NormPlan p = m.Plan;
        string check = p.Kind is LayerKind.LayerNorm or LayerKind.RmsNorm
            ? "global::NormGen.LayerChecks.RowShapes(input.Lengths, output.Lengths, input.IsDense, output.IsDense, SampleShape);"
            : $"global::NormGen.LayerChecks.TensorShapes(input.Lengths, output.Lengths, input.IsDense, output.IsDense, SampleShape, global::NormGen.RankRule.{RankRule(p)}, {(p.AcceptedRanks.Count > 0 ? "AcceptedRanks" : "default")}, \"{m.ClassName}\", global::NormGen.ChannelRule.{ChannelRule(p)});";
        string unbatched = p.Kind == LayerKind.InstanceNorm ? " (or one unbatched sample)" : "";
        w.WriteLine($$"""
            /// <summary>Applies the layer to <paramref name="input"/> of shape {{m.InputShapeText}}{{unbatched}} and returns a new output tensor of the same shape.</summary>
            /// <exception cref="global::System.ArgumentException">The input's shape does not fit {{m.InputShapeText}} (messages as PyTorch's), or statistics would be computed over a single value.</exception>
            public {{Tensor}}<float> Forward({{Tensor}}<float> input)
            {
                global::System.ArgumentNullException.ThrowIfNull(input);
                {{Tensor}}<float> output = {{Tensor}}.CreateFromShape<float>(input.Lengths);
                Forward(input.AsReadOnlyTensorSpan(), output.AsTensorSpan());
                return output;
            }

            /// <summary>Applies the layer to a dense tensor of shape {{m.InputShapeText}}{{unbatched}}, writing <paramref name="output"/> (same shape; may be the same memory as the input).</summary>
            /// <exception cref="global::System.ArgumentException">The rank or a dimension does not fit {{m.InputShapeText}} (messages as PyTorch's), the output's shape differs, a tensor is not dense, or statistics would be computed over a single value.</exception>
            public void Forward(global::System.Numerics.Tensors.ReadOnlyTensorSpan<float> input, global::System.Numerics.Tensors.TensorSpan<float> output)
            {
                {{check}}
                Forward(
                    {{MemoryMarshal}}.CreateReadOnlySpan(in input.GetPinnableReference(), (int)input.FlattenedLength),
                    {{MemoryMarshal}}.CreateSpan(ref output.GetPinnableReference(), (int)output.FlattenedLength));
            }

            """);
    }

    private static string RankRule(NormPlan p) => p.Kind switch
    {
        LayerKind.InstanceNorm => "ListedOrUnbatched",
        LayerKind.GroupNorm => "AtLeastTwo",
        LayerKind.LocalResponseNorm => "AtLeastThree",
        _ => "Listed",
    };

    private static string ChannelRule(NormPlan p) => p.Kind switch
    {
        LayerKind.BatchNorm when p.TracksRunningStats => "RunningMean",
        LayerKind.BatchNorm when p.HasAffine => "Weight",
        LayerKind.InstanceNorm when p.HasAffine => "InstanceNormAffine",
        LayerKind.GroupNorm when p.HasAffine => "GroupNormWeight",
        _ => "Specialized",
    };

    /// <summary>The XML documentation of the span overload of Forward.</summary>
    private static void WriteSpanForwardDocs(IndentedWriter w, LayerModel m, string extra)
    {
        string unit = m.Plan.Kind is LayerKind.LayerNorm or LayerKind.RmsNorm ? "the number of rows" : "N";
        w.WriteLine("/// <summary>");
        w.WriteLine($"/// Applies the layer to contiguous {m.InputShapeText} data; {unit} is <c>input.Length / SampleSize</c>. <paramref name=\"output\"/> has the");
        w.WriteLine("/// input's length and may be the same memory. A call that throws leaves the layer unchanged.");
        w.WriteLine("/// </summary>");
        w.WriteLine($"/// <exception cref=\"global::System.ArgumentException\">The input length is not a multiple of <see cref=\"SampleSize\"/>, the output length differs, or the spans overlap partially{extra}.</exception>");
    }

    /// <summary>BatchNorm: statistics per channel over the whole batch.</summary>
    private static void WriteBatchScopeForward(IndentedWriter w, LayerModel m)
    {
        WriteBatchForwardCore(w, m);
        WriteEstimateShifts(w, m);
        WriteStatistics(w, m);
        WriteStatisticsBlock(w, m);
        WriteRecomputeChannel(w, m);
        WriteRunningStatistics(w, m);
        WriteNormalize(w, m);
        WriteKernels(w, m);
        w.WriteLine();
    }

    private static void WriteBatchForwardCore(IndentedWriter w, LayerModel m)
    {
        NormPlan p = m.Plan;
        bool tracks = p.TracksRunningStats;
        WriteSpanForwardDocs(w, m, ", or batch statistics are needed and there is only one value per channel");
        using (w.Block("public void Forward(global::System.ReadOnlySpan<float> input, global::System.Span<float> output)"))
        {
            w.WriteLine("int batch = global::NormGen.LayerChecks.BatchSize(input, output, SampleSize, SampleShape);");
            if (tracks)
            {
                w.WriteLine("if (Training)");
            }
            else
            {
                w.WriteLine("// No running statistics: batch statistics in training and eval mode alike (as PyTorch).");
            }

            using (w.Block(""))
            {
                if (p.SlotLength == 1)
                {
                    using (w.Block("if (batch == 1)"))
                    {
                        w.WriteLine("global::NormGen.LayerChecks.ThrowSingleValuePerChannel(batch, SampleShape);");
                    }
                }

                if (tracks)
                {
                    w.WriteLine("_numBatchesTracked[0]++;");
                }

                w.WriteLine("_savedBatch = batch;");
                w.WriteLine("_savedBatchStatistics = true;");

                using (w.Block("if (batch == 0)"))
                {
                    w.WriteLine("return;");
                }

                w.WriteLine();
                w.WriteLine("PlanBlocks(batch);");
                w.WriteLine("ComputeBatchStatistics(input, batch);");
                if (tracks)
                {
                    w.WriteLine("UpdateRunningStatistics();");
                }
            }

            if (tracks)
            {
                using (w.Block("else"))
                {
                    w.WriteLine("_savedBatch = batch;");
                    w.WriteLine("_savedBatchStatistics = false;");
                    using (w.Block("if (batch == 0)"))
                    {
                        w.WriteLine("return;");
                    }

                    w.WriteLine();
                    w.WriteLine("PlanBlocks(batch);");
                    w.WriteLine("UseRunningStatistics();");
                }
            }

            w.WriteLine();
            w.WriteLine("Normalize(input, output);");
        }

        w.WriteLine();
    }

    /// <summary>Planes longer than <see cref="ShiftRuns"/> x <see cref="ShiftRunLength"/> take their shift from that many values.</summary>
    private const int ShiftRuns = 16;

    private const int ShiftRunLength = 64;

    /// <summary>The shift of the one-pass statistics: per channel, the mean of its values in the first samples.</summary>
    private static void WriteEstimateShifts(IndentedWriter w, LayerModel m)
    {
        if (m.UsesColumns || m.Plan.SlotLength <= ShiftRuns * ShiftRunLength)
        {
            w.WriteLine($$"""
                /// <summary>Samples whose values give each channel's shift (at least 16 values per channel).</summary>
                private const int ShiftSamples = {{m.ShiftSamples}};

                /// <summary>
                /// The shift of each channel for the one-pass statistics: the mean of its values in the first
                /// <see cref="ShiftSamples"/> samples, a float close to the channel's mean for all but adversarial data.
                /// </summary>
                """);
        }
        else
        {
            w.WriteLine("""
                /// <summary>
                /// The shift of each channel for the one-pass statistics: the mean of values spread over its plane in the first
                /// sample, a float close to the channel's mean for all but adversarial data.
                /// </summary>
                """);
        }

        if (m.UsesColumns)
        {
            using (w.Block("private void EstimateShifts(global::System.ReadOnlySpan<float> input, int batch)"))
            {
                w.WriteLine("int samples = global::System.Math.Min(batch, ShiftSamples);");
                w.WriteLine("global::System.Span<float> totals = _shift;");
                w.WriteLine("input.Slice(0, SampleSize).CopyTo(totals);");
                using (w.Block("for (int n = 1; n < samples; n++)"))
                {
                    w.WriteLine("global::System.Numerics.Tensors.TensorPrimitives.Add(totals, input.Slice(n * SampleSize, SampleSize), totals);");
                }

                w.WriteLine();
                if (m.Plan.SlotLength == 1)
                {
                    w.WriteLine("global::System.Numerics.Tensors.TensorPrimitives.Divide(totals, (float)samples, totals);");
                }
                else
                {
                    using (w.Block("for (int c = 0; c < Slots; c++)"))
                    {
                        w.WriteLine("int first = c * SlotLength;");
                        w.WriteLine("double total = 0;");
                        using (w.Block("for (int i = first; i < first + SlotLength; i++)"))
                        {
                            w.WriteLine("total += totals[i];");
                        }

                        w.WriteLine("totals.Slice(first, SlotLength).Fill((float)(total / ((double)samples * SlotLength)));");
                    }
                }
            }
        }
        else if (m.Plan.SlotLength > ShiftRuns * ShiftRunLength)
        {
            // Long planes: runs spread over the first sample's plane are enough for a shift, and cost a fraction of a pass.
            int stride = (m.Plan.SlotLength - ShiftRunLength) / (ShiftRuns - 1);
            using (w.Block("private void EstimateShifts(ref float x, int batch)"))
            {
                w.WriteLine($"// {ShiftRuns} runs of {ShiftRunLength} values, {stride} apart, across each channel's plane in the first sample.");
                using (w.Block("for (int c = 0; c < Slots; c++)"))
                {
                    w.WriteLine($"ref float plane = ref {Unsafe}.Add(ref x, c * SlotLength);");
                    w.WriteLine("double total = 0;");
                    using (w.Block($"for (int k = 0; k < {ShiftRuns}; k++)"))
                    {
                        w.WriteLine($"total += global::System.Numerics.Tensors.TensorPrimitives.Sum({MemoryMarshal}.CreateReadOnlySpan(ref {Unsafe}.Add(ref plane, k * {stride}), {ShiftRunLength}));");
                    }

                    w.WriteLine();
                    w.WriteLine($"_shift[c] = (float)(total / {ShiftRuns * ShiftRunLength});");
                }
            }
        }
        else
        {
            using (w.Block("private void EstimateShifts(ref float x, int batch)"))
            {
                w.WriteLine("int samples = global::System.Math.Min(batch, ShiftSamples);");
                w.WriteLine("double count = (double)samples * SlotLength;");
                using (w.Block("for (int c = 0; c < Slots; c++)"))
                {
                    w.WriteLine("double total = 0;");
                    using (w.Block("for (int n = 0; n < samples; n++)"))
                    {
                        w.WriteLine($"SumPlane(ref {Unsafe}.Add(ref x, (n * SampleSize) + (c * SlotLength)), out double sum);");
                        w.WriteLine("total += sum;");
                    }

                    w.WriteLine();
                    w.WriteLine("_shift[c] = (float)(total / count);");
                }
            }
        }

        w.WriteLine();
    }

    private static void WriteStatistics(IndentedWriter w, LayerModel m)
    {
        bool unit = m.Plan.SlotLength == 1;
        w.WriteLine("""
            /// <summary>
            /// Batch statistics per channel in one pass over the input: the sums of deviations and squared deviations from a
            /// float shift near the mean (<see cref="EstimateShifts"/>), in float partials flushed into double, per block. When
            /// the shift lies within one standard deviation of the mean, at most half of the squared deviations is the shift's
            /// offset, so the variance keeps its accuracy; a channel whose shift is farther off (or that holds Inf or NaN) is
            /// redone in two passes (<see cref="RecomputeChannel"/>). Then the coefficients of y = (x - shift) * scale + offset.
            /// </summary>
            private void ComputeBatchStatistics(global::System.ReadOnlySpan<float> input, int batch)
            {
            """);
        w.Indent();
        w.WriteLine($"ref float x = ref {MemoryMarshal}.GetReference(input);");
        w.WriteLine(m.UsesColumns ? "EstimateShifts(input, batch);" : "EstimateShifts(ref x, batch);");
        if (m.Strategy == BatchStrategy.SmallPlanes)
        {
            WriteColumnShifts(w, m, "_shift");
        }

        w.WriteLine("RunBlocks(StatisticsPass, input, default, default);");
        w.WriteLine();
        w.WriteLine("double count = (double)batch * SlotLength;");
        WriteBlockTotals(w, m);
        w.WriteLine("// Channels whose shift was too far from the mean (or whose sums are not finite) are redone in two passes.");
        w.WriteLine($"global::System.ReadOnlySpan<double> deviations = {SlotsSpan("_totalA")}, squares = {SlotsSpan("_totalB")};");
        using (w.Block("for (int c = global::NormGen.ChannelMath.NextToRedo(deviations, squares, count, 0); c < Slots; c = global::NormGen.ChannelMath.NextToRedo(deviations, squares, count, c + 1))"))
        {
            w.WriteLine("RecomputeChannel(ref x, batch, c, out _totalA[c], out _totalB[c]);");
        }

        if (m.UsesColumns && !unit)
        {
            w.WriteLine();
            using (w.Block("for (int c = 0; c < Slots; c++)"))
            {
                w.WriteLine("_channelShift[c] = _shift[c * SlotLength];");
            }
        }

        w.WriteLine();
        WriteWeightBiasLocals(w, m);
        NormPlan p = m.Plan;
        bool expand = m.UsesColumns && !unit;
        string shift = expand ? "_channelShift" : SlotsSpan("_shift");
        string scale = expand ? "_channelScale" : SlotsSpan("_scale");
        string offset = expand ? "_channelOffset" : SlotsSpan("_offset");
        w.WriteLine($"global::NormGen.ChannelMath.BatchCoefficients(deviations, squares, {shift},");
        w.WriteLine($"    {(p.HasAffine ? "weight" : "default")}, {(p.HasBias ? "bias" : "default")}, count, Eps, _saveMean, _saveInvStd,");
        w.WriteLine($"    {(p.TracksRunningStats ? "_batchMean, _batchVar" : "default, default")}, {scale}, {offset});");
        if (expand)
        {
            WriteExpandChannels(w, ("_channelScale", "_scale"), ("_channelOffset", "_offset"));
        }

        w.Unindent();
        w.WriteLine("}");
        w.WriteLine();
    }

    /// <summary>A span of the first <c>Slots</c> entries of <paramref name="array"/>.</summary>
    private static string SlotsSpan(string array) => $"global::System.MemoryExtensions.AsSpan({array}, 0, Slots)";

    /// <summary>
    /// <c>_totalA</c> and <c>_totalB</c>: the partial sums of the blocks added up, per channel (per element for columns,
    /// then added per channel in place).
    /// </summary>
    private static void WriteBlockTotals(IndentedWriter w, LayerModel m)
    {
        w.WriteLine("global::NormGen.ChannelMath.SumBlocks(_partialA, _blocks, PartialLength, _totalA);");
        w.WriteLine("global::NormGen.ChannelMath.SumBlocks(_partialB, _blocks, PartialLength, _totalB);");
        if (m.UsesColumns && m.Plan.SlotLength > 1)
        {
            w.WriteLine("// Per element, then per channel: channel c's total goes to index c, which no later channel reads.");
            using (w.Block("for (int c = 0; c < Slots; c++)"))
            {
                w.WriteLine("int first = c * SlotLength;");
                w.WriteLine("double a = 0, b = 0;");
                using (w.Block("for (int i = first; i < first + SlotLength; i++)"))
                {
                    w.WriteLine("a += _totalA[i];");
                    w.WriteLine("b += _totalB[i];");
                }

                w.WriteLine("_totalA[c] = a;");
                w.WriteLine("_totalB[c] = b;");
            }
        }

        w.WriteLine();
    }

    /// <summary>Columns with several elements per channel: copies per-channel values to every element of their channel.</summary>
    private static void WriteExpandChannels(IndentedWriter w, params (string From, string To)[] arrays)
    {
        using (w.Block("for (int c = 0; c < Slots; c++)"))
        {
            foreach ((string from, string to) in arrays)
            {
                w.WriteLine($"global::System.Array.Fill({to}, {from}[c], c * SlotLength, SlotLength);");
            }
        }
    }

    /// <summary>One block of the statistics pass, per strategy.</summary>
    private static void WriteStatisticsBlock(IndentedWriter w, LayerModel m)
    {
        w.WriteLine("/// <summary>One block of the statistics pass: per channel, Σ(x - shift) and Σ(x - shift)² over samples [start, end).</summary>");
        w.WriteLine(BlockMethodAttribute);
        using (w.Block("private void StatisticsBlock(global::System.ReadOnlySpan<float> input, int start, int end, int block, int worker)"))
        {
            w.WriteLine($"ref float x = ref {MemoryMarshal}.GetReference(input);");
            switch (m.Strategy)
            {
                case BatchStrategy.Columns:
                    w.WriteLine($$"""
                        global::System.Array.Clear(_partialA, block * PartialLength, SampleSize);
                        global::System.Array.Clear(_partialB, block * PartialLength, SampleSize);
                        ref double dev = ref _partialA[block * PartialLength];
                        ref double sq = ref _partialB[block * PartialLength];
                        for (int n = start; n < end; n += {{m.StatisticsRows}})
                        {
                            int rows = global::System.Math.Min({{m.StatisticsRows}}, end - n);
                            SumColumnDeviations(ref {{Unsafe}}.Add(ref x, n * SampleSize), ref {{MemoryMarshal}}.GetArrayDataReference(_shift), rows, ref dev, ref sq);
                        }
                        """);
                    break;
                case BatchStrategy.SmallPlanes:
                    WriteSegmentSums(w, m, "SumSegmentDeviations", "x", "_shift", "dev", "sq");
                    WriteSmallPlaneSums(w, m.StatisticsRows, "SumColumnDeviations", "ref {0}.Add(ref x, at)", "dev", "sq");
                    break;
                default:
                    WriteSegmentSums(w, m, "SumSegmentDeviations", "x", "_shift", "dev", "sq");
                    w.WriteLine($$"""
                        global::System.Span<double> dev = global::System.MemoryExtensions.AsSpan(_partialA, block * PartialLength, Slots);
                        global::System.Span<double> sq = global::System.MemoryExtensions.AsSpan(_partialB, block * PartialLength, Slots);
                        dev.Clear();
                        sq.Clear();
                        for (int n = start; n < end; n++)
                        {
                            ref float sample = ref {{Unsafe}}.Add(ref x, n * SampleSize);
                            for (int c = 0; c < Slots; c++)
                            {
                                SumDeviations(ref {{Unsafe}}.Add(ref sample, c * SlotLength), _shift[c], out double d, out double q);
                                dev[c] += d;
                                sq[c] += q;
                            }
                        }
                        """);
                    break;
            }
        }

        w.WriteLine();
    }

    /// <summary>
    /// For <see cref="LayerModel.SegmentSums"/>: the Vector512 (and, for <see cref="LayerModel.SegmentSums256"/>,
    /// Vector256) body of a sums block, which returns: each sample of [start, end) in order through the segment kernel
    /// <paramref name="kernel"/> (or <c>{kernel}256</c>; inputs <paramref name="inputs"/>, comma-separated refs, at the
    /// sample's start), into the block's per-channel partials.
    /// </summary>
    private static void WriteSegmentSums(IndentedWriter w, LayerModel m, string kernel, string inputs, string shifts, string first, string second)
    {
        if (!m.SegmentSums)
        {
            return;
        }

        string args = string.Join(", ", inputs.Split(',').Select(i => $"ref {Unsafe}.Add(ref {i.Trim()}, n * SampleSize)"));
        string call = $"({args}, ref {MemoryMarshal}.GetArrayDataReference({shifts}), ref {first}Sums, ref {second}Sums);";
        using (w.Block($"if ({SegmentWidths(m)})"))
        {
            w.WriteLine($$"""
                ref double {{first}}Sums = ref _partialA[block * PartialLength];
                ref double {{second}}Sums = ref _partialB[block * PartialLength];
                global::System.Array.Clear(_partialA, block * PartialLength, Slots);
                global::System.Array.Clear(_partialB, block * PartialLength, Slots);
                """);
            if (m.SegmentSums256)
            {
                using (w.Block($"if ({Use512})"))
                using (w.Block("for (int n = start; n < end; n++)"))
                {
                    w.WriteLine(kernel + call);
                }

                using (w.Block("else"))
                using (w.Block("for (int n = start; n < end; n++)"))
                {
                    w.WriteLine(kernel + "256" + call);
                }
            }
            else
            {
                using (w.Block("for (int n = start; n < end; n++)"))
                {
                    w.WriteLine(kernel + call);
                }
            }

            w.WriteLine();
            w.WriteLine("return;");
        }

        w.WriteLine();
    }

    /// <summary>
    /// For <see cref="LayerModel.SegmentSums"/>: the segment kernel <paramref name="name"/> (Vector512) and, for
    /// <see cref="LayerModel.SegmentSums256"/>, <c>{name}256</c>, each followed by a blank line; <paramref name="summary"/>
    /// gets the width appended.
    /// </summary>
    private static void WriteSegmentKernels(IndentedWriter w, LayerModel m, string name, ReductionKind kind, string summary)
    {
        if (!m.SegmentSums)
        {
            return;
        }

        KernelEmitter.WriteSegmentSums(w, VectorWidth.All[0], name, kind, m.Plan.SlotLength, m.Plan.Slots, summary + " (Vector512).");
        w.WriteLine();
        if (m.SegmentSums256)
        {
            KernelEmitter.WriteSegmentSums(w, VectorWidth.All[1], name + "256", kind, m.Plan.SlotLength, m.Plan.Slots, summary + " (Vector256).");
            w.WriteLine();
        }
    }

    /// <summary>The run-time condition under which the segment kernels run (<see cref="WriteSegmentSums"/>).</summary>
    private static string SegmentWidths(LayerModel m) => m.SegmentSums256 ? Use512Or256 : Use512;

    /// <summary>The run-time condition of the kernels that have Vector512 and Vector256 bodies.</summary>
    private const string Use512Or256 = "global::NormGen.SimdMath.Use512 || global::NormGen.SimdMath.Use256";

    /// <summary>The run-time condition of the Vector512-only kernels.</summary>
    private const string Use512 = "global::NormGen.SimdMath.Use512";

    /// <summary>
    /// Small planes: the per-element copy of the shifts that the column kernels read (not needed by the segment
    /// kernels, which read the per-channel shifts, so skipped where they run for <see cref="LayerModel.SegmentSums"/>).
    /// </summary>
    private static void WriteColumnShifts(IndentedWriter w, LayerModel m, string shifts)
    {
        if (m.SegmentSums)
        {
            using (w.Block($"if (!({SegmentWidths(m)})) // the segment kernels read the per-channel shifts"))
            {
                WriteExpandCoefficients(w, shifts);
            }
        }
        else
        {
            WriteExpandCoefficients(w, shifts);
        }
    }

    /// <summary>
    /// The body of a small-plane sums block: whole samples column by column (<paramref name="rows"/> per kernel call) into this thread's
    /// per-element double totals, which are folded per channel into the block's partial sums at the end. The kernel's
    /// shift argument is the per-element copy of the shifts in <c>_elementCoefficients</c>.
    /// </summary>
    private static void WriteSmallPlaneSums(IndentedWriter w, int rows, string kernel, string inputs, string first, string second)
    {
        string args = string.Format(System.Globalization.CultureInfo.InvariantCulture, inputs, Unsafe);
        w.WriteLine($$"""
            double[] totals = _workerTotals[worker];
            global::System.Array.Clear(totals);
            ref double {{first}}Totals = ref {{MemoryMarshal}}.GetArrayDataReference(totals);
            ref double {{second}}Totals = ref {{Unsafe}}.Add(ref {{first}}Totals, SampleSize);
            for (int n = start; n < end; n += {{rows}})
            {
                int at = n * SampleSize;
                {{kernel}}({{args}}, ref {{MemoryMarshal}}.GetArrayDataReference(_elementCoefficients), global::System.Math.Min({{rows}}, end - n), ref {{first}}Totals, ref {{second}}Totals);
            }

            // Per channel: the totals of its elements.
            global::System.Span<double> {{first}} = global::System.MemoryExtensions.AsSpan(_partialA, block * PartialLength, Slots);
            global::System.Span<double> {{second}} = global::System.MemoryExtensions.AsSpan(_partialB, block * PartialLength, Slots);
            global::NormGen.ChannelMath.SumSegments(global::System.MemoryExtensions.AsSpan(totals, 0, SampleSize), SlotLength, {{first}});
            global::NormGen.ChannelMath.SumSegments(global::System.MemoryExtensions.AsSpan(totals, SampleSize, SampleSize), SlotLength, {{second}});
            """);
    }

    /// <summary>The two-pass fallback for one channel.</summary>
    private static void WriteRecomputeChannel(IndentedWriter w, LayerModel m)
    {
        w.WriteLine("""
            /// <summary>
            /// Channel <paramref name="c"/> in two passes, for data whose estimated shift was too far from the mean or not
            /// finite: the plain sum gives a shift at the mean, then the sums of deviations from it are exact.
            /// </summary>
            """);
        using (w.Block("private void RecomputeChannel(ref float x, int batch, int c, out double deviation, out double squares)"))
        {
            if (m.UsesColumns)
            {
                w.WriteLine($$"""
                    int first = c * SlotLength;
                    double sum = 0;
                    for (int n = 0; n < batch; n++)
                    {
                        for (int i = first; i < first + SlotLength; i++)
                        {
                            sum += {{Unsafe}}.Add(ref x, (n * SampleSize) + i);
                        }
                    }

                    float shift = (float)(sum / ((double)batch * SlotLength));
                    global::System.Array.Fill(_shift, shift, first, SlotLength);
                    deviation = 0;
                    squares = 0;
                    for (int n = 0; n < batch; n++)
                    {
                        for (int i = first; i < first + SlotLength; i++)
                        {
                            double d = (double){{Unsafe}}.Add(ref x, (n * SampleSize) + i) - shift;
                            deviation += d;
                            squares += d * d;
                        }
                    }
                    """);
            }
            else
            {
                w.WriteLine($$"""
                    double sum = 0;
                    for (int n = 0; n < batch; n++)
                    {
                        SumPlane(ref {{Unsafe}}.Add(ref x, (n * SampleSize) + (c * SlotLength)), out double s);
                        sum += s;
                    }

                    float shift = (float)(sum / ((double)batch * SlotLength));
                    _shift[c] = shift;
                    deviation = 0;
                    squares = 0;
                    for (int n = 0; n < batch; n++)
                    {
                        SumDeviations(ref {{Unsafe}}.Add(ref x, (n * SampleSize) + (c * SlotLength)), shift, out double d, out double q);
                        deviation += d;
                        squares += q;
                    }
                    """);
            }
        }

        w.WriteLine();
    }

    private static void WriteWeightBiasLocals(IndentedWriter w, LayerModel m)
    {
        if (m.Plan.HasAffine)
        {
            w.WriteLine("global::System.Span<float> weight = Weight.DataSpan;");
        }

        if (m.Plan.HasBias)
        {
            w.WriteLine("global::System.Span<float> bias = Bias.DataSpan;");
        }
    }

    private static void WriteRunningStatistics(IndentedWriter w, LayerModel m)
    {
        NormPlan p = m.Plan;
        if (!p.TracksRunningStats)
        {
            return;
        }

        w.WriteLine("/// <summary>running = (1 - m) * running + m * batch, in float like PyTorch's CPU kernel.</summary>");
        using (w.Block("private void UpdateRunningStatistics()"))
        {
            w.WriteLine(p.RunningStats == RunningStatsKind.Cumulative
                ? "float momentum = (float)(1.0 / _numBatchesTracked[0]); // cumulative moving average (PyTorch's momentum=None)"
                : "const float momentum = (float)Momentum;");
            w.WriteLine($"global::NormGen.ChannelMath.UpdateRunning({SlotsSpan("_runningMean")}, _batchMean, momentum);");
            w.WriteLine($"global::NormGen.ChannelMath.UpdateRunning({SlotsSpan("_runningVar")}, _batchVar, momentum);");
        }

        w.WriteLine();
        WriteUseRunningStatistics(w, m);
    }

    /// <summary>Eval mode with running statistics: per-channel coefficients shared by every sample.</summary>
    private static void WriteUseRunningStatistics(IndentedWriter w, LayerModel m)
    {
        NormPlan p = m.Plan;
        w.WriteLine("/// <summary>Eval mode: normalize with the running statistics, y = (x - running_mean) * weight / sqrt(running_var + eps) + bias.</summary>");
        using (w.Block("private void UseRunningStatistics()"))
        {
            WriteWeightBiasLocals(w, m);
            bool expand = m.UsesColumns && p.SlotLength > 1;
            string shift = expand ? "_channelShift" : SlotsSpan("_shift");
            string scale = expand ? "_channelScale" : SlotsSpan("_scale");
            string offset = expand ? "_channelOffset" : SlotsSpan("_offset");
            w.WriteLine($"global::NormGen.ChannelMath.RunningCoefficients({SlotsSpan("_runningMean")}, {SlotsSpan("_runningVar")},");
            w.WriteLine($"    {(p.HasAffine ? "weight" : "default")}, {(p.HasBias ? "bias" : "default")}, Eps, {SlotsSpan("_saveMean")}, {SlotsSpan("_saveInvStd")}, {shift}, {scale}, {offset});");
            if (expand)
            {
                WriteExpandChannels(w, ("_channelShift", "_shift"), ("_channelScale", "_scale"), ("_channelOffset", "_offset"));
            }
        }

        w.WriteLine();
    }

    /// <summary>The normalization pass (batch statistics or running statistics), block by block.</summary>
    private static void WriteNormalize(IndentedWriter w, LayerModel m)
    {
        bool expand = m.Strategy == BatchStrategy.SmallPlanes;
        w.WriteLine("/// <summary>y = (x - shift) * scale + offset with the coefficients prepared for this call, block by block (blocks planned by the caller).</summary>");
        using (w.Block("private void Normalize(global::System.ReadOnlySpan<float> input, global::System.Span<float> output)"))
        {
            if (expand)
            {
                WriteExpandForElementwise(w, m, "_shift", "_scale", "_offset");
                w.WriteLine();
            }

            if (m.AlignedColumns)
            {
                w.WriteLine($"_stagedAt = global::NormGen.AlignedStores.Stage(_staged, SampleSize, ref {MemoryMarshal}.GetReference(output), _shift, _scale, _offset);");
            }

            w.WriteLine("RunBlocks(NormalizePass, input, default, output);");
        }

        w.WriteLine();
        w.WriteLine(m.Strategy == BatchStrategy.SmallPlanes
            ? $"/// <summary>One block of the normalization pass: samples [start, end), {KernelEmitter.ElementwiseRows} at a time, last first.</summary>"
            : m.AlignedColumns
            ? "/// <summary>One block of the normalization pass: samples [start, end), two at a time, last first.</summary>"
            : "/// <summary>One block of the normalization pass: samples [start, end), last first.</summary>");
        w.WriteLine(BlockMethodAttribute);
        using (w.Block("private void NormalizeBlock(global::System.ReadOnlySpan<float> input, global::System.Span<float> output, int start, int end)"))
        {
            w.WriteLine($"ref float x = ref {MemoryMarshal}.GetReference(input);");
            w.WriteLine($"ref float y = ref {MemoryMarshal}.GetReference(output);");
            WriteElementwiseBlockBody(w, m, "Normalize", new[] { "x", "y" }, new[] { "_shift", "_scale", "_offset" }, m.Streaming ? "_streamingNormalize" : null);
        }

        w.WriteLine();
    }

    /// <summary>
    /// Small planes: the per-element coefficients the element-wise pass reads, unless the permuted Vector512 kernels run,
    /// which read the per-channel arrays themselves.
    /// </summary>
    private static void WriteExpandForElementwise(IndentedWriter w, LayerModel m, params string[] arrays)
    {
        if (!m.PermutedElementwise)
        {
            WriteExpandCoefficients(w, arrays);
            return;
        }

        using (w.Block($"if (!({Use512Or256})) // the permuted kernels read the per-channel coefficients"))
        {
            WriteExpandCoefficients(w, arrays);
        }
    }

    /// <summary>
    /// The loops of an element-wise block (normalization, input gradient) over samples [start, end), last first, per
    /// strategy: <c>{stem}ColumnRows</c> over a few samples at a time (small planes), <c>{stem}Columns</c> per sample
    /// (columns), or <c>{stem}Plane</c> per (sample, channel) plane with that channel's coefficients.
    /// </summary>
    /// <param name="streaming">
    /// For layers with streaming kernels (<c>LayerModel.Streaming</c>): the run-time condition under which the block calls
    /// <c>{stem}SampleStreaming</c> (or <c>{stem}PermutedStreaming</c>) instead and ends with a store fence; null for none.
    /// </param>
    private static void WriteElementwiseBlockBody(IndentedWriter w, LayerModel m, string stem, string[] tensors, string[] coefficients, string? streaming)
    {
        string At(string offset) => string.Join(", ", tensors.Select(t => $"ref {Unsafe}.Add(ref {t}, {offset})"));
        if (m.PermutedElementwise)
        {
            using (w.Block($"if ({Use512Or256})"))
            {
                void WriteSamples(string kernel)
                {
                    using (w.Block("for (int n = end - 1; n >= start; n--)"))
                    {
                        w.WriteLine("int at = n * SampleSize;");
                        w.WriteLine($"{kernel}({At("at")}, {string.Join(", ", coefficients.Select(a => $"ref {MemoryMarshal}.GetArrayDataReference({a})"))});");
                    }
                }

                if (streaming is not null && m.StreamingPermuted)
                {
                    using (w.Block($"if ({streaming})"))
                    {
                        WriteSamples(stem + "PermutedStreaming");
                        w.WriteLine();
                        w.WriteLine("global::NormGen.SimdMath.StreamingFence(); // this thread's streaming stores before the pass ends");
                        w.WriteLine("return;");
                    }

                    w.WriteLine();
                }

                WriteSamples(stem + "Permuted");
                w.WriteLine("return;");
            }

            w.WriteLine();
        }

        if (m.Strategy == BatchStrategy.SmallPlanes)
        {
            using (w.Block($"for (int n = end; n > start; n -= {KernelEmitter.ElementwiseRows})"))
            {
                w.WriteLine($"int first = global::System.Math.Max(start, n - {KernelEmitter.ElementwiseRows});");
                w.WriteLine("int at = first * SampleSize;");
                w.WriteLine($"{stem}ColumnRows({At("at")}, {string.Join(", ", ElementCoefficients(m, coefficients))}, n - first);");
            }
        }
        else if (m.AlignedColumns)
        {
            // Short samples of whole vectors: two per call, each vector of the per-element coefficients (a few KiB,
            // staying in L1) loaded once for both; a first sample left over goes alone.
            w.WriteLine("int n = end;");
            using (w.Block("for (; n - 2 >= start; n -= 2)"))
            {
                w.WriteLine("int at = (n - 2) * SampleSize;");
                w.WriteLine($"{stem}ColumnPair({At("at")}, {string.Join(", ", ElementCoefficients(m, coefficients))});");
            }

            w.WriteLine();
            using (w.Block("if (n > start)"))
            {
                w.WriteLine("int at = start * SampleSize;");
                w.WriteLine($"{stem}Columns({At("at")}, {string.Join(", ", ElementCoefficients(m, coefficients))});");
            }
        }
        else if (m.UsesColumns)
        {
            // Short samples: one flat kernel per sample, its per-element coefficients (a few KiB) staying in L1.
            using (w.Block("for (int n = end - 1; n >= start; n--)"))
            {
                w.WriteLine("int at = n * SampleSize;");
                w.WriteLine($"{stem}Columns({At("at")}, {string.Join(", ", ElementCoefficients(m, coefficients))});");
            }
        }
        else
        {
            void WritePlanes(string kernel)
            {
                using (w.Block("for (int n = end - 1; n >= start; n--)"))
                using (w.Block("for (int c = 0; c < Slots; c++)"))
                {
                    w.WriteLine("int at = (n * SampleSize) + (c * SlotLength);");
                    w.WriteLine($"{kernel}({At("at")}, {string.Join(", ", coefficients.Select(a => a + "[c]"))});");
                }
            }

            if (streaming is not null && m.StreamingSamples)
            {
                using (w.Block($"if (({Use512Or256}) && {streaming})"))
                {
                    using (w.Block("for (int n = end - 1; n >= start; n--)"))
                    {
                        w.WriteLine("int at = n * SampleSize;");
                        w.WriteLine($"{stem}SampleStreaming({At("at")}, {string.Join(", ", coefficients.Select(a => $"ref {MemoryMarshal}.GetArrayDataReference({a})"))});");
                    }

                    w.WriteLine();
                    w.WriteLine("global::NormGen.SimdMath.StreamingFence(); // this thread's streaming stores before the pass ends");
                    w.WriteLine("return;");
                }

                w.WriteLine();
            }

            WritePlanes(stem + "Plane");
        }
    }

    /// <summary>
    /// <c>ref</c> arguments for the per-element coefficients of a flat kernel: the per-element arrays themselves for
    /// columns; for small planes, consecutive sample-sized parts of <c>_elementCoefficients</c>, which
    /// <see cref="WriteExpandCoefficients"/> filled from the per-channel arrays.
    /// </summary>
    private static string[] ElementCoefficients(LayerModel m, params string[] arrays)
    {
        var refs = new string[arrays.Length];
        for (int i = 0; i < arrays.Length; i++)
        {
            refs[i] = m.AlignedColumns
                ? (i == 0 ? "ref _staged[_stagedAt]" : $"ref _staged[_stagedAt + ({i} * StageStride)]")
                : m.UsesColumns
                ? $"ref {MemoryMarshal}.GetArrayDataReference({arrays[i]})"
                : i == 0 ? $"ref {MemoryMarshal}.GetArrayDataReference(_elementCoefficients)" : $"ref _elementCoefficients[{i} * SampleSize]";
        }

        return refs;
    }

    /// <summary>Small planes: copies per-channel coefficients into consecutive sample-sized parts of <c>_elementCoefficients</c>.</summary>
    private static void WriteExpandCoefficients(IndentedWriter w, params string[] arrays)
    {
        w.WriteLine("// Per-element copies of the per-channel coefficients, for the flat kernel over whole samples.");
        using (w.Block("for (int c = 0; c < Slots; c++)"))
        {
            w.WriteLine("int first = c * SlotLength;");
            for (int i = 0; i < arrays.Length; i++)
            {
                string at = i == 0 ? "first" : $"({i} * SampleSize) + first";
                w.WriteLine($"global::System.Array.Fill(_elementCoefficients, {arrays[i]}[c], {at}, SlotLength);");
            }
        }
    }

    private static void WriteKernels(IndentedWriter w, LayerModel m)
    {
        NormPlan p = m.Plan;
        switch (m.Strategy)
        {
            case BatchStrategy.Columns:
                KernelEmitter.WriteColumnRows(w, "SumColumnDeviations", ReductionKind.Shifted, m.SampleSize, $"Adds the deviations from their shifts of up to {m.StatisticsRows} samples of {m.SampleSize} elements, and their squares, into per-element double sums.", m.AlignedColumns);
                w.WriteLine();
                KernelEmitter.WriteColumnNormalize(w, "NormalizeColumns", m.SampleSize, m.AlignedColumns);
                if (m.AlignedColumns)
                {
                    w.WriteLine();
                    KernelEmitter.WriteColumnPairNormalize(w, "NormalizeColumnPair", m.SampleSize);
                }

                break;
            case BatchStrategy.SmallPlanes:
                KernelEmitter.WritePlaneReduction(w, "SumPlane", ReductionKind.Sum, p.SlotLength, $"Sum of one plane of {p.SlotLength} elements (float partials flushed into a double total).");
                w.WriteLine();
                KernelEmitter.WritePlaneReduction(w, "SumDeviations", ReductionKind.Shifted, p.SlotLength, $"Sums of deviations from <paramref name=\"shift\"/> and of their squares over one plane of {p.SlotLength} elements.");
                w.WriteLine();
                WriteSegmentKernels(w, m, "SumSegmentDeviations", ReductionKind.Shifted, $"Adds the deviations from their channel's shift of the {p.Slots} planes of {p.SlotLength} elements of one sample, and their squares, into per-channel double sums");

                KernelEmitter.WriteColumnRows(w, "SumColumnDeviations", ReductionKind.Shifted, m.SampleSize, $"Adds the deviations from their shifts of up to {m.StatisticsRows} samples of {m.SampleSize} elements, and their squares, into per-element double sums.");
                w.WriteLine();
                KernelEmitter.WriteColumnRowsNormalize(w, "NormalizeColumnRows", m.SampleSize);
                WritePermutedNormalize(w, m);
                break;
            default:
                KernelEmitter.WritePlaneReduction(w, "SumPlane", ReductionKind.Sum, p.SlotLength, $"Sum of one plane of {p.SlotLength} elements (float partials flushed into a double total).");
                w.WriteLine();
                KernelEmitter.WritePlaneReduction(w, "SumDeviations", ReductionKind.Shifted, p.SlotLength, $"Sums of deviations from <paramref name=\"shift\"/> and of their squares over one plane of {p.SlotLength} elements.");
                w.WriteLine();
                WriteSegmentKernels(w, m, "SumSegmentDeviations", ReductionKind.Shifted, $"Adds the deviations from their channel's shift of the {p.Slots} planes of {p.SlotLength} elements of one sample, and their squares, into per-channel double sums");

                KernelEmitter.WritePlaneNormalize(w, "NormalizePlane", p.SlotLength);
                if (m.StreamingSamples)
                {
                    w.WriteLine();
                    KernelEmitter.WriteSampleStreaming(w, "NormalizeSample", p.SlotLength, p.Slots, "ref float x, ref float y", "y", new[] { "shift", "scale", "offset" }, NormalizeVectorValue);
                }

                WritePermutedNormalize(w, m);
                break;
        }
    }


    /// <summary>The normalization of the vector at <c>at</c> from the coefficient vectors of the permuted and sample kernels.</summary>
    private static string NormalizeVectorValue(VectorWidth v, string at) =>
        $"{v.Type}.MultiplyAddEstimate({v.Type}.LoadUnsafe(ref x, {at}) - shiftVector, scaleVector, offsetVector)";

    /// <summary>
    /// The Vector512 and Vector256 normalization over whole samples with permuted per-channel coefficients, and its index
    /// tables. Its streaming variant has both widths: on the AVX2-only guests of docs/performance.md streaming y on
    /// Vector256 measured slower than plain stores on 2026-12-03 (bench/results/ab-streaming-256: 14x14 training forward
    /// 1.75x -> 2.23x a copy), before the periods were written out, and faster on 2026-12-06
    /// (bench/results/ab-sample-lines/round3-permuted256: 14x14 1.82x -> 1.56x, 7x7 2.09x -> 1.73x).
    /// </summary>
    private static void WritePermutedNormalize(IndentedWriter w, LayerModel m)
    {
        if (!m.PermutedElementwise)
        {
            return;
        }

        w.WriteLine();
        string[] coefficients = { "shift", "scale", "offset" };
        KernelEmitter.WritePermutedElementwise(w, "NormalizePermuted", m.Plan.SlotLength, m.Plan.Slots, "ref float x, ref float y", "y", coefficients, NormalizeVectorValue, "PermuteIndex", streaming: m.StreamingPermuted);
        w.WriteLine();
        KernelEmitter.WritePermuteIndexTable(w, "PermuteIndex", m.Plan.SlotLength, 16);
        w.WriteLine();
        KernelEmitter.WritePermuteIndexTable(w, "PermuteIndex256", m.Plan.SlotLength, 8);
    }
}
