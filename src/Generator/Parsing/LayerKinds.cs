using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using NormGen.Generator.Diagnostics;
using NormGen.Generator.Helpers;
using NormGen.Generator.Model;

namespace NormGen.Generator.Parsing;

/// <summary>
/// Maps each normalization attribute onto a <see cref="NormPlan"/>. Adding a layer kind means adding an
/// attribute to the runtime, its metadata name to <see cref="MetadataNames"/>, and one mapping here.
/// </summary>
internal static class LayerKinds
{
    public const string BaseAttribute = "NormGen.NormalizationAttribute";
    public const string BatchNorm1d = "NormGen.BatchNorm1dAttribute";
    public const string BatchNorm2d = "NormGen.BatchNorm2dAttribute";
    public const string BatchNorm3d = "NormGen.BatchNorm3dAttribute";
    public const string InstanceNorm1d = "NormGen.InstanceNorm1dAttribute";
    public const string InstanceNorm2d = "NormGen.InstanceNorm2dAttribute";
    public const string InstanceNorm3d = "NormGen.InstanceNorm3dAttribute";
    public const string GroupNorm = "NormGen.GroupNormAttribute";
    public const string LayerNorm = "NormGen.LayerNormAttribute";
    public const string RmsNorm = "NormGen.RmsNormAttribute";
    public const string LocalResponseNorm = "NormGen.LocalResponseNormAttribute";

    /// <summary>PyTorch's eps for float32 RMSNorm when <c>eps=None</c>: float32 machine epsilon.</summary>
    private const double FloatEpsilon = 1.1920928955078125e-07;

    /// <summary>Every attribute the generator listens to (one <c>ForAttributeWithMetadataName</c> each).</summary>
    public static readonly string[] MetadataNames =
    {
        BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, GroupNorm, LayerNorm, RmsNorm, LocalResponseNorm,
    };

    /// <summary>Builds the plan for one attribute, or returns null after adding diagnostics for invalid arguments.</summary>
    public static NormPlan? Map(string metadataName, AttributeArguments args, List<Diagnostic> diagnostics)
    {
        var reader = new Reader(args, diagnostics);
        NormPlan? plan = metadataName switch
        {
            BatchNorm1d => BatchNorm(reader, "BatchNorm1d", new[] { 2, 3 }, reader.Dimensions(1, namedLength: "Length")),
            BatchNorm2d => BatchNorm(reader, "BatchNorm2d", new[] { 4 }, reader.Dimensions(3)),
            BatchNorm3d => BatchNorm(reader, "BatchNorm3d", new[] { 5 }, reader.Dimensions(4)),
            InstanceNorm1d => InstanceNorm(reader, "InstanceNorm1d", reader.Dimensions(2)),
            InstanceNorm2d => InstanceNorm(reader, "InstanceNorm2d", reader.Dimensions(3)),
            InstanceNorm3d => InstanceNorm(reader, "InstanceNorm3d", reader.Dimensions(4)),
            GroupNorm => GroupNormPlan(reader),
            LayerNorm => RowPlan(reader, LayerKind.LayerNorm, "LayerNorm"),
            RmsNorm => RowPlan(reader, LayerKind.RmsNorm, "RMSNorm"),
            LocalResponseNorm => LocalResponseNormPlan(reader),
            _ => null,
        };
        if (reader.Failed || plan is null)
        {
            return null;
        }

        // Every mapping leaves ParametersDecay at its default, false; copy the plan only to set it.
        return args.Named("WeightDecay", false) ? plan with { ParametersDecay = true } : plan;
    }

    private static NormPlan BatchNorm(Reader r, string module, int[] ranks, List<int> shape)
    {
        double eps = r.Eps(1e-5);
        bool cumulative = r.Args.Named("CumulativeAverage", false);
        double momentum = r.Momentum();
        bool affine = r.Args.Named("Affine", true);
        int channels = shape[0];
        int spatial = r.SampleSize(shape) / System.Math.Max(channels, 1);
        return new NormPlan(
            LayerKind.BatchNorm, module, shape.ToEquatableArray(), ranks.ToEquatableArray(),
            Channels: channels, Slots: channels, SlotLength: spatial, StatisticsScope.Batch, SubtractMean: true,
            affine ? AffineKind.WeightAndBias : AffineKind.None, EquatableArray.Create(channels), AffineBlock: spatial,
            !r.Args.Named("TrackRunningStats", true) ? RunningStatsKind.None : cumulative ? RunningStatsKind.Cumulative : RunningStatsKind.Momentum,
            eps, cumulative ? 0 : momentum, Window: null);
    }

    private static NormPlan InstanceNorm(Reader r, string module, List<int> shape)
    {
        double eps = r.Eps(1e-5);
        double momentum = r.Momentum();
        bool affine = r.Args.Named("Affine", false);
        int channels = shape[0];
        int spatial = r.SampleSize(shape) / System.Math.Max(channels, 1);
        return new NormPlan(
            LayerKind.InstanceNorm, module, shape.ToEquatableArray(), EquatableArray.Create(shape.Count, shape.Count + 1),
            Channels: channels, Slots: channels, SlotLength: spatial, StatisticsScope.Sample, SubtractMean: true,
            affine ? AffineKind.WeightAndBias : AffineKind.None, EquatableArray.Create(channels), AffineBlock: spatial,
            r.Args.Named("TrackRunningStats", false) ? RunningStatsKind.Momentum : RunningStatsKind.None,
            eps, momentum, Window: null);
    }

    private static NormPlan? GroupNormPlan(Reader r)
    {
        int groups = r.Positive(0);
        int channels = r.Positive(1);
        List<int> spatialDims = r.ParamsDimensions(2);
        double eps = r.Eps(1e-5);
        if (r.Failed)
        {
            return null;
        }

        if (channels % groups != 0)
        {
            r.Report(DiagnosticDescriptors.GroupsDoNotDivideChannels, r.Args.PositionalLocation(0), r.Args.DisplayName, channels, groups);
            return null;
        }

        var shape = new List<int> { channels };
        shape.AddRange(spatialDims);
        int sampleSize = r.SampleSize(shape);
        int spatial = sampleSize / channels;
        bool affine = r.Args.Named("Affine", true);
        return new NormPlan(
            LayerKind.GroupNorm, "GroupNorm", shape.ToEquatableArray(), EquatableArray.Create(shape.Count + 1),
            Channels: channels, Slots: groups, SlotLength: sampleSize / groups, StatisticsScope.Sample, SubtractMean: true,
            affine ? AffineKind.WeightAndBias : AffineKind.None, EquatableArray.Create(channels), AffineBlock: affine ? spatial : sampleSize / groups,
            RunningStatsKind.None, eps, 0, Window: null);
    }

    private static NormPlan? RowPlan(Reader r, LayerKind kind, string module)
    {
        List<int> shape = r.ParamsDimensions(0);
        if (shape.Count == 0)
        {
            r.Report(DiagnosticDescriptors.MissingDimension, r.Args.Location, r.Args.DisplayName, "normalized dimension");
        }

        double eps = r.Eps(kind == LayerKind.RmsNorm ? FloatEpsilon : 1e-5);
        if (r.Failed)
        {
            return null;
        }

        int size = r.SampleSize(shape);
        bool elementwise = r.Args.Named("ElementwiseAffine", true);
        AffineKind affine = !elementwise ? AffineKind.None
            : kind == LayerKind.RmsNorm || !r.Args.Named("Bias", true) ? AffineKind.WeightOnly
            : AffineKind.WeightAndBias;
        return new NormPlan(
            kind, module, shape.ToEquatableArray(), EquatableArray<int>.Empty,
            Channels: 0, Slots: 1, SlotLength: size, StatisticsScope.Sample, SubtractMean: kind == LayerKind.LayerNorm,
            affine, shape.ToEquatableArray(), AffineBlock: affine == AffineKind.None ? size : 1,
            RunningStatsKind.None, eps, 0, Window: null);
    }

    private static NormPlan? LocalResponseNormPlan(Reader r)
    {
        int size = r.Positive(0);
        int channels = r.Positive(1);
        List<int> spatialDims = r.ParamsDimensions(2);
        if (spatialDims.Count == 0 && !r.Failed)
        {
            r.Report(DiagnosticDescriptors.MissingDimension, r.Args.Location, r.Args.DisplayName, "spatial dimension (PyTorch requires 3D or higher input)");
        }

        if (r.Failed)
        {
            return null;
        }

        var shape = new List<int> { channels };
        shape.AddRange(spatialDims);
        int sampleSize = r.SampleSize(shape);
        var window = new ChannelWindow(size, r.Args.Named("Alpha", 1e-4), r.Args.Named("Beta", 0.75), r.Args.Named("K", 1.0));
        return new NormPlan(
            LayerKind.LocalResponseNorm, "LocalResponseNorm", shape.ToEquatableArray(), EquatableArray.Create(shape.Count + 1),
            Channels: channels, Slots: channels, SlotLength: sampleSize / channels, StatisticsScope.ChannelWindow, SubtractMean: false,
            AffineKind.None, EquatableArray<int>.Empty, AffineBlock: sampleSize, RunningStatsKind.None, 0, 0, window);
    }

    /// <summary>Reads and validates arguments, collecting diagnostics.</summary>
    private sealed class Reader
    {
        private readonly List<Diagnostic> _diagnostics;
        private readonly int _initialCount;

        public Reader(AttributeArguments args, List<Diagnostic> diagnostics)
        {
            Args = args;
            _diagnostics = diagnostics;
            _initialCount = diagnostics.Count;
        }

        public AttributeArguments Args { get; }

        public bool Failed => _diagnostics.Count > _initialCount;

        public void Report(DiagnosticDescriptor descriptor, Location location, params object[] args) =>
            _diagnostics.Add(Diagnostic.Create(descriptor, location, args));

        public int Positive(int index)
        {
            int value = Args.Positional<int>(index);
            if (value <= 0)
            {
                Report(DiagnosticDescriptors.NonPositiveDimension, Args.PositionalLocation(index), Args.PositionalName(index), Args.DisplayName, value);
            }

            return value;
        }

        /// <summary>The first <paramref name="count"/> positional dimensions, plus an optional named one (0 = absent).</summary>
        public List<int> Dimensions(int count, string? namedLength = null)
        {
            var shape = new List<int>();
            for (int i = 0; i < count; i++)
            {
                shape.Add(Positive(i));
            }

            if (namedLength is not null)
            {
                int length = Args.Named(namedLength, 0);
                if (length < 0)
                {
                    Report(DiagnosticDescriptors.NonPositiveDimension, Args.NamedLocation(namedLength), namedLength, Args.DisplayName, length);
                }
                else if (length > 0)
                {
                    shape.Add(length);
                }
            }

            return shape;
        }

        /// <summary>The dimensions of a <c>params int[]</c> parameter at <paramref name="index"/>.</summary>
        public List<int> ParamsDimensions(int index)
        {
            int[] values = Args.PositionalArray(index);
            for (int i = 0; i < values.Length; i++)
            {
                if (values[i] <= 0)
                {
                    Report(DiagnosticDescriptors.NonPositiveDimension, Args.ParamsElementLocation(index, i), Args.PositionalName(index), Args.DisplayName, values[i]);
                }
            }

            return values.ToList();
        }

        public double Eps(double fallback)
        {
            double eps = Args.Named("Eps", fallback);
            if (double.IsNaN(eps) || eps < 0)
            {
                Report(DiagnosticDescriptors.InvalidEps, Args.NamedLocation("Eps"), Args.DisplayName, eps.ToString("R", CultureInfo.InvariantCulture));
            }

            return eps;
        }

        public double Momentum()
        {
            double momentum = Args.Named("Momentum", 0.1);
            if (double.IsNaN(momentum) || momentum < 0 || momentum > 1)
            {
                Report(DiagnosticDescriptors.InvalidMomentum, Args.NamedLocation("Momentum"), Args.DisplayName, momentum.ToString("R", CultureInfo.InvariantCulture));
            }

            return momentum;
        }

        /// <summary>The product of <paramref name="shape"/>, or a diagnostic when it exceeds int.MaxValue (then 1).</summary>
        public int SampleSize(List<int> shape)
        {
            if (Failed)
            {
                return 1;
            }

            long size = 1;
            foreach (int dim in shape)
            {
                size *= dim;
                if (size > int.MaxValue)
                {
                    System.Numerics.BigInteger product = 1;
                    foreach (int d in shape)
                    {
                        product *= d;
                    }

                    Report(DiagnosticDescriptors.SampleSizeOverflow, Args.Location, Args.DisplayName, product.ToString(CultureInfo.InvariantCulture), int.MaxValue);
                    return 1;
                }
            }

            return (int)size;
        }
    }
}
