using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using NormGen.Generator.Diagnostics;
using NormGen.Generator.Tests.Harness;
using Xunit;

namespace NormGen.Generator.Tests;

/// <summary>
/// docs/diagnostics.md is the target of every diagnostic's help link: it has one section per ID, and its examples are
/// real: each *Bad* example reports the section's ID, each *Fixed* example generates a layer that compiles cleanly.
/// </summary>
public sealed partial class DiagnosticsDocTests
{
    private static readonly string DocPath = Path.Combine(RepositoryRoot(), "docs", "diagnostics.md");

    public static TheoryData<string> DescriptorIds => [.. Descriptors().Select(d => d.Id)];

    public static TheoryData<string> DocumentedIds => [.. Sections().Keys];

    [Theory]
    [MemberData(nameof(DescriptorIds))]
    public void EveryDiagnosticHasASectionAndAHelpLinkToIt(string id)
    {
        DiagnosticDescriptor descriptor = Descriptors().Single(d => d.Id == id);
        Assert.True(Sections().ContainsKey(id), $"docs/diagnostics.md has no section '## {id}': add one with a bad and a fixed example");
        Assert.EndsWith("/docs/diagnostics.md#" + id.ToLowerInvariant(), descriptor.HelpLinkUri, StringComparison.Ordinal);
        Assert.StartsWith("https://", descriptor.HelpLinkUri, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(DocumentedIds))]
    public void TheBadExampleReportsTheDiagnostic(string id)
    {
        GeneratorRun run = GeneratorHarness.Run(Sections()[id].Bad);

        Assert.NotEmpty(run.GeneratorDiagnostics);
        Assert.All(run.GeneratorDiagnostics, d => Assert.Equal(id, d.Id));
    }

    [Theory]
    [MemberData(nameof(DocumentedIds))]
    public void TheFixedExampleGeneratesALayerThatCompiles(string id)
    {
        GeneratorRun run = GeneratorHarness.Run(Sections()[id].Fixed);

        Assert.Empty(run.GeneratorDiagnostics);
        Assert.NotEmpty(run.Sources);
        Assert.Empty(GeneratorHarness.CompilationProblems(run.Output));
    }

    private static IEnumerable<DiagnosticDescriptor> Descriptors() => typeof(DiagnosticDescriptors)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.FieldType == typeof(DiagnosticDescriptor))
        .Select(f => (DiagnosticDescriptor)f.GetValue(null)!);

    /// <summary>Each <c>## NGxxxx</c> section: the first C# block after <c>**Bad**</c> and the first after <c>**Fixed**</c>.</summary>
    private static Dictionary<string, (string Bad, string Fixed)> Sections()
    {
        string text = File.ReadAllText(DocPath).ReplaceLineEndings("\n");
        var sections = new Dictionary<string, (string Bad, string Fixed)>();
        foreach (Match heading in Heading().Matches(text))
        {
            int end = text.IndexOf("\n## ", heading.Index + heading.Length, StringComparison.Ordinal);
            string body = text[heading.Index..(end < 0 ? text.Length : end)];
            sections.Add(heading.Groups[1].Value, (Example(body, "**Bad**"), Example(body, "**Fixed**")));
        }

        return sections;
    }

    private static string Example(string section, string marker)
    {
        int at = section.IndexOf("\n" + marker, StringComparison.Ordinal);
        Assert.True(at >= 0, $"a section lacks {marker}:\n{section}");
        Match block = CodeBlock().Match(section, at);
        Assert.True(block.Success, $"no ```csharp block after {marker}:\n{section}");
        return block.Groups[1].Value;
    }

    private static string RepositoryRoot([CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", ".."));

    [GeneratedRegex(@"^## (NG\d{4})\s*$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();
}
