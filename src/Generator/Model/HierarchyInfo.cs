using NormGen.Generator.Helpers;

namespace NormGen.Generator.Model;

/// <summary>A containing type of the annotated class, written back as <c>partial {Keyword} {Name}</c>.</summary>
/// <param name="Keyword">The declaration keyword: <c>class</c>, <c>struct</c>, <c>record</c>, <c>record struct</c> or <c>interface</c>.</param>
/// <param name="Name">The type name as declared (no type parameters: generic containers are rejected).</param>
internal sealed record ContainingType(string Keyword, string Name);

/// <summary>Where the generated partial class lives: namespace and containing types, outermost first.</summary>
/// <param name="FullyQualifiedMetadataName">Unique metadata name, used for the hint name.</param>
/// <param name="Namespace">The namespace, or empty for the global namespace.</param>
/// <param name="ClassName">The annotated class.</param>
/// <param name="ContainingTypes">Containing types, outermost first.</param>
internal sealed record HierarchyInfo(
    string FullyQualifiedMetadataName,
    string Namespace,
    string ClassName,
    EquatableArray<ContainingType> ContainingTypes);
