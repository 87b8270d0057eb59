using System;
using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NormGen.Generator.Diagnostics;

namespace NormGen.CodeFixes;

/// <summary>
/// Out-of-range attribute arguments whose fix is obvious: NG0103 (negative or NaN <c>Eps</c>) becomes PyTorch's
/// default <c>1e-5</c>; NG0104 (<c>Momentum</c> outside [0, 1]) is clamped to the nearest bound, or set to PyTorch's
/// default <c>0.1</c> when it is NaN. Both diagnostics are reported on the named argument (<c>Eps = -1</c>).
/// The equivalence key is the diagnostic ID, so "fix all" repairs every Eps (or every Momentum) at once, each Momentum
/// towards its own bound.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ArgumentRangeCodeFixProvider))]
[Shared]
public sealed class ArgumentRangeCodeFixProvider : CodeFixProvider
{
    /// <summary>PyTorch's default <c>eps</c>, written as users write it.</summary>
    public const string DefaultEps = "1e-5";

    /// <summary>PyTorch's default <c>momentum</c>.</summary>
    public const string DefaultMomentum = "0.1";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(DiagnosticDescriptors.InvalidEpsId, DiagnosticDescriptors.InvalidMomentumId);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        SyntaxNode? root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        SemanticModel? model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null)
        {
            return;
        }

        foreach (Diagnostic diagnostic in context.Diagnostics)
        {
            if (root.FindNode(diagnostic.Location.SourceSpan) is not AttributeArgumentSyntax { NameEquals: { } nameEquals } argument)
            {
                continue;
            }

            string name = nameEquals.Name.Identifier.ValueText;
            Optional<object?> constant = model.GetConstantValue(argument.Expression, context.CancellationToken);
            if (!constant.HasValue || constant.Value is not IConvertible convertible)
            {
                continue;
            }

            double value = convertible.ToDouble(CultureInfo.InvariantCulture);
            (string replacement, string title)? fix = (diagnostic.Id, name) switch
            {
                (DiagnosticDescriptors.InvalidEpsId, "Eps") => (DefaultEps, $"Use PyTorch's default Eps = {DefaultEps}"),
                (DiagnosticDescriptors.InvalidMomentumId, "Momentum") when double.IsNaN(value) => (DefaultMomentum, $"Use PyTorch's default Momentum = {DefaultMomentum}"),
                (DiagnosticDescriptors.InvalidMomentumId, "Momentum") when value > 1 => ("1", "Clamp Momentum to 1"),
                (DiagnosticDescriptors.InvalidMomentumId, "Momentum") when value < 0 => ("0", "Clamp Momentum to 0"),
                _ => null,
            };

            if (fix is not { } f)
            {
                continue;
            }

            context.RegisterCodeFix(
                CodeAction.Create(f.title, ct => ReplaceAsync(context.Document, argument.Expression, f.replacement, ct), equivalenceKey: diagnostic.Id),
                diagnostic);
        }
    }

    private static async Task<Document> ReplaceAsync(Document document, ExpressionSyntax expression, string replacement, CancellationToken cancellationToken)
    {
        SyntaxNode? root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (root is null)
        {
            return document;
        }

        // Parsed, not built with SyntaxFactory.Literal: "1" must be an int literal, exactly as if the user had typed it.
        ExpressionSyntax literal = SyntaxFactory.ParseExpression(replacement).WithTriviaFrom(expression);
        return document.WithSyntaxRoot(root.ReplaceNode(expression, literal));
    }
}
