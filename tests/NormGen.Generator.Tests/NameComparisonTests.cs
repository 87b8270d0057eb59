using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NormGen.Generator.Parsing;
using NormGen.Generator.Tests.Harness;
using Xunit;

namespace NormGen.Generator.Tests;

/// <summary>
/// The parser recognizes types and builds hint names without formatting symbols (it runs for every layer on every
/// edit). These tests pin that to the formatting it replaced: <see cref="TypeNames.Is"/> answers exactly as
/// <c>ToDisplayString() == name</c>, and <see cref="DeclarationChecks.GetHierarchy"/> writes the names
/// <c>ToDisplayString</c> wrote, over types chosen to differ from the well-known ones in one respect each.
/// </summary>
public sealed class NameComparisonTests
{
    private const string Declarations = """
        using System.Collections.Generic;
        using NormGen;

        namespace NormGen.Extra
        {
            public class NormalizationAttribute { }
            public interface IModule { }
        }

        namespace Lookalikes
        {
            public class NormalizationAttribute { }
            public class Outer { public class NormalizationAttribute { } public interface IModule { } }
            public class Generic<T> { public class NormalizationAttribute { } }
            public class NormalizationAttribute<T> { }
            public interface IModule { }
            public class Holder<T>
            {
                public IModule? Maybe;
                public NormGen.IModule? MaybeModule;
                public NormGen.IModule Module = null!;
                public NormGen.IModule[] Modules = null!;
                public List<NormGen.IModule> ModuleList = null!;
                public T Value = default!;
                public (int, int) Pair;
                public int? Count;
            }
        }

        namespace @class.@int
        {
            public partial class @event { public partial struct Inner { } }
            public partial class Plain { }
        }

        namespace A.B.C
        {
            public partial class D
            {
                public partial struct E { public partial record F { public partial class G { } } }
                public partial interface I { public partial class J { } }
                public partial record struct R { public partial class K { } }
            }

            public partial class Gen<T> { public partial class Nested { } }
        }

        public partial class InGlobal { public partial class Nested { } }
        """;

    /// <summary>In a compilation of its own: a class named NormGen would clash with the namespace.</summary>
    private const string ClassNamedNormGen = """
        public class NormGen { public class NormalizationAttribute { } public class IModule { } }
        """;

    private static readonly string[] Names =
    [
        LayerKinds.BaseAttribute, "NormGen.IModule", "NormGen.ModuleAttribute", "NormGen.StateKeyAttribute", LayerKinds.BatchNorm2d,
        "NormalizationAttribute", "IModule", "Lookalikes.NormalizationAttribute", "Lookalikes.Outer.NormalizationAttribute",
        "NormGen.Extra.NormalizationAttribute", "A.B.C.D.E.F", "A.B.C.D", "B.C.D", "A.B", "InGlobal.Nested", "System.Object", "System.Int32", "System.Enum", "System.Attribute",
        "System.Collections.Generic.List", "Lookalikes.Holder", "", ".", "NormGen.", ".NormGen.IModule",
    ];

    [Fact]
    public void TypeNamesIsAnswersAsComparingTheDisplayString()
    {
        int compared = 0;
        foreach (Compilation compilation in new[] { GeneratorHarness.CreateCompilation(Declarations), GeneratorHarness.CreateCompilation(ClassNamedNormGen) })
        {
            foreach (ITypeSymbol type in TypesOf(compilation))
            {
                string display = type.ToDisplayString();
                foreach (string name in IsDottedName(display) ? Names.Append(display) : Names)
                {
                    Assert.True(TypeNames.Is(type, name) == (display == name), $"TypeNames.Is({display}, \"{name}\") disagrees with ToDisplayString()");
                    compared++;
                }
            }
        }

        Assert.True(compared > 1000, $"only {compared} comparisons");
    }

    [Fact]
    public void GetHierarchyWritesTheNamesToDisplayStringWrote()
    {
        var metadataFormat = new SymbolDisplayFormat(typeQualificationStyle: SymbolDisplayTypeQualificationStyle.NameAndContainingTypesAndNamespaces);
        Compilation compilation = GeneratorHarness.CreateCompilation(Declarations);
        SyntaxTree tree = compilation.SyntaxTrees.Single();
        SemanticModel model = compilation.GetSemanticModel(tree);
        var classes = tree.GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>().ToList();
        Assert.True(classes.Count > 15);
        foreach (ClassDeclarationSyntax declaration in classes)
        {
            INamedTypeSymbol type = model.GetDeclaredSymbol(declaration)!;
            var hierarchy = DeclarationChecks.GetHierarchy(type, declaration);
            Assert.Equal(type.ToDisplayString(metadataFormat), hierarchy.FullyQualifiedMetadataName);
            Assert.Equal(type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString(), hierarchy.Namespace);
            Assert.Equal(type.Name, hierarchy.ClassName);
        }
    }

    /// <summary>The names <see cref="TypeNames.Is"/> is specified for: identifiers, not keywords (not even contextual ones), joined with dots.</summary>
    private static bool IsDottedName(string name) =>
        name.Split('.').All(part => SyntaxFacts.IsValidIdentifier(part) && SyntaxFacts.GetKeywordKind(part) == SyntaxKind.None && SyntaxFacts.GetContextualKeywordKind(part) == SyntaxKind.None);

    /// <summary>Source types (nested too), NormGen's types, a few BCL types, and the field types of the holders.</summary>
    private static IEnumerable<ITypeSymbol> TypesOf(Compilation compilation)
    {
        var types = new List<ITypeSymbol>();
        void Add(INamespaceOrTypeSymbol container)
        {
            foreach (ISymbol member in container.GetMembers())
            {
                if (member is INamespaceSymbol ns)
                {
                    Add(ns);
                }
                else if (member is INamedTypeSymbol type)
                {
                    types.Add(type);
                    types.AddRange(type.GetMembers().OfType<IFieldSymbol>().Select(f => f.Type));
                    if (type.BaseType is { } baseType)
                    {
                        types.Add(baseType);
                    }

                    Add(type);
                }
            }
        }

        Add(compilation.Assembly.GlobalNamespace);
        INamedTypeSymbol attribute = compilation.GetTypeByMetadataName(LayerKinds.BatchNorm2d)!;
        Add(attribute.ContainingNamespace);
        types.Add(compilation.GetSpecialType(SpecialType.System_Object));
        types.Add(compilation.GetSpecialType(SpecialType.System_Nullable_T));
        types.Add(compilation.GetSpecialType(SpecialType.System_Int32));
        types.Add(compilation.GetSpecialType(SpecialType.System_Enum));
        types.Add(compilation.GetSpecialType(SpecialType.System_IntPtr));
        return types;
    }
}
