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
        WriteStatistics(w, m);
        WriteRunningStatistics(w, m);
        WriteNormalize(w, m);
        WriteKernels(w, m);
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

                    w.WriteLine("UseRunningStatistics();");
                }
            }

            w.WriteLine();
            w.WriteLine("Normalize(input, output, batch);");
        }

        w.WriteLine();
    }

    private static void WriteStatistics(IndentedWriter w, LayerModel m)
    {
        w.WriteLine("""
            /// <summary>
            /// Batch statistics per channel in two passes: the first finds a float shift close to the mean, the second sums
            /// deviations and squared deviations from that shift (exact differences, double totals), which gives mean and
            /// variance without cancellation; then the coefficients of y = (x - shift) * scale + offset.
            /// </summary>
            private void ComputeBatchStatistics(global::System.ReadOnlySpan<float> input, int batch)
            {
            """);
        w.Indent();
        w.WriteLine($"ref float x = ref {MemoryMarshal}.GetReference(input);");
        w.WriteLine("double count = (double)batch * SlotLength;");
        w.WriteLine("global::System.Array.Clear(_sum);");
        w.WriteLine("global::System.Array.Clear(_deviation);");
        w.WriteLine("global::System.Array.Clear(_squares);");
        if (m.UsesColumns)
        {
            WriteColumnStatistics(w, m);
        }
        else
        {
            WritePlaneStatistics(w, m);
        }

        w.Unindent();
        w.WriteLine("}");
        w.WriteLine();
    }

    private static void WritePlaneStatistics(IndentedWriter w, LayerModel m)
    {
        w.WriteLine($$"""
            for (int n = 0; n < batch; n++)
            {
                ref float sample = ref {{Unsafe}}.Add(ref x, n * SampleSize);
                for (int c = 0; c < Slots; c++)
                {
                    SumPlane(ref {{Unsafe}}.Add(ref sample, c * SlotLength), out double sum);
                    _sum[c] += sum;
                }
            }

            for (int c = 0; c < Slots; c++)
            {
                _shift[c] = (float)(_sum[c] / count);
            }

            for (int n = 0; n < batch; n++)
            {
                ref float sample = ref {{Unsafe}}.Add(ref x, n * SampleSize);
                for (int c = 0; c < Slots; c++)
                {
                    SumDeviations(ref {{Unsafe}}.Add(ref sample, c * SlotLength), _shift[c], out double dev, out double sq);
                    _deviation[c] += dev;
                    _squares[c] += sq;
                }
            }

            """);
        WriteWeightBiasLocals(w, m);
        using (w.Block("for (int c = 0; c < Slots; c++)"))
        {
            WriteChannelCoefficients(w, m, "_sum[c]", "_deviation[c]", "_squares[c]", "_shift[c]");
            w.WriteLine("_scale[c] = (float)scale;");
            w.WriteLine("_offset[c] = (float)offset;");
        }
    }

    private static void WriteColumnStatistics(IndentedWriter w, LayerModel m)
    {
        bool unit = m.Plan.SlotLength == 1;
        w.WriteLine($$"""
            for (int n = 0; n < batch; n++)
            {
                SumColumns(ref {{Unsafe}}.Add(ref x, n * SampleSize), ref {{MemoryMarshal}}.GetArrayDataReference(_sum));
            }

            """);
        using (w.Block("for (int c = 0; c < Slots; c++)"))
        {
            if (unit)
            {
                w.WriteLine("_shift[c] = (float)(_sum[c] / count);");
            }
            else
            {
                w.WriteLine("int first = c * SlotLength;");
                w.WriteLine("float shift = (float)(SumPlaneColumns(_sum, first) / count);");
                w.WriteLine("global::System.Array.Fill(_shift, shift, first, SlotLength);");
            }
        }

        w.WriteLine($$"""

            for (int n = 0; n < batch; n++)
            {
                SumColumnDeviations(
                    ref {{Unsafe}}.Add(ref x, n * SampleSize),
                    ref {{MemoryMarshal}}.GetArrayDataReference(_shift),
                    ref {{MemoryMarshal}}.GetArrayDataReference(_deviation),
                    ref {{MemoryMarshal}}.GetArrayDataReference(_squares));
            }

            """);
        WriteWeightBiasLocals(w, m);
        using (w.Block("for (int c = 0; c < Slots; c++)"))
        {
            if (unit)
            {
                WriteChannelCoefficients(w, m, "_sum[c]", "_deviation[c]", "_squares[c]", "_shift[c]");
                w.WriteLine("_scale[c] = (float)scale;");
                w.WriteLine("_offset[c] = (float)offset;");
            }
            else
            {
                w.WriteLine("int first = c * SlotLength;");
                WriteChannelCoefficients(w, m, "SumPlaneColumns(_sum, first)", "SumPlaneColumns(_deviation, first)", "SumPlaneColumns(_squares, first)", "_shift[first]");
                w.WriteLine("global::System.Array.Fill(_scale, (float)scale, first, SlotLength);");
                w.WriteLine("global::System.Array.Fill(_offset, (float)offset, first, SlotLength);");
            }
        }

        if (!unit)
        {
            w.WriteLine();
            w.WriteLine($$"""
                static double SumPlaneColumns(double[] columns, int first)
                {
                    double total = 0;
                    for (int i = first; i < first + SlotLength; i++)
                    {
                        total += columns[i];
                    }

                    return total;
                }
                """);
        }
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

    /// <summary>Declares <c>scale</c> and <c>offset</c> (double) for channel <c>c</c> from the second-pass sums.</summary>
    private static void WriteChannelCoefficients(IndentedWriter w, LayerModel m, string sum, string deviation, string squares, string shift)
    {
        NormPlan p = m.Plan;
        w.WriteLine($"double deviation = {deviation};");
        w.WriteLine("double meanOffset = deviation / count; // mean - shift");
        w.WriteLine($"double m2 = global::System.Math.Max({squares} - deviation * meanOffset, 0.0); // sum of squared deviations from the mean");
        w.WriteLine("double variance = m2 / count; // biased, used for normalization");
        w.WriteLine(p.Eps == 0
            ? "double invStd = variance == 0 ? 0 : 1 / global::System.Math.Sqrt(variance); // PyTorch: 0 when var == 0 and eps == 0"
            : "double invStd = 1 / global::System.Math.Sqrt(variance + Eps);");
        w.WriteLine(p.HasAffine ? "double scale = weight[c] * invStd;" : "double scale = invStd;");
        w.WriteLine(p.HasBias ? "double offset = bias[c] - meanOffset * scale;" : "double offset = -meanOffset * scale;");
        w.WriteLine($"_saveMean[c] = {shift} + meanOffset;");
        w.WriteLine("_saveInvStd[c] = invStd;");
        if (p.TracksRunningStats)
        {
            w.WriteLine($"float shiftValue = {shift};");
            w.WriteLine($"// With Inf or NaN in the channel the shift is not finite; PyTorch's mean is then the plain sum's.");
            w.WriteLine($"_batchMean[c] = (float)(float.IsFinite(shiftValue) ? shiftValue + meanOffset : {sum} / count);");
            w.WriteLine("_batchVar[c] = (float)(m2 / (count - 1)); // unbiased, for running_var");
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
            using (w.Block("for (int c = 0; c < Slots; c++)"))
            {
                w.WriteLine("_runningMean[c] = (1f - momentum) * _runningMean[c] + momentum * _batchMean[c];");
                w.WriteLine("_runningVar[c] = (1f - momentum) * _runningVar[c] + momentum * _batchVar[c];");
            }
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
            using (w.Block("for (int c = 0; c < Slots; c++)"))
            {
                w.WriteLine("double invStd = 1 / global::System.Math.Sqrt(_runningVar[c] + Eps);");
                w.WriteLine("_saveMean[c] = _runningMean[c];");
                w.WriteLine("_saveInvStd[c] = invStd;");
                w.WriteLine(p.HasAffine ? "float scale = (float)(weight[c] * invStd);" : "float scale = (float)invStd;");
                w.WriteLine(p.HasBias ? "float offset = bias[c];" : "float offset = 0f;");
                if (m.UsesColumns && p.SlotLength > 1)
                {
                    w.WriteLine("int first = c * SlotLength;");
                    w.WriteLine("global::System.Array.Fill(_shift, _runningMean[c], first, SlotLength);");
                    w.WriteLine("global::System.Array.Fill(_scale, scale, first, SlotLength);");
                    w.WriteLine("global::System.Array.Fill(_offset, offset, first, SlotLength);");
                }
                else
                {
                    w.WriteLine("_shift[c] = _runningMean[c];");
                    w.WriteLine("_scale[c] = scale;");
                    w.WriteLine("_offset[c] = offset;");
                }
            }
        }

        w.WriteLine();
    }

    private static void WriteNormalize(IndentedWriter w, LayerModel m)
    {
        w.WriteLine("/// <summary>y = (x - shift) * scale + offset with the coefficients prepared for this call.</summary>");
        using (w.Block("private void Normalize(global::System.ReadOnlySpan<float> input, global::System.Span<float> output, int batch)"))
        {
            w.WriteLine($"ref float x = ref {MemoryMarshal}.GetReference(input);");
            w.WriteLine($"ref float y = ref {MemoryMarshal}.GetReference(output);");
            using (w.Block("for (int n = 0; n < batch; n++)"))
            {
                w.WriteLine("int start = n * SampleSize;");
                if (m.UsesColumns)
                {
                    w.WriteLine("NormalizeColumns(");
                    w.WriteLine($"    ref {Unsafe}.Add(ref x, start),");
                    w.WriteLine($"    ref {Unsafe}.Add(ref y, start),");
                    w.WriteLine($"    ref {MemoryMarshal}.GetArrayDataReference(_shift),");
                    w.WriteLine($"    ref {MemoryMarshal}.GetArrayDataReference(_scale),");
                    w.WriteLine($"    ref {MemoryMarshal}.GetArrayDataReference(_offset));");
                }
                else
                {
                    using (w.Block("for (int c = 0; c < Slots; c++)"))
                    {
                        w.WriteLine("int plane = start + (c * SlotLength);");
                        w.WriteLine($"NormalizePlane(ref {Unsafe}.Add(ref x, plane), ref {Unsafe}.Add(ref y, plane), _shift[c], _scale[c], _offset[c]);");
                    }
                }
            }
        }

        w.WriteLine();
    }

    private static void WriteKernels(IndentedWriter w, LayerModel m)
    {
        if (m.UsesColumns)
        {
            KernelEmitter.WriteColumnReduction(w, "SumColumns", ReductionKind.Sum, m.SampleSize, $"Adds one sample of {m.SampleSize} elements into per-element double sums.");
            w.WriteLine();
            KernelEmitter.WriteColumnReduction(w, "SumColumnDeviations", ReductionKind.Shifted, m.SampleSize, $"Adds the deviations of one sample of {m.SampleSize} elements from their shift, and their squares, into per-element double sums.");
            w.WriteLine();
            KernelEmitter.WriteColumnNormalize(w, "NormalizeColumns", m.SampleSize);
        }
        else
        {
            KernelEmitter.WritePlaneReduction(w, "SumPlane", ReductionKind.Sum, m.Plan.SlotLength, $"Sum of one plane of {m.Plan.SlotLength} elements (float partials flushed into a double total).");
            w.WriteLine();
            KernelEmitter.WritePlaneReduction(w, "SumDeviations", ReductionKind.Shifted, m.Plan.SlotLength, $"Sums of deviations from <paramref name=\"shift\"/> and of their squares over one plane of {m.Plan.SlotLength} elements.");
            w.WriteLine();
            KernelEmitter.WritePlaneNormalize(w, "NormalizePlane", m.Plan.SlotLength);
        }
    }
}
