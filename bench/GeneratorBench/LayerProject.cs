using System.Collections.Immutable;
using System.Text;
using Basic.Reference.Assemblies;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace GeneratorBench;

/// <summary>
/// A synthetic project: <see cref="LayerCount"/> (by default 500) annotated layers (BatchNorm1d/2d/3d with varied shapes and options,
/// some nested in containing types) spread over files of 10, plus ordinary files with no layers, as in a real model
/// project. Parsed once; every compilation built from it shares the trees, as the IDE's successive compilations do.
/// </summary>
internal sealed class LayerProject
{
    public const int DefaultLayerCount = 500;
    private const int LayersPerFile = 10;
    private const int UnrelatedFileCount = 50;

    private static readonly ImmutableArray<MetadataReference> References =
    [
        .. Net100.References.All,
        MetadataReference.CreateFromFile(typeof(NormGen.Parameter).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(System.Numerics.Tensors.Tensor).Assembly.Location),
    ];

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public LayerProject(int layerCount = DefaultLayerCount)
    {
        if (layerCount <= 0 || layerCount % LayersPerFile != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(layerCount), $"a positive multiple of {LayersPerFile}");
        }

        LayerCount = layerCount;
        var trees = new List<SyntaxTree>();
        for (int file = 0; file < LayerCount / LayersPerFile; file++)
        {
            trees.Add(Parse(LayerFile(file), $"Layers{file}.cs"));
        }

        for (int file = 0; file < UnrelatedFileCount; file++)
        {
            trees.Add(Parse(UnrelatedFile(file, edit: 0), $"Unrelated{file}.cs"));
        }

        Trees = [.. trees];
        LayerClasses = [.. Trees.SelectMany(t => t.GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>().Where(c => c.AttributeLists.Count > 0))];
        if (LayerClasses.Length != LayerCount)
        {
            throw new InvalidOperationException($"Expected {LayerCount} annotated classes, found {LayerClasses.Length}.");
        }

        EditedTree = Trees.Single(t => t.FilePath == "Unrelated0.cs");
        Edits = [Parse(UnrelatedFile(0, edit: 1), "Unrelated0.cs"), Parse(UnrelatedFile(0, edit: 2), "Unrelated0.cs")];
    }

    public ImmutableArray<SyntaxTree> Trees { get; }

    /// <summary>Number of annotated layers, <see cref="LayersPerFile"/> per file.</summary>
    public int LayerCount { get; }

    /// <summary>The <see cref="LayerCount"/> annotated class declarations (nodes of <see cref="Trees"/>).</summary>
    public ImmutableArray<ClassDeclarationSyntax> LayerClasses { get; }

    /// <summary>The unrelated file that the incremental benchmark edits.</summary>
    public SyntaxTree EditedTree { get; }

    /// <summary>Two edited versions of <see cref="EditedTree"/> (a statement added to a method body), used alternately.</summary>
    public ImmutableArray<SyntaxTree> Edits { get; }

    /// <summary>
    /// A new compilation of the project (nothing bound yet), as a command-line build starts; nullable reference types
    /// enabled, as in new .NET projects, unless <paramref name="nullable"/> says otherwise.
    /// </summary>
    public CSharpCompilation CreateCompilation(NullableContextOptions nullable = NullableContextOptions.Enable) => CSharpCompilation.Create(
        "Layers",
        Trees,
        References,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: nullable));

    private static SyntaxTree Parse(string text, string path) => CSharpSyntaxTree.ParseText(text, ParseOptions, path: path);

    private static string LayerFile(int file)
    {
        var text = new StringBuilder();
        text.AppendLine("using NormGen;");
        text.AppendLine();
        text.AppendLine($"namespace Model.Part{file};");
        text.AppendLine();
        for (int i = 0; i < LayersPerFile; i++)
        {
            int n = (file * LayersPerFile) + i;
            int channels = 8 << (n % 5);
            string attribute = (n % 4) switch
            {
                0 => $"[BatchNorm2d({channels}, {4 + (n % 7)}, {4 + (n % 5)})]",
                1 => $"[BatchNorm1d({channels}, Eps = 1e-3, Momentum = 0.05)]",
                2 => $"[BatchNorm1d({channels}, Length = {8 + (n % 9)}, CumulativeAverage = true)]",
                _ => $"[BatchNorm3d({channels}, 2, {2 + (n % 3)}, 4, Affine = false, TrackRunningStats = {(n % 8 == 3 ? "false" : "true")})]",
            };

            text.AppendLine($"/// <summary>Layer {n}.</summary>");
            if (n % 10 == 9)
            {
                text.AppendLine($"public static partial class Block{n}");
                text.AppendLine("{");
                text.AppendLine($"    {attribute}");
                text.AppendLine($"    public partial class Norm{n} {{ }}");
                text.AppendLine("}");
            }
            else
            {
                text.AppendLine(attribute);
                text.AppendLine($"public partial class Norm{n}");
                text.AppendLine("{");
                text.AppendLine($"    public string Describe() => \"layer {n}\";");
                text.AppendLine("}");
            }

            text.AppendLine();
        }

        return text.ToString();
    }

    private static string UnrelatedFile(int file, int edit)
    {
        var text = new StringBuilder();
        text.AppendLine("using System;");
        text.AppendLine("using System.Collections.Generic;");
        text.AppendLine();
        text.AppendLine($"namespace Model.Support{file};");
        text.AppendLine();
        for (int i = 0; i < 5; i++)
        {
            text.AppendLine($"public sealed class Helper{i}");
            text.AppendLine("{");
            text.AppendLine("    private readonly List<int> _values = new();");
            text.AppendLine($"    public int Sum() {{ int s = 0; foreach (int v in _values) {{ s += v; }} return s + {i}; }}");
            text.AppendLine("    public void Add(int value)");
            text.AppendLine("    {");
            text.AppendLine("        _values.Add(value);");
            if (i == 0 && edit > 0)
            {
                text.AppendLine($"        Console.WriteLine(\"edit {edit}\");");
            }

            text.AppendLine("    }");
            text.AppendLine("}");
        }

        return text.ToString();
    }
}
