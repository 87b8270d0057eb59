using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NormGen.Generator.Diagnostics;
using NormGen.Generator.Helpers;
using NormGen.Generator.Model;

namespace NormGen.Generator.Parsing;

/// <summary>The transform's result for a module: the cacheable model (null when invalid) and diagnostics.</summary>
internal readonly record struct ModuleParseResult(ModuleSpec? Spec, ImmutableArray<Diagnostic> Diagnostics);

/// <summary>Turns a <c>[Module]</c> class into a <see cref="ModuleSpec"/>: its fields and properties that hold layers or modules.</summary>
internal static class ModuleParser
{
    public const string ModuleAttribute = "NormGen.ModuleAttribute";
    private const string StateKeyAttribute = "NormGen.StateKeyAttribute";
    private const string ModuleInterface = "NormGen.IModule";

    public static ModuleParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type || context.TargetNode is not ClassDeclarationSyntax declaration)
        {
            return default;
        }

        var diagnostics = new List<Diagnostic>();
        DeclarationChecks.Check(type, declaration, "Module", diagnostics);
        var members = new List<ModuleMember>();
        var keys = new Dictionary<string, string>();
        foreach (ISymbol member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            ITypeSymbol? memberType = member switch
            {
                IFieldSymbol { IsStatic: false, IsImplicitlyDeclared: false } field => field.Type,
                IPropertySymbol { IsStatic: false, IsIndexer: false, GetMethod: not null } property => property.Type,
                _ => null,
            };
            if (memberType is null || !IsModuleType(memberType))
            {
                continue;
            }

            string key = member.GetAttributes().FirstOrDefault(a => TypeNames.Is(a.AttributeClass, StateKeyAttribute))?.ConstructorArguments.FirstOrDefault().Value as string
                ?? SnakeCase(member.Name);
            if (keys.TryGetValue(key, out string? other))
            {
                Location location = member.Locations.FirstOrDefault() ?? Location.None;
                diagnostics.Add(Diagnostic.Create(DiagnosticDescriptors.DuplicateStateKey, location, type.Name, other, member.Name, key));
                continue;
            }

            keys.Add(key, member.Name);
            members.Add(new ModuleMember(member.Name, key));
        }

        if (diagnostics.Count > 0)
        {
            return new ModuleParseResult(null, diagnostics.ToImmutableArray());
        }

        return new ModuleParseResult(new ModuleSpec(DeclarationChecks.GetHierarchy(type, declaration), members.ToEquatableArray()), ImmutableArray<Diagnostic>.Empty);
    }

    /// <summary>
    /// A layer (a class with a normalization attribute), a module (<c>[Module]</c>), or any type implementing
    /// <c>NormGen.IModule</c>. Generated classes implement IModule in generated code, which this compilation does not
    /// see yet, hence the attribute checks.
    /// </summary>
    private static bool IsModuleType(ITypeSymbol type)
    {
        if (type.AllInterfaces.Any(i => TypeNames.Is(i, ModuleInterface)) || TypeNames.Is(type, ModuleInterface))
        {
            return true;
        }

        foreach (AttributeData attribute in type.GetAttributes())
        {
            for (INamedTypeSymbol? t = attribute.AttributeClass; t is not null; t = t.BaseType)
            {
                if (TypeNames.Is(t, LayerKinds.BaseAttribute) || TypeNames.Is(t, ModuleAttribute))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// PyTorch-style key of a C# member name: leading underscores (and <c>m_</c>) dropped, words split at lower-to-upper
    /// changes and before the last capital of an acronym: <c>StemNorm</c> → <c>stem_norm</c>, <c>Layer1</c> → <c>layer1</c>,
    /// <c>_bn</c> → <c>bn</c>, <c>HTTPNorm</c> → <c>http_norm</c>.
    /// </summary>
    public static string SnakeCase(string name)
    {
        if (name.StartsWith("m_", System.StringComparison.Ordinal))
        {
            name = name.Substring(2);
        }

        name = name.TrimStart('_');
        var builder = new StringBuilder(name.Length + 4);
        for (int i = 0; i < name.Length; i++)
        {
            char c = name[i];
            if (char.IsUpper(c))
            {
                bool afterLowerOrDigit = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                bool endsAcronym = i > 0 && char.IsUpper(name[i - 1]) && i + 1 < name.Length && char.IsLower(name[i + 1]);
                if ((afterLowerOrDigit || endsAcronym) && builder.Length > 0 && builder[builder.Length - 1] != '_')
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
