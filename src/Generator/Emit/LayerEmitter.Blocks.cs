using System.Collections.Generic;
using System.Linq;
using NormGen.Generator.Helpers;
using NormGen.Generator.Model;

namespace NormGen.Generator.Emit;

/// <summary>
/// Blocks and threading. Every pass over a batch (statistics, normalization, the backward sums and the input gradient)
/// walks it in blocks of samples, and every block writes its partial sums into its own slot; the caller then adds the
/// slots in block order. Block sizes depend only on the shape (about 1 MiB of input) and the batch size, so the result
/// is the same whether the blocks run on one thread or on several (<c>NormGen.BlockScheduler</c>, capped by
/// <c>NormGen.NormThreads.MaxThreads</c>). Batches smaller than <c>NormThreads.ParallelMinBytes</c> always run on the
/// calling thread; the threshold in samples is a constant of the generated layer.
/// </summary>
internal static partial class LayerEmitter
{
    /// <summary>
    /// A pass that runs block by block: its constant's name, the call that runs one block, and whether it walks the batch
    /// from the end. Passes alternate direction (statistics forward, normalization backward; the backward sums forward,
    /// the input gradient backward; the per-sample backward opposite to its forward), so that each pass starts on the data
    /// the previous one touched last, which is still in cache when the tensors do not fit in it as a whole.
    /// </summary>
    private sealed record BlockPass(string Name, string Call, string Summary, bool Reverse = false);

    private static IReadOnlyList<BlockPass> BlockPasses(LayerModel m)
    {
        var passes = new List<BlockPass>();
        NormPlan p = m.Plan;
        if (p.Scope == StatisticsScope.Sample)
        {
            passes.Add(new("SamplesPass", "_layer.NormalizeSamplesBlock(first, output, start, end, block);", "Per-sample statistics and normalization (training, or every mode without running statistics)."));
            passes.Add(new("SampleBackwardPass", "_layer.SampleBackwardBlock(first, second, output, start, end, block);", "Backward with per-sample statistics.", Reverse: true));
        }

        if (p.Scope == StatisticsScope.Batch)
        {
            passes.Add(new("StatisticsPass", "_layer.StatisticsBlock(first, start, end, block, worker);", "Batch statistics: shifted sums per channel."));
        }

        if (p.Scope == StatisticsScope.Batch || p.TracksRunningStats)
        {
            passes.Add(new("NormalizePass", "_layer.NormalizeBlock(first, output, start, end);", "y = (x - shift) * scale + offset with per-channel coefficients.", Reverse: true));
            passes.Add(new("GradientSumsPass", "_layer.GradientSumsBlock(first, second, start, end, block, worker);", "Backward sums per channel."));
            passes.Add(new("GradInputPass", "_layer.GradInputBlock(first, second, output, start, end);", "dx = dy * a + (x - shift) * b + c with per-channel coefficients.", Reverse: true));
        }

        return passes;
    }

    /// <summary>Length per block of the double partial arrays: per channel (or per element for columns).</summary>
    private static int PartialLength(LayerModel m) => m.Plan.Scope == StatisticsScope.Batch
        ? m.ScratchLength
        : System.Math.Max(m.Plan.Slots, m.Plan.Channels);

    private static void WriteBlockMembers(IndentedWriter w, LayerModel m)
    {
        NormPlan p = m.Plan;
        if (p.Scope == StatisticsScope.ChannelWindow)
        {
            return;
        }

        IReadOnlyList<BlockPass> passes = BlockPasses(m);
        w.WriteLine($$"""
            // Blocks: every pass walks the batch in blocks of samples and writes per-block partial sums, which are then added
            // in block order. Block sizes depend only on the shape and the batch size, so results are the same for any number
            // of threads (global::NormGen.NormThreads.MaxThreads); batches below ParallelMinSamples run on the calling thread.

            /// <summary>Samples per block: about 1 MiB of input.</summary>
            private const int MinBlockSamples = {{m.MinBlockSamples}};

            /// <summary>Most blocks per pass (bounds the per-block partial sums).</summary>
            private const int MaxBlocks = {{m.MaxBlocks}};

            /// <summary>Batches of at least this many samples (NormThreads.ParallelMinBytes of input) may run on several threads.</summary>
            private const int ParallelMinSamples = (global::NormGen.NormThreads.ParallelMinBytes + (SampleSize * sizeof(float)) - 1) / (SampleSize * sizeof(float));

            /// <summary>Doubles per block in the partial-sum arrays.</summary>
            private const int PartialLength = {{PartialLength(m)}};

            """);
        for (int i = 0; i < passes.Count; i++)
        {
            w.WriteLine($"/// <summary>{passes[i].Summary}{(passes[i].Reverse ? " Walks the batch from its end." : "")}</summary>");
            w.WriteLine($"private const int {passes[i].Name} = {i};");
            w.WriteLine();
        }

        string slots = m.Strategy == BatchStrategy.SmallPlanes ? "\nprivate double[][] _workerTotals = [];" : "";
        if (m.StreamingGradInput)
        {
            slots += """


                // Whether this call writes its input gradient with streaming stores (global::NormGen.StreamingStores.Use).
                private bool _streaming;
                """;
        }

        if (m.Streaming)
        {
            slots += """


                // Whether this call writes its normalization with streaming stores (global::NormGen.StreamingStores.UseForNormalization:
                // in eval mode and on more than one thread only for larger tensors).
                private bool _streamingNormalize;
                """;
        }

        if (p.Scope == StatisticsScope.Batch || p.TracksRunningStats)
        {
            slots += """


                // The two partial sums added over the blocks (per channel, or per element for columns), between the passes.
                private readonly double[] _totalA = new double[PartialLength];
                private readonly double[] _totalB = new double[PartialLength];
                """;
        }
        string streaming = (m.StreamingGradInput ? "\n    _streaming = global::NormGen.StreamingStores.Use((long)batch * SampleSize * sizeof(float));" : "")
            + (m.Streaming ? "\n    _streamingNormalize = global::NormGen.StreamingStores.UseForNormalization((long)batch * SampleSize * sizeof(float), _threads, Training);" : "");
        w.WriteLine($$"""
            private readonly NormGenBlockRunner _blockRunner;
            private int _runBatch;
            private int _blockSamples;
            private int _blocks;
            private int _threads;

            // Per block: two partial sums per channel (Forward: deviations and squared deviations from the shift, or the
            // per-sample means and variances; Backward: Σdy and Σdy·(x - shift), or the per-channel parameter gradients).
            private double[] _partialA = [];
            private double[] _partialB = [];{{slots}}

            /// <summary>Splits <paramref name="batch"/> samples into blocks for the passes of this call, and grows the per-block memory.</summary>
            private void PlanBlocks(int batch)
            {
                _runBatch = batch;
                _blockSamples = global::System.Math.Max(MinBlockSamples, (batch + MaxBlocks - 1) / MaxBlocks);
                _blocks = (batch + _blockSamples - 1) / _blockSamples;
                _threads = global::NormGen.BlockScheduler.Threads(_blocks, batch >= ParallelMinSamples);{{streaming}}
                if (_partialA.Length < _blocks * PartialLength)
                {
                    _partialA = new double[_blocks * PartialLength];
                    _partialB = new double[_blocks * PartialLength];
                }
            """);
        if (m.Strategy == BatchStrategy.SmallPlanes)
        {
            w.WriteLine("""

                    // Per thread: per-element double totals of a block (two sums), folded into per-channel partial sums at its end.
                    if (_workerTotals.Length < _threads)
                    {
                        double[][] totals = new double[_threads][];
                        for (int t = 0; t < _threads; t++)
                        {
                            totals[t] = t < _workerTotals.Length ? _workerTotals[t] : new double[2 * SampleSize];
                        }

                        _workerTotals = totals;
                    }
                """);
        }

        w.WriteLine($$"""
            }

            /// <summary>Runs every block of <paramref name="pass"/>, on up to the planned number of threads.</summary>
            private void RunBlocks(int pass, global::System.ReadOnlySpan<float> first, global::System.ReadOnlySpan<float> second, global::System.Span<float> output) =>
                global::NormGen.BlockScheduler.Run(_blockRunner, pass, _blocks, _threads, first, second, output);

            """);
        if (p.Scope != StatisticsScope.Batch)
        {
            w.WriteLine("""
                /// <summary>The total over all blocks of partial sum <paramref name="index"/>, added in block order.</summary>
                private double SumOverBlocks(double[] partials, int index)
                {
                    double total = 0;
                    for (int b = 0; b < _blocks; b++)
                    {
                        total += partials[(b * PartialLength) + index];
                    }

                    return total;
                }

                """);
        }

        w.WriteLine($$"""
            /// <summary>Runs one block of a pass of the layer for <see cref="global::NormGen.BlockScheduler"/>.</summary>
            private sealed class NormGenBlockRunner : global::NormGen.IBlockWork
            {
                private readonly {{m.ClassName}} _layer;

                public NormGenBlockRunner({{m.ClassName}} layer) => _layer = layer;

                public void RunBlock(int pass, int block, int worker, global::System.ReadOnlySpan<float> first, global::System.ReadOnlySpan<float> second, global::System.Span<float> output)
                {
            """);
        string reverse = string.Join(" || ", passes.Where(q => q.Reverse).Select(q => "pass == " + q.Name));
        w.WriteLine($$"""
                    if ({{reverse}})
                    {
                        block = _layer._blocks - 1 - block; // this pass walks the batch from its end
                    }

                    int start = block * _layer._blockSamples;
                    int end = global::System.Math.Min(start + _layer._blockSamples, _layer._runBatch);
                    switch (pass)
                    {
            """);
        w.Indent();
        w.Indent();
        w.Indent();
        foreach (BlockPass pass in passes)
        {
            w.WriteLine($"case {pass.Name}:");
            w.WriteLine($"    {pass.Call}");
            w.WriteLine("    break;");
        }

        w.Unindent();
        w.Unindent();
        w.Unindent();
        w.WriteLine("""
                    }
                }
            }

            """);
    }
}
