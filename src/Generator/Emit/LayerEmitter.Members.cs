using System.Linq;
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
        switch (p.Kind)
        {
            case LayerKind.BatchNorm or LayerKind.InstanceNorm:
                WriteConstant(w, "int", "NumFeatures", Literals.Int(p.Channels), "Number of channels C (PyTorch's <c>num_features</c>).");
                break;
            case LayerKind.GroupNorm:
                WriteConstant(w, "int", "NumGroups", Literals.Int(p.Slots), "Number of groups G (PyTorch's <c>num_groups</c>).");
                WriteConstant(w, "int", "NumChannels", Literals.Int(p.Channels), "Number of channels C (PyTorch's <c>num_channels</c>).");
                break;
            case LayerKind.LocalResponseNorm:
                WriteConstant(w, "int", "Size", Literals.Int(p.Window!.Size), "Number of neighbouring channels in the window (PyTorch's <c>size</c>).");
                WriteConstant(w, "int", "NumChannels", Literals.Int(p.Channels), "Number of channels C.");
                WriteConstant(w, "double", "Alpha", Literals.Double(p.Window.Alpha), "Multiplicative factor (PyTorch's <c>alpha</c>).");
                WriteConstant(w, "double", "Beta", Literals.Double(p.Window.Beta), "Exponent (PyTorch's <c>beta</c>).");
                WriteConstant(w, "double", "K", Literals.Double(p.Window.K), "Additive factor (PyTorch's <c>k</c>).");
                break;
        }

        string sampleDoc = p.Kind is LayerKind.LayerNorm or LayerKind.RmsNorm
            ? $"Elements of one row (the normalized shape {string.Join(" x ", p.SampleShape.Select(Literals.Int))}); the number of rows is <c>input.Length / SampleSize</c>."
            : $"Elements of one sample: {string.Join(" x ", p.SampleShape.Select(Literals.Int))}.";
        WriteConstant(w, "int", "SampleSize", Literals.Int(m.SampleSize), sampleDoc);
        if (p.Kind != LayerKind.LocalResponseNorm)
        {
            WriteConstant(w, "double", "Eps", Literals.Double(p.Eps), p.SubtractMean
                ? "Value added to the variance for numerical stability (PyTorch's <c>eps</c>)."
                : "Value added to the mean square for numerical stability (PyTorch's <c>eps</c>).");
        }

        if (p.RunningStats == RunningStatsKind.Momentum)
        {
            WriteConstant(w, "double", "Momentum", Literals.Double(p.Momentum), "Weight of the new statistics in the running-statistics update (PyTorch's <c>momentum</c>).");
        }

        w.WriteLine($$"""
            /// <summary>Statistic slots per sample ({{SlotDescription(p)}}).</summary>
            private const int Slots = {{p.Slots}};

            /// <summary>Contiguous elements of one slot in one sample.</summary>
            private const int SlotLength = {{p.SlotLength}};

            // A static array rather than a span property over constants: that allocates per call in Debug builds.

            /// <summary>The shape of one sample{{(p.Kind is LayerKind.LayerNorm or LayerKind.RmsNorm ? " (the normalized shape)" : ", channels first")}}.</summary>
            private static readonly int[] SampleShape = [{{LayerModel.ShapeList(p.SampleShape)}}];

            """);
        if (p.AcceptedRanks.Count > 0)
        {
            w.WriteLine($$"""
                /// <summary>The input ranks PyTorch's {{p.ModuleName}} accepts.</summary>
                private static readonly int[] AcceptedRanks = [{{LayerModel.ShapeList(p.AcceptedRanks)}}];

                """);
        }
    }

    private static string SlotDescription(NormPlan p) => p.Kind switch
    {
        LayerKind.GroupNorm => "the groups",
        LayerKind.LayerNorm or LayerKind.RmsNorm => "one: the whole row",
        _ => "the channels",
    };

    private static void WriteConstant(IndentedWriter w, string type, string name, string value, string doc)
    {
        w.WriteLine($"/// <summary>{doc}</summary>");
        w.WriteLine($"public const {type} {name} = {value};");
        w.WriteLine();
    }

    private static void WriteFields(IndentedWriter w, LayerModel m)
    {
        NormPlan p = m.Plan;
        if (p.TracksRunningStats)
        {
            w.WriteLine($$"""
                private readonly float[] _runningMean = new float[{{p.Channels}}];
                private readonly float[] _runningVar = new float[{{p.Channels}}];
                private readonly long[] _numBatchesTracked = new long[1];
                private readonly {{Tensor}}<long> _numBatchesTrackedBuffer;

                """);
        }

        if (p.TracksRunningStats && p.Scope == StatisticsScope.Batch)
        {
            w.WriteLine($$"""
                // Batch statistics of the last training step, for the running-statistics update.
                private readonly float[] _batchMean = new float[{{p.Channels}}];
                private readonly float[] _batchVar = new float[{{p.Channels}}];

                """);
        }

        if (p.Scope == StatisticsScope.Batch)
        {
            string scope = m.UsesColumns ? "per element of a sample" : m.PermutedElementwise ? "per channel, padded by one vector" : "per channel";
            int k = m.ChannelArrayLength;
            w.WriteLine($$"""
                // Per call ({{scope}}): the shift of the statistics and the coefficients of y = (x - shift) * scale + offset.
                private readonly float[] _shift = new float[{{k}}];
                private readonly float[] _scale = new float[{{k}}];
                private readonly float[] _offset = new float[{{k}}];

                """);
            if (m.UsesColumns && p.SlotLength > 1)
            {
                w.WriteLine($$"""
                    // Per channel, before they are copied to each element of the channel: the shift, scale and offset (Forward),
                    // or a, b and c (Backward).
                    private readonly float[] _channelShift = new float[{{p.Slots}}];
                    private readonly float[] _channelScale = new float[{{p.Slots}}];
                    private readonly float[] _channelOffset = new float[{{p.Slots}}];

                    """);
            }

            if (m.AlignedColumns)
            {
                w.WriteLine($$"""
                    // The per-element coefficients of the pass in progress (shift, scale, offset; or shift, a, b, c), copied where
                    // their address modulo 64 bytes is the destination's, so the kernels' aligned stores come with aligned loads.
                    // Pinned: the copies must not move. Array k starts at _stagedAt + k * StageStride.
                    private const int StageStride = {{m.SampleSize}} + global::NormGen.AlignedStores.Padding;
                    private readonly float[] _staged = global::NormGen.AlignedStores.AllocateStage(4, {{m.SampleSize}});
                    private int _stagedAt;

                    """);
            }

            if (m.Strategy == BatchStrategy.SmallPlanes)
            {
                w.WriteLine($$"""
                    // Per-element copies of per-channel coefficients for the flat kernels over whole samples: the shift, then
                    // scale and offset (Forward) or a, b and c (Backward), each {{m.SampleSize}} floats.
                    private readonly float[] _elementCoefficients = new float[{{4 * m.SampleSize}}];

                    """);
            }
        }
        else if (p.TracksRunningStats)
        {
            w.WriteLine($$"""
                // Scratch per channel: the coefficients of y = (x - shift) * scale + offset from the running statistics (eval).
                private readonly float[] _shift = new float[{{p.Channels}}];
                private readonly float[] _scale = new float[{{p.Channels}}];
                private readonly float[] _offset = new float[{{p.Channels}}];

                """);
        }
        else if (p.Scope == StatisticsScope.ChannelWindow)
        {
            w.WriteLine($$"""
                // Scratch: the squares of one sample, so that in-place calls read inputs before they are overwritten.
                private readonly float[] _squares = new float[{{m.SampleSize}}];

                """);
        }

        w.WriteLine($$"""
            private readonly (string Name, {{Parameter}} Parameter)[] _namedParameters;
            private readonly (string Name, {{ReadOnlyTensor}} Buffer)[] _namedBuffers;

            """);
    }

    private static void WriteConstructor(IndentedWriter w, LayerModel m)
    {
        NormPlan p = m.Plan;
        string initial = string.Join(", ", new[]
        {
            p.HasAffine ? "weight 1" : null,
            p.HasBias ? "bias 0" : null,
            p.TracksRunningStats ? "running_mean 0, running_var 1, num_batches_tracked 0" : null,
        }.Where(s => s is not null));
        w.WriteLine("/// <summary>");
        w.WriteLine("/// Creates the layer in training mode" + (initial.Length > 0 ? " with PyTorch's initial values: " + initial : "") + ".");
        w.WriteLine("/// </summary>");
        using (w.Block($"public {m.ClassName}()"))
        {
            string shape = LayerModel.ShapeList(p.AffineShape);
            if (p.HasAffine)
            {
                w.WriteLine($"Weight = new {Parameter}([{shape}], weightDecay: {(p.ParametersDecay ? "true" : "false")});");
            }

            if (p.HasBias)
            {
                w.WriteLine($"Bias = new {Parameter}([{shape}], weightDecay: {(p.ParametersDecay ? "true" : "false")});");
            }

            if (p.TracksRunningStats)
            {
                w.WriteLine($"RunningMean = {Tensor}.Create(_runningMean, [{p.Channels}]);");
                w.WriteLine($"RunningVar = {Tensor}.Create(_runningVar, [{p.Channels}]);");
                w.WriteLine($"_numBatchesTrackedBuffer = {Tensor}.Create(_numBatchesTracked, [1]);");
            }

            w.WriteLine(p.Affine switch
            {
                AffineKind.WeightAndBias => "_namedParameters = [(\"weight\", Weight), (\"bias\", Bias)];",
                AffineKind.WeightOnly => "_namedParameters = [(\"weight\", Weight)];",
                _ => $"_namedParameters = global::System.Array.Empty<(string, {Parameter})>();",
            });
            w.WriteLine(p.TracksRunningStats
                ? "_namedBuffers = [(\"running_mean\", RunningMean), (\"running_var\", RunningVar), (\"num_batches_tracked\", _numBatchesTrackedBuffer)];"
                : $"_namedBuffers = global::System.Array.Empty<(string, {ReadOnlyTensor})>();");
            if (p.Scope != StatisticsScope.ChannelWindow)
            {
                w.WriteLine("_blockRunner = new NormGenBlockRunner(this);");
            }

            w.WriteLine("ResetParameters();");
        }

        w.WriteLine();
    }

    private static void WriteModeMembers(IndentedWriter w, LayerModel m)
    {
        NormPlan p = m.Plan;
        string usage = p.Kind switch
        {
            LayerKind.BatchNorm or LayerKind.InstanceNorm when p.TracksRunningStats =>
                "In training mode Forward normalizes with batch statistics and updates the running statistics; in eval mode it uses the running statistics.",
            LayerKind.BatchNorm or LayerKind.InstanceNorm =>
                "This layer tracks no running statistics, so Forward normalizes with batch statistics in both modes.",
            _ => $"{p.ModuleName} behaves the same in both modes; the flag exists as on every PyTorch module.",
        };
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

            global::NormGen.IModule global::NormGen.IModule.Train(bool mode) => Train(mode);

            """);
    }

    private static void WriteParameterMembers(IndentedWriter w, LayerModel m)
    {
        NormPlan p = m.Plan;
        string scope = m.ElementwiseAffine && p.Kind != LayerKind.GroupNorm ? "Learnable elementwise" : "Learnable per-channel";
        string shape = LayerModel.ShapeList(p.AffineShape);
        if (p.HasAffine)
        {
            w.WriteLine($$"""
                /// <summary>{{scope}} scale γ (PyTorch's <c>weight</c>), shape [{{shape}}], initialized to 1. {{Decay(p)}}</summary>
                public {{Parameter}} Weight { get; }

                """);
        }

        if (p.HasBias)
        {
            w.WriteLine($$"""
                /// <summary>{{scope}} shift β (PyTorch's <c>bias</c>), shape [{{shape}}], initialized to 0. {{Decay(p)}}</summary>
                public {{Parameter}} Bias { get; }

                """);
        }

        if (p.TracksRunningStats)
        {
            string count = p.Kind == LayerKind.InstanceNorm ? "Always 0: like PyTorch's, InstanceNorm never counts batches (PyTorch's <c>num_batches_tracked</c>)." : "Number of training batches seen (PyTorch's <c>num_batches_tracked</c>).";
            w.WriteLine($$"""
                /// <summary>Running mean per channel (PyTorch's <c>running_mean</c>), shape [{{p.Channels}}], initialized to 0.</summary>
                public {{Tensor}}<float> RunningMean { get; }

                /// <summary>Running unbiased variance per channel (PyTorch's <c>running_var</c>), shape [{{p.Channels}}], initialized to 1.</summary>
                public {{Tensor}}<float> RunningVar { get; }

                /// <summary>{{count}}</summary>
                public long NumBatchesTracked => _numBatchesTracked[0];

                """);
        }
    }

    private static string Decay(NormPlan p) => p.ParametersDecay
        ? "Subject to weight decay (the attribute sets <c>WeightDecay = true</c>)."
        : "Excluded from weight decay (<see cref=\"global::NormGen.Parameter.WeightDecay\"/> is false).";

    private static void WriteEnumeration(IndentedWriter w, LayerModel m)
    {
        NormPlan p = m.Plan;
        string parameters = p.Affine switch
        {
            AffineKind.WeightAndBias => "<c>weight</c>, <c>bias</c>",
            AffineKind.WeightOnly => "<c>weight</c>",
            _ => "none: this layer has no affine parameters",
        };
        string buffers = p.TracksRunningStats ? "<c>running_mean</c>, <c>running_var</c>, <c>num_batches_tracked</c>" : "none: this layer tracks no running statistics";
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

        string what = string.Join(", ", new[]
        {
            p.HasAffine ? "weight 1" : null,
            p.HasBias ? "bias 0" : null,
            p.TracksRunningStats ? "and the running statistics are reset too" : null,
        }.Where(s => s is not null));
        w.WriteLine("/// <summary>");
        w.WriteLine("/// Restores PyTorch's initial values, like its <c>reset_parameters()</c>" + (what.Length > 0 ? ": " + what : " (this layer has none)") + ".");
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
            }

            if (p.HasBias)
            {
                w.WriteLine("Bias.DataSpan.Clear();");
            }
        }

        w.WriteLine();
    }
}
