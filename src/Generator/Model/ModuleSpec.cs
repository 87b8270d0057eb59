using NormGen.Generator.Helpers;

namespace NormGen.Generator.Model;

/// <summary>A member of a <c>[Module]</c> that holds a layer or a module.</summary>
/// <param name="MemberName">The field or property name.</param>
/// <param name="Key">Its state-dict key: snake_case of the name, or <c>[StateKey]</c>.</param>
internal sealed record ModuleMember(string MemberName, string Key);

/// <summary>A <c>[Module]</c> class: where it lives and its children in declaration order. Value-equatable.</summary>
internal sealed record ModuleSpec(HierarchyInfo Hierarchy, EquatableArray<ModuleMember> Members);
