using System;
using System.Collections.Generic;
using NormGen.Generator.Helpers;
using NormGen.Generator.Model;

namespace NormGen.Generator.Emit;

/// <summary>Opens the namespace and every containing type of a generated partial class, and closes them again.</summary>
internal static class HierarchyWriter
{
    public static readonly string GeneratorVersion =
        typeof(HierarchyWriter).Assembly.GetName().Version?.ToString() ?? "1.0.0.0";

    public static IDisposable Open(IndentedWriter w, HierarchyInfo h)
    {
        var scopes = new List<IndentedWriter.Scope>();
        if (h.Namespace.Length > 0)
        {
            scopes.Add(w.Block($"namespace {h.Namespace}"));
        }

        foreach (ContainingType container in h.ContainingTypes)
        {
            scopes.Add(w.Block($"partial {container.Keyword} {container.Name}"));
        }

        return new Closer(scopes);
    }

    private sealed class Closer : IDisposable
    {
        private readonly List<IndentedWriter.Scope> _scopes;

        public Closer(List<IndentedWriter.Scope> scopes) => _scopes = scopes;

        public void Dispose()
        {
            for (int i = _scopes.Count - 1; i >= 0; i--)
            {
                _scopes[i].Dispose();
            }
        }
    }
}
