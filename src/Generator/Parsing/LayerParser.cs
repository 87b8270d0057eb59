using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NormGen.Generator.Diagnostics;
using NormGen.Generator.Helpers;
using NormGen.Generator.Model;

namespace NormGen.Generator.Parsing;

/// <summary>The transform's result: the cacheable model (null when invalid) and diagnostics, which travel apart.</summary>
internal readonly record struct ParseResult(LayerSpec? Spec, ImmutableArray<Diagnostic> Diagnostics);

/// <summary>Turns one annotated class into a <see cref="LayerSpec"/> plus diagnostics. All symbol work happens here.</summary>
internal static class LayerParser
{
    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, string metadataName, CancellationToken cancellationToken)
    {
        var diagnostics = new List<Diagnostic>();
        if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not ClassDeclarationSyntax declaration)
        {
            return default;
        }

        AttributeData attribute = context.Attributes[0];
        var args = new AttributeArguments(attribute, attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax);
        if (!args.IsValid)
        {
            // The compiler already reports the binding error; there is nothing sound to generate.
            return default;
        }

        if (!CheckSingleLayerAttribute(type, attribute, diagnostics, cancellationToken))
        {
            return new ParseResult(null, diagnostics.ToImmutableArray());
        }

        DeclarationChecks.Check(type, declaration, args.DisplayName, diagnostics);
        cancellationToken.ThrowIfCancellationRequested();

        NormPlan? plan = LayerKinds.Map(metadataName, args, diagnostics);
        if (plan is null || diagnostics.Count > 0)
        {
            return new ParseResult(null, diagnostics.ToImmutableArray());
        }

        return new ParseResult(new LayerSpec(DeclarationChecks.GetHierarchy(type, declaration), plan), ImmutableArray<Diagnostic>.Empty);
    }

    /// <summary>
    /// A class may carry only one normalization attribute. Each attribute's transform sees all of them; only the
    /// transform of the first reports, so the diagnostic appears once per extra attribute. The common case (one
    /// attribute) is decided by counting, with no allocation; the list is only built to report.
    /// </summary>
    private static bool CheckSingleLayerAttribute(INamedTypeSymbol type, AttributeData current, List<Diagnostic> diagnostics, CancellationToken cancellationToken)
    {
        ImmutableArray<AttributeData> attributes = type.GetAttributes();
        int count = 0;
        foreach (AttributeData attribute in attributes)
        {
            if (IsNormalizationAttribute(attribute))
            {
                count++;
            }
        }

        if (count <= 1)
        {
            return true;
        }

        var layerAttributes = attributes.Where(IsNormalizationAttribute).ToList();
        if (SymbolEqualityComparer.Default.Equals(layerAttributes[0].AttributeClass, current.AttributeClass)
            && layerAttributes[0].ApplicationSyntaxReference?.Span == current.ApplicationSyntaxReference?.Span)
        {
            string first = AttributeArguments.ShortName(layerAttributes[0]);
            foreach (AttributeData extra in layerAttributes.Skip(1))
            {
                Location location = extra.ApplicationSyntaxReference?.GetSyntax(cancellationToken).GetLocation() ?? Location.None;
                diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.MultipleNormalizationAttributes, location, type.Name, first, AttributeArguments.ShortName(extra)));
            }
        }

        return false;
    }

    /// <summary>Whether the attribute's class is, or derives from, <c>NormGen.NormalizationAttribute</c>.</summary>
    private static bool IsNormalizationAttribute(AttributeData attribute)
    {
        for (INamedTypeSymbol? t = attribute.AttributeClass; t is not null; t = t.BaseType)
        {
            if (TypeNames.Is(t, LayerKinds.BaseAttribute))
            {
                return true;
            }
        }

        return false;
    }
}
