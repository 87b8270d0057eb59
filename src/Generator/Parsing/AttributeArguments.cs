using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace NormGen.Generator.Parsing;

/// <summary>
/// Reads an attribute's constructor and named arguments, together with the source location of each,
/// so that a diagnostic about one argument points at that argument.
/// </summary>
internal sealed class AttributeArguments
{
    private readonly AttributeData _data;
    private readonly AttributeSyntax? _syntax;

    public AttributeArguments(AttributeData data, AttributeSyntax? syntax)
    {
        _data = data;
        _syntax = syntax;
    }

    /// <summary>The attribute's short name as written by users: <c>BatchNorm2d</c>.</summary>
    public string DisplayName => ShortName(_data);

    /// <summary>An attribute class name without its <c>Attribute</c> suffix, as users write it.</summary>
    public static string ShortName(AttributeData attribute)
    {
        string name = attribute.AttributeClass?.Name ?? "?";
        return name.EndsWith("Attribute", System.StringComparison.Ordinal) ? name.Substring(0, name.Length - "Attribute".Length) : name;
    }

    /// <summary>Location of the whole attribute (for diagnostics that concern it as a whole).</summary>
    public Location Location => _syntax?.GetLocation() ?? Location.None;

    /// <summary>True when the compiler could bind the attribute; arguments of an erroneous attribute are not read.</summary>
    public bool IsValid =>
        _data.AttributeConstructor is not null
        && !_data.ConstructorArguments.Any(a => a.Kind == TypedConstantKind.Error)
        && !_data.NamedArguments.Any(a => a.Value.Kind == TypedConstantKind.Error);

    /// <summary>The value of constructor parameter <paramref name="index"/>.</summary>
    public T Positional<T>(int index) => (T)_data.ConstructorArguments[index].Value!;

    /// <summary>The elements of a <c>params int[]</c> constructor parameter at <paramref name="index"/>.</summary>
    public int[] PositionalArray(int index) =>
        _data.ConstructorArguments[index].Values.Select(v => (int)v.Value!).ToArray();

    /// <summary>Location of element <paramref name="element"/> of the <c>params</c> parameter at <paramref name="index"/>.</summary>
    public Location ParamsElementLocation(int index, int element)
    {
        if (_syntax?.ArgumentList is not { } list)
        {
            return Location;
        }

        ImmutableArray<AttributeArgumentSyntax> positional = list.Arguments.Where(a => a.NameEquals is null && a.NameColon is null).ToImmutableArray();
        return index + element < positional.Length ? positional[index + element].GetLocation() : Location;
    }

    /// <summary>The name of constructor parameter <paramref name="index"/>.</summary>
    public string PositionalName(int index) => _data.AttributeConstructor!.Parameters[index].Name;

    /// <summary>The value of the named argument <paramref name="name"/>, or <paramref name="fallback"/> when absent.</summary>
    public T Named<T>(string name, T fallback)
    {
        foreach (var pair in _data.NamedArguments)
        {
            if (pair.Key == name && pair.Value.Value is T value)
            {
                return value;
            }
        }

        return fallback;
    }

    /// <summary>Location of constructor argument <paramref name="index"/> (by name when written with <c>name:</c>).</summary>
    public Location PositionalLocation(int index)
    {
        if (_syntax?.ArgumentList is not { } list)
        {
            return Location;
        }

        string parameterName = PositionalName(index);
        var byName = list.Arguments.FirstOrDefault(a => a.NameColon?.Name.Identifier.ValueText == parameterName);
        if (byName is not null)
        {
            return byName.GetLocation();
        }

        ImmutableArray<AttributeArgumentSyntax> positional = list.Arguments.Where(a => a.NameEquals is null && a.NameColon is null).ToImmutableArray();
        return index < positional.Length ? positional[index].GetLocation() : Location;
    }

    /// <summary>Location of the named argument <paramref name="name"/> (<c>Eps = ...</c>).</summary>
    public Location NamedLocation(string name)
    {
        var argument = _syntax?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name);
        return argument?.GetLocation() ?? Location;
    }
}
