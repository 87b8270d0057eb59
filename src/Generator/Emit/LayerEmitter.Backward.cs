using System;
using NormGen.Generator.Helpers;
using NormGen.Generator.Model;

namespace NormGen.Generator.Emit;

/// <summary>
/// The backward pass. With g = dy * weight and x̂ = (x - mean) * invStd over one statistic slot of n elements
/// (for BatchNorm: over the whole batch), PyTorch's formulas reduce to
/// <c>dx = invStd * (g - mean(g) - x̂ * mean(g * x̂))</c> (RMSNorm: no <c>mean(g)</c> term, x̂ = x * invStd),
/// <c>dweight += Σ dy * x̂</c> and <c>dbias += Σ dy</c>. With running statistics (eval) the statistics are constants:
/// <c>dx = dy * weight * invStd</c>. Each slot takes one reduction pass (Σg and Σg·(x - shift) in double) and one
/// element-wise pass <c>dx = dy * a + (x - shift) * b + c</c>.
/// </summary>
internal static partial class LayerEmitter
{
    /// <summary>
    /// The extra parameters of the per-sample backward's element-wise kernels: the same part of the next slot's input
    /// and output gradient, whose cache lines the kernel prefetches while it writes this slot. With the samples of a block
    /// walked last first, LayerNorm(768)'s backward measured 3.2-4.5x a copy without it in a scratch driver, 1.75-2.5x
    /// with it.
    /// </summary>
    private static readonly string[] NextSlotInputs = ["nextX", "nextDy"];

    /// <summary>
    /// Samples shorter than this many bytes are walked first to last in each block of the per-sample backward (the blocks
    /// still run last first, so the backward starts on what the forward touched last); longer ones last first. Walked
    /// last first, samples shorter than a 4 KB page make every run of addresses a few lines long, which the hardware
    /// prefetchers do not follow: LayerNorm(768), 3 KB rows, measured its forward+backward 4.13-4.37x a copy last first
    /// and 3.83-4.06x first to last; GroupNorm(32, 256) on 14x14 planes, 200 KB samples, 2.85-2.95x last first and
    /// 3.15-3.24x first to last (three alternating rounds each, bench/results/ab-prefetch). The threshold lies between
    /// the two measured sizes.
    /// </summary>
    private const int ForwardRowsBelowBytes = 4096;

    private static void WriteSavedStatisticsFields(IndentedWriter w, LayerModel m)
    {
        NormPlan p = m.Plan;
        if (p.Scope == StatisticsScope.ChannelWindow)
        {
            w.WriteLine($$"""
                // Backward: the batch size of the last Forward (-1: none), and scratch for the window terms.
                private int _savedBatch = -1;
                private readonly double[] _powers = new double[{{m.SampleSize}}];
                private readonly double[] _terms = new double[{{m.SampleSize}}];

                """);
            return;
        }

        string size = p.Scope == StatisticsScope.Batch ? Literals.Int(p.Slots) : "0";
        string scope = p.Scope == StatisticsScope.Batch ? "per channel" : "per sample and slot, grown to the largest batch seen";
        w.WriteLine($$"""
            // Saved by Forward for Backward ({{scope}}): mean and inverse standard deviation, and the batch size (-1: no Forward yet).
            private double[] _saveMean = new double[{{size}}];
            private double[] _saveInvStd = new double[{{size}}];
            private int _savedBatch = -1;
            """);
        if (p.Scope == StatisticsScope.Batch || p.TracksRunningStats)
        {
            w.WriteLine("private bool _savedBatchStatistics; // batch statistics (true) or running statistics (false)");
        }

        w.WriteLine();
        if (p.Scope == StatisticsScope.Batch || p.TracksRunningStats)
        {
            string scratch = m.UsesColumns ? "per element of a sample" : m.PermutedElementwise ? "per channel, padded by one vector" : "per channel";
            int length = m.UsesColumns ? m.SampleSize : m.ChannelArrayLength;
            w.WriteLine($$"""
                // Backward scratch ({{scratch}}): the shift and the coefficients of dx = dy * a + (x - shift) * b + c.
                private readonly float[] _gradShift = new float[{{length}}];
                private readonly float[] _gradA = new float[{{length}}];
                private readonly float[] _gradB = new float[{{length}}];
                private readonly float[] _gradC = new float[{{length}}];

                """);
        }

        if (p.Scope == StatisticsScope.Sample && m.ElementwiseAffine)
        {
            w.WriteLine("""
                // Backward scratch per block: the block's weight (and bias) gradients, added to Weight.Grad in block order.
                private float[] _partialWeightGrad = [];
            """ + (p.HasBias ? "    private float[] _partialBiasGrad = [];\n" : ""));
        }
    }

    private static void WriteBackward(IndentedWriter w, LayerModel m)
    {
        NormPlan p = m.Plan;
        string check = p.Kind is LayerKind.LayerNorm or LayerKind.RmsNorm
            ? "global::NormGen.LayerChecks.RowShapes(input.Lengths, gradInput.Lengths, input.IsDense, gradInput.IsDense, SampleShape);"
            : $"global::NormGen.LayerChecks.TensorShapes(input.Lengths, gradInput.Lengths, input.IsDense, gradInput.IsDense, SampleShape, global::NormGen.RankRule.{RankRule(p)}, {(p.AcceptedRanks.Count > 0 ? "AcceptedRanks" : "default")}, \"{m.ClassName}\", global::NormGen.ChannelRule.{ChannelRule(p)});";
        string accumulates = p.HasAffine ? " Adds the parameter gradients into <c>Weight.Grad</c>" + (p.HasBias ? " and <c>Bias.Grad</c>" : "") + ", as PyTorch's autograd accumulates." : "";
        w.WriteLine($$"""
            /// <summary>
            /// Backward pass of the last Forward: writes the gradient of the loss with respect to <paramref name="input"/> into
            /// <paramref name="gradInput"/> (overwritten), given the gradient <paramref name="gradOutput"/> of the output.{{accumulates}}
            /// Uses the statistics that Forward saved (batch statistics in training mode, running statistics in eval mode).
            /// </summary>
            /// <exception cref="global::System.ArgumentException">The lengths do not match the input of Forward.</exception>
            /// <exception cref="global::System.InvalidOperationException">No Forward, or the last Forward had a different batch size.</exception>
            public void Backward(global::System.ReadOnlySpan<float> input, global::System.ReadOnlySpan<float> gradOutput, global::System.Span<float> gradInput)
            {
                int batch = global::NormGen.LayerChecks.BatchSize(input, gradInput, SampleSize, SampleShape);
                global::NormGen.LayerChecks.Backward(gradOutput.Length, input.Length, batch, _savedBatch);
                if (batch == 0)
                {
                    return;
                }

                BackwardCore(input, gradOutput, gradInput, batch);
            }

            /// <summary>Backward pass on dense tensors of the input's shape; see the span overload.</summary>
            /// <exception cref="global::System.ArgumentException">A shape does not match, or a tensor is not dense.</exception>
            /// <exception cref="global::System.InvalidOperationException">No Forward, or the last Forward had a different batch size.</exception>
            public void Backward(global::System.Numerics.Tensors.ReadOnlyTensorSpan<float> input, global::System.Numerics.Tensors.ReadOnlyTensorSpan<float> gradOutput, global::System.Numerics.Tensors.TensorSpan<float> gradInput)
            {
                {{check}}
                global::NormGen.LayerChecks.GradientShape(input.Lengths, gradOutput.Lengths, gradOutput.IsDense);
                Backward(
                    {{MemoryMarshal}}.CreateReadOnlySpan(in input.GetPinnableReference(), (int)input.FlattenedLength),
                    {{MemoryMarshal}}.CreateReadOnlySpan(in gradOutput.GetPinnableReference(), (int)gradOutput.FlattenedLength),
                    {{MemoryMarshal}}.CreateSpan(ref gradInput.GetPinnableReference(), (int)gradInput.FlattenedLength));
            }

            """);

        switch (p.Scope)
        {
            case StatisticsScope.Batch:
                WritePerChannelBackward(w, m, perSample: false);
                break;
            case StatisticsScope.Sample:
                WriteSampleBackward(w, m);
                break;
            default:
                WriteWindowBackward(w);
                break;
        }
    }

    /// <summary>
    /// BatchNorm (and InstanceNorm in eval mode with running statistics): per-channel statistics shared by every
    /// sample. Pass 1 reduces per channel over all samples (block partials); pass 2 writes dx. Both run block by block.
    /// </summary>
    private static void WritePerChannelBackward(IndentedWriter w, LayerModel m, bool perSample)
    {
        NormPlan p = m.Plan;
        bool unit = p.SlotLength == 1;
        string name = perSample ? "BackwardWithRunningStatistics" : "BackwardCore";
        w.WriteLine(perSample
            ? "/// <summary>Backward with the running statistics of eval mode: per-channel constants, no statistics terms.</summary>"
            : "/// <summary>Backward with per-channel statistics over the whole batch (or the running statistics in eval mode).</summary>");
        using (w.Block($"private void {name}(global::System.ReadOnlySpan<float> input, global::System.ReadOnlySpan<float> gradOutput, global::System.Span<float> gradInput, int batch)"))
        {
            w.WriteLine("PlanBlocks(batch);");
            using (w.Block("for (int c = 0; c < Slots; c++)"))
            {
                w.WriteLine(m.UsesColumns && !unit ? "global::System.Array.Fill(_gradShift, (float)_saveMean[c], c * SlotLength, SlotLength);" : "_gradShift[c] = (float)_saveMean[c];");
            }

            w.WriteLine();
            if (m.Strategy == BatchStrategy.SmallPlanes)
            {
                WriteColumnShifts(w, m, "_gradShift");
                w.WriteLine();
            }

            w.WriteLine("RunBlocks(GradientSumsPass, input, gradOutput, default);");
            WriteGradLocals(w, p);
            w.WriteLine("double count = (double)batch * SlotLength;");
            WriteBlockTotals(w, m);
            bool expand = m.UsesColumns && !unit;
            string a = expand ? "_channelShift" : SlotsSpan("_gradA");
            string b = expand ? "_channelScale" : SlotsSpan("_gradB");
            string c = expand ? "_channelOffset" : SlotsSpan("_gradC");
            if (expand)
            {
                w.WriteLine("// a, b and c per channel in the per-channel scratch, then per element.");
            }

            w.WriteLine($"global::NormGen.ChannelMath.GradientCoefficients({SlotsSpan("_totalA")}, {SlotsSpan("_totalB")}, {SlotsSpan("_saveMean")}, {SlotsSpan("_saveInvStd")},");
            w.WriteLine($"    {(p.HasAffine ? "weight, weightGrad" : "default, default")}, {(p.HasBias ? "biasGrad" : "default")}, count, {(perSample ? "false" : "_savedBatchStatistics")}, {a}, {b}, {c});");
            if (expand)
            {
                WriteExpandChannels(w, ("_channelShift", "_gradA"), ("_channelScale", "_gradB"), ("_channelOffset", "_gradC"));
            }

            w.WriteLine();
            if (m.Strategy == BatchStrategy.SmallPlanes)
            {
                WriteExpandForElementwise(w, m, "_gradShift", "_gradA", "_gradB", "_gradC");
                w.WriteLine();
            }

            if (m.AlignedColumns)
            {
                w.WriteLine($"_stagedAt = global::NormGen.AlignedStores.Stage(_staged, SampleSize, ref {MemoryMarshal}.GetReference(gradInput), _gradShift, _gradA, _gradB, _gradC);");
            }

            w.WriteLine("RunBlocks(GradInputPass, input, gradOutput, gradInput);");
        }

        w.WriteLine();
        WriteGradientSumsBlock(w, m);
        WriteGradInputBlock(w, m);
        switch (m.Strategy)
        {
            case BatchStrategy.Columns:
                KernelEmitter.WriteColumnRows(w, "SumColumnGradients", ReductionKind.Gradient, m.SampleSize, $"Adds dy and dy * (x - shift) of up to {m.GradientSumRows} samples of {m.SampleSize} elements into per-element double sums.", m.AlignedColumns);
                w.WriteLine();
                KernelEmitter.WriteGradInputColumns(w, "GradInputColumns", m.SampleSize, m.AlignedColumns);
                w.WriteLine();
                if (m.AlignedColumns)
                {
                    KernelEmitter.WriteColumnPairGradInput(w, "GradInputColumnPair", m.SampleSize);
                    w.WriteLine();
                }

                break;
            case BatchStrategy.SmallPlanes:
                KernelEmitter.WriteColumnRows(w, "SumColumnGradients", ReductionKind.Gradient, m.SampleSize, $"Adds dy and dy * (x - shift) of up to {m.GradientSumRows} samples of {m.SampleSize} elements into per-element double sums.");
                w.WriteLine();
                WriteSegmentKernels(w, m, "SumSegmentGradients", ReductionKind.Gradient, $"Adds Σdy and Σdy·(x - shift) of each of the {p.Slots} planes of {p.SlotLength} elements of one sample into per-channel double sums");

                KernelEmitter.WriteColumnRowsGradInput(w, "GradInputColumnRows", m.SampleSize);
                w.WriteLine();
                WritePermutedGradInput(w, m);
                break;
            default:
                if (!perSample)
                {
                    KernelEmitter.WritePlaneReduction(w, "GradientSums", ReductionKind.Gradient, p.SlotLength, $"Σdy and Σdy·(x - shift) over one plane of {p.SlotLength} elements (float partials flushed into double totals).");
                    w.WriteLine();
                    WriteSegmentKernels(w, m, "SumSegmentGradients", ReductionKind.Gradient, $"Adds Σdy and Σdy·(x - shift) of each of the {p.Slots} planes of {p.SlotLength} elements of one sample into per-channel double sums");

                    KernelEmitter.WriteGradInputPlane(w, "GradInputPlane", p.SlotLength);
                    w.WriteLine();
                    if (m.StreamingSamples)
                    {
                        KernelEmitter.WriteSampleStreaming(w, "GradInputSample", p.SlotLength, p.Slots, "ref float x, ref float dy, ref float dx", "dx", new[] { "shift", "a", "b", "c" }, GradInputVectorValue);
                        w.WriteLine();
                    }

                    WritePermutedGradInput(w, m);
                }

                break;
        }
    }

    /// <summary>dx = dy * a + (x - shift) * b + c for the vector at <c>at</c>, from the coefficient vectors of the permuted and sample kernels.</summary>
    private static string GradInputVectorValue(VectorWidth v, string at) =>
        $"{v.Type}.MultiplyAddEstimate({v.Type}.LoadUnsafe(ref dy, {at}), aVector, {v.Type}.MultiplyAddEstimate({v.Type}.LoadUnsafe(ref x, {at}) - shiftVector, bVector, cVector))";

    /// <summary>The Vector512 and Vector256 input gradient over whole samples with permuted per-channel coefficients (its index tables come with the normalization).</summary>
    private static void WritePermutedGradInput(IndentedWriter w, LayerModel m)
    {
        if (!m.PermutedElementwise)
        {
            return;
        }

        string[] coefficients = { "shift", "a", "b", "c" };
        KernelEmitter.WritePermutedElementwise(w, "GradInputPermuted", m.Plan.SlotLength, m.Plan.Slots, "ref float x, ref float dy, ref float dx", "dx", coefficients, GradInputVectorValue, "PermuteIndex", streaming: m.StreamingPermuted);
        w.WriteLine();
    }

    /// <summary>One block of the backward sums: per channel (per element for columns), Σdy and Σdy·(x - shift).</summary>
    private static void WriteGradientSumsBlock(IndentedWriter w, LayerModel m)
    {
        w.WriteLine("/// <summary>One block of the backward sums: Σdy and Σdy·(x - shift) over samples [start, end).</summary>");
        w.WriteLine(BlockMethodAttribute);
        using (w.Block("private void GradientSumsBlock(global::System.ReadOnlySpan<float> input, global::System.ReadOnlySpan<float> gradOutput, int start, int end, int block, int worker)"))
        {
            w.WriteLine($"ref float x = ref {MemoryMarshal}.GetReference(input);");
            w.WriteLine($"ref float dy = ref {MemoryMarshal}.GetReference(gradOutput);");
            switch (m.Strategy)
            {
                case BatchStrategy.Columns:
                    w.WriteLine($$"""
                        global::System.Array.Clear(_partialA, block * PartialLength, SampleSize);
                        global::System.Array.Clear(_partialB, block * PartialLength, SampleSize);
                        ref double grad = ref _partialA[block * PartialLength];
                        ref double gradX = ref _partialB[block * PartialLength];
                        for (int n = start; n < end; n += {{m.GradientSumRows}})
                        {
                            int rows = global::System.Math.Min({{m.GradientSumRows}}, end - n);
                            int at = n * SampleSize;
                            SumColumnGradients(ref {{Unsafe}}.Add(ref x, at), ref {{Unsafe}}.Add(ref dy, at), ref {{MemoryMarshal}}.GetArrayDataReference(_gradShift), rows, ref grad, ref gradX);
                        }
                        """);
                    break;
                case BatchStrategy.SmallPlanes:
                    WriteSegmentSums(w, m, "SumSegmentGradients", "x, dy", "_gradShift", "grad", "gradX");
                    WriteSmallPlaneSums(w, m.GradientSumRows, "SumColumnGradients", "ref {0}.Add(ref x, at), ref {0}.Add(ref dy, at)", "grad", "gradX");
                    break;
                default:
                    WriteSegmentSums(w, m, "SumSegmentGradients", "x, dy", "_gradShift", "grad", "gradX");
                    w.WriteLine($$"""
                        global::System.Span<double> grad = global::System.MemoryExtensions.AsSpan(_partialA, block * PartialLength, Slots);
                        global::System.Span<double> gradX = global::System.MemoryExtensions.AsSpan(_partialB, block * PartialLength, Slots);
                        grad.Clear();
                        gradX.Clear();
                        for (int n = start; n < end; n++)
                        {
                            for (int c = 0; c < Slots; c++)
                            {
                                int at = (n * SampleSize) + (c * SlotLength);
                                GradientSums(ref {{Unsafe}}.Add(ref x, at), ref {{Unsafe}}.Add(ref dy, at), _gradShift[c], out double sumDy, out double sumDyX);
                                grad[c] += sumDy;
                                gradX[c] += sumDyX;
                            }
                        }
                        """);
                    break;
            }
        }

        w.WriteLine();
    }

    /// <summary>One block of the input gradient.</summary>
    private static void WriteGradInputBlock(IndentedWriter w, LayerModel m)
    {
        w.WriteLine(m.AlignedColumns
            ? "/// <summary>One block of the input gradient: dx = dy * a + (x - shift) * b + c over samples [start, end), two at a time, last first.</summary>"
            : "/// <summary>One block of the input gradient: dx = dy * a + (x - shift) * b + c over samples [start, end), last first.</summary>");
        w.WriteLine(BlockMethodAttribute);
        using (w.Block("private void GradInputBlock(global::System.ReadOnlySpan<float> input, global::System.ReadOnlySpan<float> gradOutput, global::System.Span<float> gradInput, int start, int end)"))
        {
            w.WriteLine($"ref float x = ref {MemoryMarshal}.GetReference(input);");
            w.WriteLine($"ref float dy = ref {MemoryMarshal}.GetReference(gradOutput);");
            w.WriteLine($"ref float dx = ref {MemoryMarshal}.GetReference(gradInput);");
            WriteElementwiseBlockBody(w, m, "GradInput", new[] { "x", "dy", "dx" }, new[] { "_gradShift", "_gradA", "_gradB", "_gradC" }, m.StreamingGradInput ? "_streaming" : null);
        }

        w.WriteLine();
    }

    private static void WriteGradLocals(IndentedWriter w, NormPlan p)
    {
        if (p.HasAffine)
        {
            w.WriteLine("global::System.Span<float> weight = Weight.DataSpan;");
            w.WriteLine("global::System.Span<float> weightGrad = Weight.GradSpan;");
        }

        if (p.HasBias)
        {
            w.WriteLine("global::System.Span<float> biasGrad = Bias.GradSpan;");
        }
    }

    /// <summary>
    /// Per-sample kinds: each (sample, slot) has its own statistics; each slot is reduced then written, block by block.
    /// The parameter gradients of a block go into its own partial sums, added to the gradients in block order.
    /// </summary>
    private static void WriteSampleBackward(IndentedWriter w, LayerModel m)
    {
        NormPlan p = m.Plan;
        int blocks = p.SlotLength / p.AffineBlock;
        if (p.TracksRunningStats)
        {
            WritePerChannelBackward(w, m, perSample: true);
        }

        w.WriteLine("/// <summary>Backward with per-sample statistics (or, for eval with running statistics, per-channel constants).</summary>");
        using (w.Block("private void BackwardCore(global::System.ReadOnlySpan<float> input, global::System.ReadOnlySpan<float> gradOutput, global::System.Span<float> gradInput, int batch)"))
        {
            if (p.TracksRunningStats)
            {
                using (w.Block("if (!_savedBatchStatistics)"))
                {
                    w.WriteLine("BackwardWithRunningStatistics(input, gradOutput, gradInput, batch);");
                    w.WriteLine("return;");
                }

                w.WriteLine();
            }

            w.WriteLine("PlanBlocks(batch);");
            if (m.ElementwiseAffine)
            {
                using (w.Block("if (_partialWeightGrad.Length < _blocks * SampleSize)"))
                {
                    w.WriteLine("_partialWeightGrad = new float[_blocks * SampleSize];");
                    if (p.HasBias)
                    {
                        w.WriteLine("_partialBiasGrad = new float[_blocks * SampleSize];");
                    }
                }
            }

            w.WriteLine("RunBlocks(SampleBackwardPass, input, gradOutput, gradInput);");
            if (p.HasAffine)
            {
                w.WriteLine();
                w.WriteLine("// The parameter gradients, accumulated as PyTorch's autograd does, block by block in order.");
                WriteGradLocals(w, p);
                if (m.ElementwiseAffine)
                {
                    using (w.Block("for (int b = 0; b < _blocks; b++)"))
                    {
                        w.WriteLine("global::System.Numerics.Tensors.TensorPrimitives.Add(weightGrad, global::System.MemoryExtensions.AsSpan(_partialWeightGrad, b * SampleSize, SampleSize), weightGrad);");
                        if (p.HasBias)
                        {
                            w.WriteLine("global::System.Numerics.Tensors.TensorPrimitives.Add(biasGrad, global::System.MemoryExtensions.AsSpan(_partialBiasGrad, b * SampleSize, SampleSize), biasGrad);");
                        }
                    }
                }
                else
                {
                    using (w.Block("for (int a = 0; a < weightGrad.Length; a++)"))
                    {
                        w.WriteLine("weightGrad[a] += (float)SumOverBlocks(_partialA, a);");
                        if (p.HasBias)
                        {
                            w.WriteLine("biasGrad[a] += (float)SumOverBlocks(_partialB, a);");
                        }
                    }
                }
            }
        }

        w.WriteLine();
        bool firstToLast = (long)m.SampleSize * sizeof(float) < ForwardRowsBelowBytes;
        w.WriteLine($"/// <summary>One block of the per-sample backward: samples [start, end), {(firstToLast ? "first to last" : "last first")}.</summary>");
        w.WriteLine(BlockMethodAttribute);
        using (w.Block("private void SampleBackwardBlock(global::System.ReadOnlySpan<float> input, global::System.ReadOnlySpan<float> gradOutput, global::System.Span<float> gradInput, int start, int end, int block)"))
        {
            w.WriteLine($"ref float x = ref {MemoryMarshal}.GetReference(input);");
            w.WriteLine($"ref float dy = ref {MemoryMarshal}.GetReference(gradOutput);");
            w.WriteLine($"ref float dx = ref {MemoryMarshal}.GetReference(gradInput);");
            if (p.HasAffine)
            {
                w.WriteLine("global::System.Span<float> weight = Weight.DataSpan;");
                if (m.ElementwiseAffine)
                {
                    w.WriteLine("global::System.Span<float> weightGrad = global::System.MemoryExtensions.AsSpan(_partialWeightGrad, block * SampleSize, SampleSize);");
                    w.WriteLine("weightGrad.Clear();");
                    if (p.HasBias)
                    {
                        w.WriteLine("global::System.Span<float> biasGrad = global::System.MemoryExtensions.AsSpan(_partialBiasGrad, block * SampleSize, SampleSize);");
                        w.WriteLine("biasGrad.Clear();");
                    }
                }
                else
                {
                    w.WriteLine($"global::System.Span<double> weightGrad = global::System.MemoryExtensions.AsSpan(_partialA, block * PartialLength, {Literals.Int(p.Channels)});");
                    w.WriteLine("weightGrad.Clear();");
                    if (p.HasBias)
                    {
                        w.WriteLine($"global::System.Span<double> biasGrad = global::System.MemoryExtensions.AsSpan(_partialB, block * PartialLength, {Literals.Int(p.Channels)});");
                        w.WriteLine("biasGrad.Clear();");
                    }
                }
            }

            if (m.StreamingRows)
            {
                w.WriteLine("bool streams = _streaming && (global::NormGen.SimdMath.Use512 || global::NormGen.SimdMath.Use256); // RowBackwardStreaming (see LayerModel.StreamingRows)");
            }

            if (m.SlotKernels)
            {
                w.WriteLine($"global::System.Span<double> planeSumDy = stackalloc double[{Literals.Int(blocks)}]; // per plane of a slot, from GradientSumsSlot");
                w.WriteLine($"global::System.Span<double> planeSumDyX = stackalloc double[{Literals.Int(blocks)}];");
                w.WriteLine($"global::System.Span<float> planeA = stackalloc float[{Literals.Int(blocks)}]; // per plane of a slot, for GradInputSlot");
                if (m.StreamingSlots)
                {
                    w.WriteLine("bool streams = _streaming && (global::NormGen.SimdMath.Use512 || global::NormGen.SimdMath.Use256); // GradInputSlotStreaming (see LayerModel.StreamingSlots)");
                }
            }

            using (w.Block(firstToLast ? "for (int n = start; n < end; n++)" : "for (int n = end - 1; n >= start; n--)"))
            using (w.Block("for (int s = 0; s < Slots; s++)"))
            {
                w.WriteLine("int first = (n * SampleSize) + (s * SlotLength);");
                bool prefetch = m.ElementwiseAffine || !p.TracksRunningStats;
                if (prefetch)
                {
                    // The slots of a sample run first to last; the samples as the loop above says.
                    w.WriteLine(firstToLast
                        ? "int next = (n + 1 < end || s + 1 < Slots) ? first + SlotLength : first; // the slot after this one, prefetched while this one is written"
                        : "int next = s + 1 < Slots ? first + SlotLength : n > start ? (n - 1) * SampleSize : first; // the slot after this one, prefetched while this one is written");
                }

                w.WriteLine("double mean = _saveMean[(n * Slots) + s];");
                w.WriteLine("double invStd = _saveInvStd[(n * Slots) + s];");
                w.WriteLine("float shift = (float)mean;");
                if (m.ElementwiseAffine)
                {
                    w.WriteLine(m.StreamingRows
                        ? $"WeightedGradientSums(ref {Unsafe}.Add(ref x, first), ref {Unsafe}.Add(ref dy, first), ref weight[s * SlotLength], shift, ref {Unsafe}.Add(ref streams ? ref x : ref dx, first), out double sumG, out double sumGX); // streamed: no prefetch of dx (its lines are written without being read), x instead, already being read"
                        : $"WeightedGradientSums(ref {Unsafe}.Add(ref x, first), ref {Unsafe}.Add(ref dy, first), ref weight[s * SlotLength], shift, ref {Unsafe}.Add(ref dx, first), out double sumG, out double sumGX);");
                    w.WriteLine("double sumGXmu = sumGX - ((mean - shift) * sumG); // Σ g * (x - mean)");
                    WriteSlotCoefficients(w, p);

                    string biasGrad = p.HasBias ? ", ref biasGrad[s * SlotLength]" : "";
                    WriteStreamingOrPlain(w, m.StreamingRows, "RowBackward", kernel =>
                    {
                        w.WriteLine($"{kernel}(ref {Unsafe}.Add(ref x, first), ref {Unsafe}.Add(ref dy, first), ref {Unsafe}.Add(ref dx, first), ref weight[s * SlotLength], ref weightGrad[s * SlotLength]{biasGrad},");
                        w.WriteLine($"    shift, (float)invStd, (float)(-(mean - shift) * invStd), (float)b, (float)c0, ref {Unsafe}.Add(ref x, next), ref {Unsafe}.Add(ref dy, next));");
                    });
                }
                else
                {
                    w.WriteLine("double sumG = 0, sumGXmu = 0;");
                    if (m.SlotKernels)
                    {
                        w.WriteLine(m.StreamingSlots
                            ? $"GradientSumsSlot(ref {Unsafe}.Add(ref x, first), ref {Unsafe}.Add(ref dy, first), shift, ref {Unsafe}.Add(ref streams ? ref x : ref dx, first), ref planeSumDy[0], ref planeSumDyX[0]); // streamed: no prefetch of dx (its lines are written without being read), x instead, already being read"
                            : $"GradientSumsSlot(ref {Unsafe}.Add(ref x, first), ref {Unsafe}.Add(ref dy, first), shift, ref {Unsafe}.Add(ref dx, first), ref planeSumDy[0], ref planeSumDyX[0]);");
                    }

                    using (w.Block($"for (int part = 0; part < {blocks}; part++)"))
                    {
                        if (m.SlotKernels)
                        {
                            w.WriteLine("double sumDy = planeSumDy[part], sumDyX = planeSumDyX[part];");
                        }
                        else
                        {
                            w.WriteLine($"int at = first + (part * {p.AffineBlock});");
                            // With running statistics the kernel is shared with the eval backward's sums pass, which has no output row.
                            string ahead = p.TracksRunningStats ? "" : $"ref {Unsafe}.Add(ref dx, at), ";
                            w.WriteLine($"GradientSums(ref {Unsafe}.Add(ref x, at), ref {Unsafe}.Add(ref dy, at), shift, {ahead}out double sumDy, out double sumDyX);");
                        }

                        w.WriteLine("double sumDyXmu = sumDyX - ((mean - shift) * sumDy);");
                        if (p.HasAffine)
                        {
                            w.WriteLine($"int a = (s * {blocks}) + part; // channel");
                            w.WriteLine("weightGrad[a] += sumDyXmu * invStd;");
                            if (p.HasBias)
                            {
                                w.WriteLine("biasGrad[a] += sumDy;");
                            }

                            w.WriteLine("sumG += weight[a] * sumDy;");
                            w.WriteLine("sumGXmu += weight[a] * sumDyXmu;");
                        }
                        else
                        {
                            w.WriteLine("sumG += sumDy;");
                            w.WriteLine("sumGXmu += sumDyXmu;");
                        }
                    }

                    WriteSlotCoefficients(w, p);
                    if (m.SlotKernels)
                    {
                        using (w.Block($"for (int part = 0; part < {blocks}; part++)"))
                        {
                            w.WriteLine(p.HasAffine ? $"planeA[part] = (float)(invStd * weight[(s * {blocks}) + part]);" : "planeA[part] = (float)invStd;");
                        }

                        string call = $"(ref {Unsafe}.Add(ref x, first), ref {Unsafe}.Add(ref dy, first), ref {Unsafe}.Add(ref dx, first), shift, ref planeA[0], (float)b, (float)c0, ref {Unsafe}.Add(ref x, next), ref {Unsafe}.Add(ref dy, next));";
                        WriteStreamingOrPlain(w, m.StreamingSlots, "GradInputSlot", kernel => w.WriteLine(kernel + call));
                    }
                    else
                    {
                        using (w.Block($"for (int part = 0; part < {blocks}; part++)"))
                        {
                            w.WriteLine($"int at = first + (part * {p.AffineBlock});");
                            w.WriteLine(p.HasAffine ? $"double a = invStd * weight[(s * {blocks}) + part];" : "double a = invStd;");
                            string nextParts = prefetch ? $", ref {Unsafe}.Add(ref x, next + (part * {p.AffineBlock})), ref {Unsafe}.Add(ref dy, next + (part * {p.AffineBlock}))" : "";
                            w.WriteLine($"GradInputPlane(ref {Unsafe}.Add(ref x, at), ref {Unsafe}.Add(ref dy, at), ref {Unsafe}.Add(ref dx, at), shift, (float)a, (float)b, (float)c0{nextParts});");
                        }
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
        if (m.ElementwiseAffine)
        {
            KernelEmitter.WritePlaneReduction(w, "WeightedGradientSums", ReductionKind.WeightedGradient, p.SlotLength, $"Σg and Σg·(x - shift) with g = dy * weight over one row of {p.SlotLength} elements (float partials flushed into double totals), prefetching the row's input gradient.", prefetch: "gradInput");
            w.WriteLine();
            KernelEmitter.WriteRowBackward(w, "RowBackward", p.SlotLength, p.HasBias, NextSlotInputs);
            w.WriteLine();
            if (m.StreamingRows)
            {
                KernelEmitter.WriteRowBackwardStreaming(w, "RowBackward", p.SlotLength, p.HasBias, NextSlotInputs);
                w.WriteLine();
            }
        }

        bool planes = !m.ElementwiseAffine || p.TracksRunningStats;
        if (planes)
        {
            int length = p.TracksRunningStats ? p.SlotLength : p.AffineBlock;
            if (m.SlotKernels)
            {
                KernelEmitter.WriteSlotGradientSums(w, "GradientSumsSlot", p.AffineBlock, blocks);
            }
            else
            {
                KernelEmitter.WritePlaneReduction(w, "GradientSums", ReductionKind.Gradient, length,
                    p.TracksRunningStats
                        ? $"Σdy and Σdy·(x - shift) over one block of {length} elements (float partials flushed into double totals)."
                        : $"Σdy and Σdy·(x - shift) over one block of {length} elements (float partials flushed into double totals), prefetching the block's input gradient.",
                    prefetch: p.TracksRunningStats ? null : "gradInput");
            }

            w.WriteLine();
            if (m.SlotKernels)
            {
                KernelEmitter.WriteSlotGradInput(w, "GradInputSlot", p.AffineBlock, blocks, m.StreamingSlots);
            }
            else
            {
                KernelEmitter.WriteGradInputPlane(w, "GradInputPlane", length, p.TracksRunningStats ? null : NextSlotInputs);
            }

            w.WriteLine();
        }
    }

    /// <summary>Declares b and c0 of dx = dy * weight * invStd + (x - shift) * b + c0 from the slot's sums.</summary>
    private static void WriteSlotCoefficients(IndentedWriter w, NormPlan p)
    {
        w.WriteLine("double meanGx = sumGXmu * invStd / SlotLength; // mean of g * x̂");
        w.WriteLine("double b = -invStd * invStd * meanGx;");
        w.WriteLine(p.SubtractMean
            ? "double c0 = (-invStd * sumG / SlotLength) - (b * (mean - shift));"
            : "double c0 = -(b * (mean - shift)); // RMSNorm: no mean(g) term");
    }

    /// <summary>LocalResponseNorm: dx_j = dy_j D_j^-β - (2αβ/size) x_j Σ over windows containing j of dy_c x_c D_c^(-β-1).</summary>
    private static void WriteWindowBackward(IndentedWriter w)
    {
        w.WriteLine($$"""
            /// <summary>Backward of LocalResponseNorm per sample, in double.</summary>
            private void BackwardCore(global::System.ReadOnlySpan<float> input, global::System.ReadOnlySpan<float> gradOutput, global::System.Span<float> gradInput, int batch)
            {
                for (int n = 0; n < batch; n++)
                {
                    int start = n * SampleSize;
                    global::System.ReadOnlySpan<float> x = input.Slice(start, SampleSize);
                    global::System.ReadOnlySpan<float> dy = gradOutput.Slice(start, SampleSize);
                    global::System.Span<float> dx = gradInput.Slice(start, SampleSize);
                    global::System.Numerics.Tensors.TensorPrimitives.Multiply(x, x, _squares);
                    for (int c = 0; c < NumChannels; c++)
                    {
                        int first = global::System.Math.Max(0, c - (Size / 2));
                        int last = global::System.Math.Min(NumChannels - 1, c + ((Size - 1) / 2));
                        for (int i = 0; i < SlotLength; i++)
                        {
                            double sum = 0;
                            for (int j = first; j <= last; j++)
                            {
                                sum += _squares[(j * SlotLength) + i];
                            }

                            int at = (c * SlotLength) + i;
                            double d = K + (Alpha / Size * sum);
                            double power = global::System.Math.Pow(d, -Beta);
                            _powers[at] = power;
                            _terms[at] = dy[at] * (double)x[at] * power / d;
                        }
                    }

                    for (int j = 0; j < NumChannels; j++)
                    {
                        // Channel j lies in the windows of channels j - ⌊Size/2⌋ .. j + ⌊(Size-1)/2⌋ mirrored: c - ⌊Size/2⌋ <= j <= c + ⌊(Size-1)/2⌋.
                        int first = global::System.Math.Max(0, j - ((Size - 1) / 2));
                        int last = global::System.Math.Min(NumChannels - 1, j + (Size / 2));
                        for (int i = 0; i < SlotLength; i++)
                        {
                            double sum = 0;
                            for (int c = first; c <= last; c++)
                            {
                                sum += _terms[(c * SlotLength) + i];
                            }

                            int at = (j * SlotLength) + i;
                            dx[at] = (float)((dy[at] * _powers[at]) - (2 * Alpha * Beta / Size * x[at] * sum));
                        }
                    }
                }
            }

            """);
    }
}
