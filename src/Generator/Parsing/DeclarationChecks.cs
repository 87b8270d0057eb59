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

    /// <summary>
    /// Where the class lives. <see cref="HierarchyInfo.Namespace"/> is the namespace's C# display (keywords escaped with
    /// <c>@</c>), as it is written into the generated file. <see cref="HierarchyInfo.FullyQualifiedMetadataName"/> (the
    /// hint name) is what <c>ToDisplayString</c> with only <c>NameAndContainingTypesAndNamespaces</c> writes: the names
    /// of the namespaces, containing types and class joined with dots, unescaped and without type arguments. It is
    /// joined from those names rather than formatted: for a top-level class, from the namespace's display when that
    /// escapes no keyword (an identifier cannot otherwise contain <c>@</c>); otherwise from the symbols.
    /// </summary>
    public static HierarchyInfo GetHierarchy(INamedTypeSymbol type, ClassDeclarationSyntax declaration)
    {
        var containing = EquatableArray<ContainingType>.Empty;
        if (declaration.Parent is TypeDeclarationSyntax)
        {
            var containers = new List<ContainingType>();
            for (SyntaxNode? parent = declaration.Parent; parent is TypeDeclarationSyntax container; parent = parent.Parent)
            {
                containers.Insert(0, new ContainingType(Keyword(container), container.Identifier.ValueText));
            }

            containing = containers.ToEquatableArray();
        }

        string ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : "";
        string metadataName = type.ContainingType is null && ns.IndexOf('@') < 0
            ? (ns.Length == 0 ? type.Name : string.Concat(ns, ".", type.Name))
            : MetadataNameFromSymbols(type);
        return new HierarchyInfo(metadataName, ns, type.Name, containing);
    }

    private static string MetadataNameFromSymbols(INamedTypeSymbol type)
    {
        var parts = new Stack<string>();
        for (ISymbol symbol = type; symbol is INamedTypeSymbol or INamespaceSymbol { IsGlobalNamespace: false }; symbol = symbol.ContainingSymbol)
        {
            parts.Push(symbol.Name);
        }

        return string.Join(".", parts);
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
