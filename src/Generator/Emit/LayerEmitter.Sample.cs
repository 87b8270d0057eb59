using NormGen.Generator.Helpers;
using NormGen.Generator.Model;

namespace NormGen.Generator.Emit;

internal static partial class LayerEmitter
{
    /// <summary>
    /// InstanceNorm, GroupNorm, LayerNorm, RMSNorm: statistics per sample and slot. Each slot is reduced and then
    /// normalized at once, while it is still in cache.
    /// </summary>
    private static void WriteSampleScopeForward(IndentedWriter w, LayerModel m)
    {
        NormPlan p = m.Plan;
        bool tracks = p.TracksRunningStats;
        string rule = p.Kind switch
        {
            LayerKind.InstanceNorm => ", or instance statistics are needed and there is only one spatial element",
            LayerKind.GroupNorm when p.SlotLength == 1 => ", or there is only one value per group",
            _ => "",
        };
        WriteSpanForwardDocs(w, m, rule);
        using (w.Block("public void Forward(global::System.ReadOnlySpan<float> input, global::System.Span<float> output)"))
        {
            w.WriteLine("int batch = global::NormGen.LayerChecks.BatchSize(input, output, SampleSize, SampleShape);");
            if (tracks)
            {
                using (w.Block("if (!Training)"))
                {
                    w.WriteLine("// Eval mode with running statistics: the same per-channel coefficients for every sample.");
                    w.WriteLine("EnsureSavedCapacity(1);");
                    w.WriteLine("_savedBatch = batch;");
                    w.WriteLine("_savedBatchStatistics = false;");
                    w.WriteLine("PlanBlocks(batch);");
                    w.WriteLine("UseRunningStatistics();");
                    w.WriteLine("Normalize(input, output);");
                    w.WriteLine("return;");
                }

                w.WriteLine();
            }

            if (p.Kind == LayerKind.InstanceNorm && p.SlotLength == 1)
            {
                w.WriteLine("// One spatial element: instance statistics are undefined (PyTorch raises whatever N is).");
                w.WriteLine("global::NormGen.LayerChecks.ThrowSingleSpatialElement(batch, SampleShape);");
            }
            else if (p.Kind == LayerKind.GroupNorm && p.SlotLength == 1)
            {
                using (w.Block("if (batch == 1)"))
                {
                    w.WriteLine("global::NormGen.LayerChecks.ThrowSingleValuePerGroup(batch, NumChannels, NumGroups, global::System.MemoryExtensions.AsSpan(SampleShape, 1));");
                }
            }

            w.WriteLine("EnsureSavedCapacity(batch);");
            w.WriteLine("_savedBatch = batch;");
            if (tracks)
            {
                w.WriteLine("_savedBatchStatistics = true;");
            }

            using (w.Block("if (batch == 0)"))
            {
                w.WriteLine("return;");
            }

            w.WriteLine();
            w.WriteLine("PlanBlocks(batch);");
            w.WriteLine("RunBlocks(SamplesPass, input, default, output);");
            if (tracks)
            {
                w.WriteLine("UpdateRunningStatistics(batch);");
            }
        }

        w.WriteLine();
        w.WriteLine($$"""
            /// <summary>Grows the saved statistics to <paramref name="batch"/> samples (allocates only when the batch grows).</summary>
            private void EnsureSavedCapacity(int batch)
            {
                if (_saveMean.Length < batch * Slots)
                {
                    _saveMean = new double[batch * Slots];
                    _saveInvStd = new double[batch * Slots];
                }
            }

            """);
        WriteNormalizeSamples(w, m);
        if (tracks)
        {
            w.WriteLine("/// <summary>running = (1 - m) * running + m * (mean over the batch of the per-sample statistics), as PyTorch's InstanceNorm.</summary>");
            using (w.Block("private void UpdateRunningStatistics(int batch)"))
            {
                w.WriteLine("const float momentum = (float)Momentum;");
                using (w.Block("for (int c = 0; c < Slots; c++)"))
                {
                    w.WriteLine("_runningMean[c] = (1f - momentum) * _runningMean[c] + momentum * (float)(SumOverBlocks(_partialA, c) / batch);");
                    w.WriteLine("_runningVar[c] = (1f - momentum) * _runningVar[c] + momentum * (float)(SumOverBlocks(_partialB, c) / batch);");
                }
            }

            w.WriteLine();
            WriteUseRunningStatistics(w, m);
            WriteNormalize(w, m);
        }

        if (p.SubtractMean)
        {
            KernelEmitter.WritePlaneReduction(w, "SumPlane", ReductionKind.Sum, p.SlotLength, $"Sum of one slot of {p.SlotLength} elements (float partials flushed into a double total).");
            w.WriteLine();
        }

        KernelEmitter.WritePlaneReduction(w, "SumDeviations", ReductionKind.Shifted, p.SlotLength, $"Sums of deviations from <paramref name=\"shift\"/> and of their squares over one slot of {p.SlotLength} elements.");
        if (m.ElementwiseAffine)
        {
            w.WriteLine();
            KernelEmitter.WriteElementwiseAffine(w, "NormalizeElementwise", p.SlotLength, p.HasBias, NextSlotPrefetch);
            if (m.StreamingRows)
            {
                w.WriteLine();
                KernelEmitter.WriteElementwiseAffineStreaming(w, "NormalizeElementwise", p.SlotLength, p.HasBias, NextSlotPrefetch);
            }
        }

        if (m.SlotKernels)
        {
            w.WriteLine();
            KernelEmitter.WriteSlotNormalize(w, "NormalizeSlot", p.AffineBlock, p.SlotLength / p.AffineBlock, m.StreamingSlots);
        }
        else if (!m.ElementwiseAffine || tracks)
        {
            w.WriteLine();
            // With running statistics the kernel is shared with the eval path, which has no next slot to prefetch.
            KernelEmitter.WritePlaneNormalize(w, "NormalizePlane", tracks ? p.SlotLength : p.AffineBlock, tracks ? null : NextSlotPrefetch);
        }
    }

    private static void WriteNormalizeSamples(IndentedWriter w, LayerModel m)
    {
        NormPlan p = m.Plan;
        int blocks = p.SlotLength / p.AffineBlock;
        w.WriteLine("/// <summary>");
        w.WriteLine("/// One block of samples [start, end): per sample and slot, the statistics while the slot is in cache (the sums of");
        w.WriteLine("/// deviations from a float shift near the mean, in one pass, or two when the shift is off), then normalization.");
        w.WriteLine("/// </summary>");
        w.WriteLine(BlockMethodAttribute);
        using (w.Block("private void NormalizeSamplesBlock(global::System.ReadOnlySpan<float> input, global::System.Span<float> output, int start, int end, int block)"))
        {
            w.WriteLine($"ref float x = ref {MemoryMarshal}.GetReference(input);");
            w.WriteLine($"ref float y = ref {MemoryMarshal}.GetReference(output);");
            WriteWeightBiasLocals(w, m);
            if (p.TracksRunningStats)
            {
                w.WriteLine("global::System.Span<double> meanSum = global::System.MemoryExtensions.AsSpan(_partialA, block * PartialLength, Slots);");
                w.WriteLine("global::System.Span<double> varSum = global::System.MemoryExtensions.AsSpan(_partialB, block * PartialLength, Slots);");
                w.WriteLine("meanSum.Clear();");
                w.WriteLine("varSum.Clear();");
            }

            if (m.StreamingRows)
            {
                w.WriteLine("bool streams = _streamingNormalize && (global::NormGen.SimdMath.Use512 || global::NormGen.SimdMath.Use256); // NormalizeElementwiseStreaming (see LayerModel.StreamingRows)");
            }

            if (m.SlotKernels)
            {
                w.WriteLine($"global::System.Span<float> planeScale = stackalloc float[{Literals.Int(blocks)}]; // per plane of a slot, for NormalizeSlot");
                w.WriteLine($"global::System.Span<float> planeOffset = stackalloc float[{Literals.Int(blocks)}];");
                if (m.StreamingSlots)
                {
                    w.WriteLine("bool streams = _streamingNormalize && (global::NormGen.SimdMath.Use512 || global::NormGen.SimdMath.Use256); // NormalizeSlotStreaming (see LayerModel.StreamingSlots)");
                }
            }

            using (w.Block("for (int n = start; n < end; n++)"))
            using (w.Block("for (int s = 0; s < Slots; s++)"))
            {
                w.WriteLine("int first = (n * SampleSize) + (s * SlotLength);");
                w.WriteLine($"ref float slot = ref {Unsafe}.Add(ref x, first);");
                if (p.SubtractMean)
                {
                    int estimate = System.Math.Min(16, p.SlotLength);
                    w.WriteLine($"// One pass, shifted by the mean of the slot's first {estimate} values; redone in two passes (the plain sum's mean as");
                    w.WriteLine("// the shift) when that shift is farther than a standard deviation from the mean, or the sums are not finite.");
                    w.WriteLine(estimate == 16
                        ? "float shift = global::NormGen.SimdMath.Mean16(ref slot);"
                        : $"float shift = global::System.Numerics.Tensors.TensorPrimitives.Sum({MemoryMarshal}.CreateReadOnlySpan(ref slot, {estimate})) / {estimate};");
                    w.WriteLine("SumDeviations(ref slot, shift, out double deviation, out double squares);");
                    w.WriteLine("double sum = 0; // the plain sum: computed (and needed) only for a slot that is redone");
                    using (w.Block("if (!(double.IsFinite(squares) && 2 * deviation * deviation <= squares * SlotLength))"))
                    {
                        w.WriteLine("SumPlane(ref slot, out sum);");
                        w.WriteLine("shift = (float)(sum / SlotLength);");
                        w.WriteLine("SumDeviations(ref slot, shift, out deviation, out squares);");
                    }

                    w.WriteLine("double meanOffset = deviation / SlotLength; // mean - shift");
                    w.WriteLine("double m2 = global::System.Math.Max(squares - deviation * meanOffset, 0.0); // sum of squared deviations from the mean");
                    // InstanceNorm runs through PyTorch's batch_norm, whose inverse std is 0 for var == 0 and eps == 0;
                    // LayerNorm and GroupNorm compute 1 / sqrt(var + eps) as is (a constant slot with eps = 0 gives NaN).
                    w.WriteLine(p.Eps == 0 && p.Kind == LayerKind.InstanceNorm
                        ? "double invStd = m2 == 0 ? 0 : 1 / global::System.Math.Sqrt(m2 / SlotLength); // PyTorch: 0 when var == 0 and eps == 0"
                        : "double invStd = 1 / global::System.Math.Sqrt(m2 / SlotLength + Eps);");
                    w.WriteLine("// With Inf or NaN in the slot the shift is not finite; PyTorch's mean is then the plain sum's.");
                    w.WriteLine("double mean = float.IsFinite(shift) ? shift + meanOffset : sum / SlotLength;");
                    w.WriteLine("_saveMean[(n * Slots) + s] = mean;");
                    w.WriteLine("_saveInvStd[(n * Slots) + s] = invStd;");
                    if (p.TracksRunningStats)
                    {
                        w.WriteLine("meanSum[s] += mean;");
                        w.WriteLine("varSum[s] += m2 / (SlotLength - 1); // unbiased, for running_var");
                    }
                }
                else
                {
                    w.WriteLine("// RMSNorm: no centering; the shift is 0, so the squares are the plain sum of x^2.");
                    w.WriteLine("const float shift = 0f;");
                    w.WriteLine("const double meanOffset = 0;");
                    w.WriteLine("SumDeviations(ref slot, shift, out _, out double squares);");
                    w.WriteLine("double invStd = 1 / global::System.Math.Sqrt(squares / SlotLength + Eps);");
                    w.WriteLine("_saveMean[(n * Slots) + s] = 0;");
                    w.WriteLine("_saveInvStd[(n * Slots) + s] = invStd;");
                }

                // The slot kernels do not prefetch in the forward (measured slower with it, see LayerModel.SlotKernels).
                bool prefetch = (m.ElementwiseAffine || !p.TracksRunningStats) && !m.SlotKernels;
                if (prefetch)
                {
                    w.WriteLine("int next = (n + 1 < end || s + 1 < Slots) ? first + SlotLength : first; // the slot after this one, prefetched while this one is written");
                }

                string ahead = prefetch ? $", ref {Unsafe}.Add(ref x, next)" : "";
                if (m.ElementwiseAffine)
                {
                    string weight = $"ref weight[s * SlotLength]";
                    string bias = p.HasBias ? ", ref bias[s * SlotLength]" : "";
                    string call = $"(ref slot, ref {Unsafe}.Add(ref y, first), shift, (float)invStd, (float)(-meanOffset * invStd), {weight}{bias}{ahead});";
                    WriteStreamingOrPlain(w, m.StreamingRows, "NormalizeElementwise", kernel => w.WriteLine(kernel + call));
                }
                else if (blocks == 1)
                {
                    WriteBlockCoefficients(w, p, "s");
                    w.WriteLine($"NormalizePlane(ref slot, ref {Unsafe}.Add(ref y, first), shift, (float)scale, (float)offset{ahead});");
                }
                else if (m.SlotKernels)
                {
                    using (w.Block($"for (int b = 0; b < {blocks}; b++)"))
                    {
                        w.WriteLine($"int a = (s * {blocks}) + b; // channel");
                        WriteBlockCoefficients(w, p, "a");
                        w.WriteLine("planeScale[b] = (float)scale;");
                        w.WriteLine("planeOffset[b] = (float)offset;");
                    }

                    string call = $"(ref slot, ref {Unsafe}.Add(ref y, first), shift, ref planeScale[0], ref planeOffset[0]);";
                    WriteStreamingOrPlain(w, m.StreamingSlots, "NormalizeSlot", kernel => w.WriteLine(kernel + call));
                }
                else
                {
                    using (w.Block($"for (int b = 0; b < {blocks}; b++)"))
                    {
                        w.WriteLine($"int a = (s * {blocks}) + b; // channel");
                        WriteBlockCoefficients(w, p, "a");
                        w.WriteLine($"int at = first + (b * {p.AffineBlock});");
                        w.WriteLine(prefetch
                            ? $"NormalizePlane(ref {Unsafe}.Add(ref x, at), ref {Unsafe}.Add(ref y, at), shift, (float)scale, (float)offset, ref {Unsafe}.Add(ref x, next + (b * {p.AffineBlock})));"
                            : $"NormalizePlane(ref {Unsafe}.Add(ref x, at), ref {Unsafe}.Add(ref y, at), shift, (float)scale, (float)offset);");
                    }
                }
            }

            if (m.StreamingSlots || m.StreamingRows)
            {
                w.WriteLine();
                using (w.Block("if (streams)"))
                {
                    w.WriteLine("global::NormGen.SimdMath.StreamingFence(); // this thread's streaming stores before the pass ends");
                }
            }
        }

        w.WriteLine();
    }

    /// <summary>
    /// The extra parameter of the per-sample element-wise kernels: the same part of the next slot to be processed, whose
    /// cache lines the kernel prefetches while it writes this one (see <c>KernelEmitter.WritePrefetches</c>).
    /// </summary>
    private static readonly string[] NextSlotPrefetch = ["next"];

    /// <summary>
    /// The call of a per-sample kernel that may have a streaming variant: with <paramref name="hasStreaming"/>,
    /// <c>if (streams) {kernel}Streaming(...) else {kernel}(...)</c> (the caller declares <c>streams</c>), else the plain
    /// call; <paramref name="call"/> writes the call for the kernel name it is given.
    /// </summary>
    private static void WriteStreamingOrPlain(IndentedWriter w, bool hasStreaming, string kernel, System.Action<string> call)
    {
        if (!hasStreaming)
        {
            call(kernel);
            return;
        }

        using (w.Block("if (streams)"))
        {
            call(kernel + "Streaming");
        }

        using (w.Block("else"))
        {
            call(kernel);
        }
    }

    private static void WriteBlockCoefficients(IndentedWriter w, NormPlan p, string index)
    {
        w.WriteLine(p.HasAffine ? $"double scale = weight[{index}] * invStd;" : "double scale = invStd;");
        w.WriteLine(p.HasBias ? $"double offset = bias[{index}] - meanOffset * scale;" : "double offset = -meanOffset * scale;");
    }

    /// <summary>LocalResponseNorm: a window of neighbouring channels at every position.</summary>
    private static void WriteChannelWindowForward(IndentedWriter w, LayerModel m)
    {
        WriteSpanForwardDocs(w, m, "");
        w.WriteLine($$"""
            public void Forward(global::System.ReadOnlySpan<float> input, global::System.Span<float> output)
            {
                int batch = global::NormGen.LayerChecks.BatchSize(input, output, SampleSize, SampleShape);
                _savedBatch = batch;
                for (int n = 0; n < batch; n++)
                {
                    int start = n * SampleSize;
                    global::System.ReadOnlySpan<float> sample = input.Slice(start, SampleSize);
                    global::System.Numerics.Tensors.TensorPrimitives.Multiply(sample, sample, _squares);
                    NormalizeSample(sample, output.Slice(start, SampleSize), _squares);
                }
            }

            /// <summary>
            /// b = a * (K + Alpha / Size * (sum of a^2 over the window))^-Beta per position, the window zero-padded at the
            /// edges (PyTorch pads ⌊Size/2⌋ channels before and ⌊(Size-1)/2⌋ after; the divisor is always Size). Sums in double.
            /// </summary>
            private static void NormalizeSample(global::System.ReadOnlySpan<float> x, global::System.Span<float> y, global::System.ReadOnlySpan<float> squares)
            {
                for (int c = 0; c < NumChannels; c++)
                {
                    int first = global::System.Math.Max(0, c - (Size / 2));
                    int last = global::System.Math.Min(NumChannels - 1, c + ((Size - 1) / 2));
                    for (int i = 0; i < SlotLength; i++)
                    {
                        double sum = 0;
                        for (int j = first; j <= last; j++)
                        {
                            sum += squares[(j * SlotLength) + i];
                        }

                        int at = (c * SlotLength) + i;
                        y[at] = (float)(x[at] * global::System.Math.Pow(K + (Alpha / Size * sum), -Beta));
                    }
                }
            }
            """);
    }
}
