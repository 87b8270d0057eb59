using System.Collections.Generic;
using System.Globalization;
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

    /// <summary>Every attribute the generator listens to (one <c>ForAttributeWithMetadataName</c> each).</summary>
    public static readonly string[] MetadataNames = { BatchNorm1d, BatchNorm2d, BatchNorm3d };

    /// <summary>Builds the plan for one attribute, or returns null after adding diagnostics for invalid arguments.</summary>
    public static NormPlan? Map(string metadataName, AttributeArguments args, List<Diagnostic> diagnostics) => metadataName switch
    {
        BatchNorm1d => MapBatchNorm(args, diagnostics, "BatchNorm1d", acceptedRanks: new[] { 2, 3 }, positionalCount: 1, namedLength: true),
        BatchNorm2d => MapBatchNorm(args, diagnostics, "BatchNorm2d", acceptedRanks: new[] { 4 }, positionalCount: 3, namedLength: false),
        BatchNorm3d => MapBatchNorm(args, diagnostics, "BatchNorm3d", acceptedRanks: new[] { 5 }, positionalCount: 4, namedLength: false),
        _ => null,
    };

    private static NormPlan? MapBatchNorm(
        AttributeArguments args,
        List<Diagnostic> diagnostics,
        string moduleName,
        int[] acceptedRanks,
        int positionalCount,
        bool namedLength)
    {
        int errors = diagnostics.Count;
        var shape = new List<int>();
        for (int i = 0; i < positionalCount; i++)
        {
            int value = args.Positional<int>(i);
            if (value <= 0)
            {
                diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.NonPositiveDimension, args.PositionalLocation(i), args.PositionalName(i), args.DisplayName, value));
            }

            shape.Add(value);
        }

        if (namedLength)
        {
            int length = args.Named("Length", 0);
            if (length < 0)
            {
                diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.NonPositiveDimension, args.NamedLocation("Length"), "Length", args.DisplayName, length));
            }
            else if (length > 0)
            {
                shape.Add(length);
            }
        }

        double eps = args.Named("Eps", 1e-5);
        if (double.IsNaN(eps) || eps < 0)
        {
            diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.InvalidEps, args.NamedLocation("Eps"), args.DisplayName, eps.ToString("R", CultureInfo.InvariantCulture)));
        }

        bool cumulative = args.Named("CumulativeAverage", false);
        double momentum = args.Named("Momentum", 0.1);
        if (double.IsNaN(momentum) || momentum < 0 || momentum > 1)
        {
            diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.InvalidMomentum, args.NamedLocation("Momentum"), args.DisplayName, momentum.ToString("R", CultureInfo.InvariantCulture)));
        }

        if (diagnostics.Count > errors)
        {
            return null;
        }

        long sampleSize = 1;
        foreach (int dim in shape)
        {
            sampleSize *= dim;
            if (sampleSize > int.MaxValue)
            {
                diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.SampleSizeOverflow, args.Location, args.DisplayName, ProductText(shape), int.MaxValue));
                return null;
            }
        }

        int channels = shape[0];
        return new NormPlan(
            ModuleName: moduleName,
            SampleShape: shape.ToEquatableArray(),
            AcceptedRanks: acceptedRanks.ToEquatableArray(),
            Slots: channels,
            SlotLength: (int)(sampleSize / channels),
            Affine: args.Named("Affine", true) ? AffineKind.WeightAndBias : AffineKind.None,
            RunningStats: !args.Named("TrackRunningStats", true) ? RunningStatsKind.None
                : cumulative ? RunningStatsKind.Cumulative
                : RunningStatsKind.Momentum,
            Eps: eps,
            Momentum: cumulative ? 0 : momentum);
    }

    private static string ProductText(List<int> shape)
    {
        System.Numerics.BigInteger product = 1;
        foreach (int dim in shape)
        {
            product *= dim;
        }

        return product.ToString(CultureInfo.InvariantCulture);
    }
}
