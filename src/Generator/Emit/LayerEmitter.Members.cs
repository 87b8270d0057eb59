using NormGen.Generator.Helpers;
using NormGen.Generator.Model;

namespace NormGen.Generator.Emit;

internal static partial class LayerEmitter
{
    private const string Tensor = "global::System.Numerics.Tensors.Tensor";
    private const string Parameter = "global::NormGen.Parameter";
    private const string ReadOnlyTensor = "global::System.Numerics.Tensors.IReadOnlyTensor";

    private static void WriteConstants(IndentedWriter w, LayerModel m)
    {
        NormPlan p = m.Plan;
        w.WriteLine($$"""
            /// <summary>Number of channels C (PyTorch's <c>num_features</c>).</summary>
            public const int NumFeatures = {{m.Channels}};

            /// <summary>Elements of one sample: {{string.Join(" x ", System.Linq.Enumerable.Select(p.SampleShape, Literals.Int))}}.</summary>
            public const int SampleSize = {{m.SampleSize}};

            /// <summary>Value added to the variance for numerical stability (PyTorch's <c>eps</c>).</summary>
            public const double Eps = {{Literals.Double(p.Eps)}};

            """);
        if (p.RunningStats == RunningStatsKind.Momentum)
        {
            w.WriteLine($$"""
                /// <summary>Weight of the batch statistics in the running-statistics update (PyTorch's <c>momentum</c>).</summary>
                public const double Momentum = {{Literals.Double(p.Momentum)}};

                """);
        }

        w.WriteLine($$"""
            /// <summary>Elements of one channel in one sample (the product of the spatial dimensions).</summary>
            private const int PlaneSize = {{m.PlaneSize}};

            // Static arrays rather than span properties over constants: those allocate per call in Debug builds.

            /// <summary>The shape of one sample, channels first.</summary>
            private static readonly int[] SampleShape = [{{m.SampleShapeList}}];

            /// <summary>The input ranks PyTorch's {{p.ModuleName}} accepts.</summary>
            private static readonly int[] AcceptedRanks = [{{string.Join(", ", System.Linq.Enumerable.Select(p.AcceptedRanks, Literals.Int))}}];

            """);
    }

    private static void WriteFields(IndentedWriter w, LayerModel m)
    {
        int c = m.Channels;
        int k = m.ScratchLength;
        string scope = m.UsesColumns ? "per element of a sample" : "per channel";
        if (m.Plan.TracksRunningStats)
        {
            w.WriteLine($$"""
                private readonly float[] _runningMean = new float[{{c}}];
                private readonly float[] _runningVar = new float[{{c}}];
                private readonly long[] _numBatchesTracked = new long[1];
                private readonly {{Tensor}}<long> _numBatchesTrackedBuffer;

                // Batch statistics of the last training step, for the running-statistics update.
                private readonly float[] _batchMean = new float[{{c}}];
                private readonly float[] _batchVar = new float[{{c}}];

                """);
        }

        w.WriteLine($$"""
            // Scratch ({{scope}}): sums of the first pass, deviations and squared deviations from the shift in
            // the second pass, and the coefficients of y = (x - shift) * scale + offset.
            private readonly double[] _sum = new double[{{k}}];
            private readonly double[] _deviation = new double[{{k}}];
            private readonly double[] _squares = new double[{{k}}];
            private readonly float[] _shift = new float[{{k}}];
            private readonly float[] _scale = new float[{{k}}];
            private readonly float[] _offset = new float[{{k}}];

            private readonly (string Name, {{Parameter}} Parameter)[] _namedParameters;
            private readonly (string Name, {{ReadOnlyTensor}} Buffer)[] _namedBuffers;

            """);
    }

    private static void WriteConstructor(IndentedWriter w, LayerModel m)
    {
        NormPlan p = m.Plan;
        w.WriteLine("/// <summary>");
        w.WriteLine("/// Creates the layer in training mode with PyTorch's initial values" + (p.HasAffine ? ": weight 1, bias 0" : "") +
            (p.TracksRunningStats ? (p.HasAffine ? ", " : ": ") + "running_mean 0, running_var 1, num_batches_tracked 0" : "") + ".");
        w.WriteLine("/// </summary>");
        using (w.Block($"public {m.ClassName}()"))
        {
            if (p.HasAffine)
            {
                w.WriteLine($"Weight = new {Parameter}([NumFeatures], weightDecay: false);");
                w.WriteLine($"Bias = new {Parameter}([NumFeatures], weightDecay: false);");
            }

            if (p.TracksRunningStats)
            {
                w.WriteLine($"RunningMean = {Tensor}.Create(_runningMean, [NumFeatures]);");
                w.WriteLine($"RunningVar = {Tensor}.Create(_runningVar, [NumFeatures]);");
                w.WriteLine($"_numBatchesTrackedBuffer = {Tensor}.Create(_numBatchesTracked, [1]);");
            }

            w.WriteLine(p.HasAffine
                ? "_namedParameters = [(\"weight\", Weight), (\"bias\", Bias)];"
                : $"_namedParameters = global::System.Array.Empty<(string, {Parameter})>();");
            w.WriteLine(p.TracksRunningStats
                ? "_namedBuffers = [(\"running_mean\", RunningMean), (\"running_var\", RunningVar), (\"num_batches_tracked\", _numBatchesTrackedBuffer)];"
                : $"_namedBuffers = global::System.Array.Empty<(string, {ReadOnlyTensor})>();");
            w.WriteLine("ResetParameters();");
        }

        w.WriteLine();
    }

    private static void WriteModeMembers(IndentedWriter w, LayerModel m)
    {
        string usage = m.Plan.TracksRunningStats
            ? "In training mode Forward normalizes with batch statistics and updates the running statistics; in eval mode it uses the running statistics."
            : "This layer tracks no running statistics, so Forward normalizes with batch statistics in both modes.";
        w.WriteLine($$"""
            /// <summary>
            /// True in training mode (the initial mode, as in PyTorch). {{usage}}
            /// </summary>
            public bool Training { get; private set; } = true;

            /// <summary>Sets training mode (<paramref name="mode"/> true) or eval mode (false), like PyTorch's <c>train(mode)</c>.</summary>
            /// <returns>This layer.</returns>
            public {{m.ClassName}} Train(bool mode = true)
            {
                Training = mode;
                return this;
            }

            /// <summary>Sets eval mode, like PyTorch's <c>eval()</c>.</summary>
            /// <returns>This layer.</returns>
            public {{m.ClassName}} Eval() => Train(false);

            """);
    }

    private static void WriteParameterMembers(IndentedWriter w, LayerModel m)
    {
        if (m.Plan.HasAffine)
        {
            w.WriteLine($$"""
                /// <summary>Learnable per-channel scale γ (PyTorch's <c>weight</c>), shape [{{m.Channels}}], initialized to 1. Excluded from weight decay.</summary>
                public {{Parameter}} Weight { get; }

                /// <summary>Learnable per-channel shift β (PyTorch's <c>bias</c>), shape [{{m.Channels}}], initialized to 0. Excluded from weight decay.</summary>
                public {{Parameter}} Bias { get; }

                """);
        }

        if (m.Plan.TracksRunningStats)
        {
            w.WriteLine($$"""
                /// <summary>Running mean per channel (PyTorch's <c>running_mean</c>), shape [{{m.Channels}}], initialized to 0.</summary>
                public {{Tensor}}<float> RunningMean { get; }

                /// <summary>Running unbiased variance per channel (PyTorch's <c>running_var</c>), shape [{{m.Channels}}], initialized to 1.</summary>
                public {{Tensor}}<float> RunningVar { get; }

                /// <summary>Number of training batches seen (PyTorch's <c>num_batches_tracked</c>).</summary>
                public long NumBatchesTracked => _numBatchesTracked[0];

                """);
        }
    }

    private static void WriteEnumeration(IndentedWriter w, LayerModel m)
    {
        string parameters = m.Plan.HasAffine ? "<c>weight</c>, <c>bias</c>" : "none: this layer has no affine parameters";
        string buffers = m.Plan.TracksRunningStats ? "<c>running_mean</c>, <c>running_var</c>, <c>num_batches_tracked</c>" : "none: this layer tracks no running statistics";
        w.WriteLine($$"""
            /// <summary>The parameters under PyTorch's names, in PyTorch's order ({{parameters}}). Enumerating allocates nothing.</summary>
            public global::NormGen.NamedParameters NamedParameters() => new(_namedParameters);

            /// <summary>The buffers under PyTorch's names, in PyTorch's order ({{buffers}}); they share storage with the layer. Enumerating allocates nothing.</summary>
            public global::NormGen.NamedBuffers NamedBuffers() => new(_namedBuffers);

            """);
    }

    private static void WriteResets(IndentedWriter w, LayerModel m)
    {
        NormPlan p = m.Plan;
        if (p.TracksRunningStats)
        {
            w.WriteLine("""
                /// <summary>Resets running_mean to 0, running_var to 1 and num_batches_tracked to 0, like PyTorch's <c>reset_running_stats()</c>.</summary>
                public void ResetRunningStats()
                {
                    global::System.Array.Clear(_runningMean);
                    global::System.Array.Fill(_runningVar, 1f);
                    _numBatchesTracked[0] = 0;
                }

                """);
        }

        w.WriteLine("/// <summary>");
        w.WriteLine("/// Restores PyTorch's initial values, like its <c>reset_parameters()</c>" +
            (p.HasAffine ? ": weight 1, bias 0" : "") + (p.TracksRunningStats ? (p.HasAffine ? ", and" : ":") + " the running statistics are reset too" : "") + ".");
        w.WriteLine("/// </summary>");
        using (w.Block("public void ResetParameters()"))
        {
            if (p.TracksRunningStats)
            {
                w.WriteLine("ResetRunningStats();");
            }

            if (p.HasAffine)
            {
                w.WriteLine("Weight.DataSpan.Fill(1f);");
                w.WriteLine("Bias.DataSpan.Clear();");
            }
        }

        w.WriteLine();
    }
}
