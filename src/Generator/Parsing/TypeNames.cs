using Microsoft.CodeAnalysis;

namespace NormGen.Generator.Parsing;

/// <summary>
/// Recognizes the generator's well-known types by name without formatting them. The transform runs for every annotated
/// class on every edit, so <c>type.ToDisplayString() == "NormGen.X"</c> would build a display string per comparison each
/// time; <see cref="Is"/> gives the same answer by comparing the names of the type and its containers in place.
/// </summary>
internal static class TypeNames
{
    /// <summary>
    /// True exactly when <c>type.ToDisplayString()</c> (C# error-message format) equals <paramref name="qualifiedName"/>,
    /// for a name made of identifiers that are not C# keywords (reserved or contextual), joined with dots (such as
    /// <c>NormGen.NormalizationAttribute</c>): the type and each containing type are not generic (their display would
    /// add type arguments), the type is not annotated nullable (it would add <c>?</c>), and the names of the type and
    /// its containing types and namespaces, up to the global namespace, are the dotted parts. Special types, which may
    /// display as keywords (<c>object</c>, <c>nint</c>), are formatted when the name could be theirs, which the names
    /// the generator looks for never are.
    /// </summary>
    public static bool Is(ITypeSymbol? type, string qualifiedName)
    {
        if (type is ITypeParameterSymbol)
        {
            // Displayed by its name alone (plus '?' when annotated).
            return type.NullableAnnotation != NullableAnnotation.Annotated && type.Name == qualifiedName;
        }

        if (type is not INamedTypeSymbol { Arity: 0 } || type.NullableAnnotation == NullableAnnotation.Annotated)
        {
            return false;
        }

        if (type.SpecialType != SpecialType.None && (NamesMatch(type, qualifiedName) || qualifiedName.IndexOf('.') < 0))
        {
            // A special type displays as a keyword (object, int, nint: no dot) or by its qualified name; format it.
            return type.ToDisplayString() == qualifiedName;
        }

        return NamesMatch(type, qualifiedName);
    }

    private static bool NamesMatch(ISymbol symbol, string qualifiedName)
    {
        int end = qualifiedName.Length;
        while (true)
        {
            int dot = end == 0 ? -1 : qualifiedName.LastIndexOf('.', end - 1);
            int start = dot + 1;
            string name = symbol.Name;
            if (name.Length != end - start || string.CompareOrdinal(qualifiedName, start, name, 0, name.Length) != 0)
            {
                return false;
            }

            ISymbol? container = symbol.ContainingSymbol;
            bool containerShown = container is INamedTypeSymbol or INamespaceSymbol { IsGlobalNamespace: false };
            if (dot < 0)
            {
                return !containerShown;
            }

            if (!containerShown || container is INamedTypeSymbol { Arity: > 0 })
            {
                return false;
            }

            symbol = container!;
            end = dot;
        }
    }
}
