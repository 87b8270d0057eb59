using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NormGen.Generator.Diagnostics;
using NormGen.Generator.Helpers;
using NormGen.Generator.Model;

namespace NormGen.Generator.Parsing;

/// <summary>Checks and facts shared by every annotated class (layers and modules): partial, not generic, where it lives.</summary>
internal static class DeclarationChecks
{
    public static void Check(INamedTypeSymbol type, ClassDeclarationSyntax declaration, string attributeName, List<Diagnostic> diagnostics)
    {
        if (!declaration.Modifiers.Any(SyntaxKind.PartialKeyword))
        {
            diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.ClassNotPartial, declaration.Identifier.GetLocation(), type.Name, attributeName));
        }

        for (SyntaxNode? parent = declaration.Parent; parent is TypeDeclarationSyntax container; parent = parent.Parent)
        {
            if (!container.Modifiers.Any(SyntaxKind.PartialKeyword))
            {
                diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.ContainingTypeNotPartial, container.Identifier.GetLocation(), container.Identifier.ValueText, type.Name));
            }
        }

        for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
        {
            if (t.TypeParameters.Length > 0)
            {
                Location location = ReferenceEquals(t, type) && declaration.TypeParameterList is { } list ? list.GetLocation() : declaration.Identifier.GetLocation();
                diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.GenericClass, location, type.Name));
                break;
            }
        }
    }

    public static HierarchyInfo GetHierarchy(INamedTypeSymbol type, ClassDeclarationSyntax declaration)
    {
        var containing = new List<ContainingType>();
        for (SyntaxNode? parent = declaration.Parent; parent is TypeDeclarationSyntax container; parent = parent.Parent)
        {
            containing.Insert(0, new ContainingType(Keyword(container), container.Identifier.ValueText));
        }

        string ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : "";
        string metadataName = type.ToDisplayString(new SymbolDisplayFormat(
            typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces));
        return new HierarchyInfo(metadataName, ns, type.Name, containing.ToEquatableArray());
    }

    private static string Keyword(TypeDeclarationSyntax container) => container switch
    {
        RecordDeclarationSyntax r when r.ClassOrStructKeyword.IsKind(SyntaxKind.StructKeyword) => "record struct",
        RecordDeclarationSyntax => "record",
        StructDeclarationSyntax => "struct",
        InterfaceDeclarationSyntax => "interface",
        _ => "class",
    };
}
