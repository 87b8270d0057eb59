using System;
using System.Collections;
using System.Collections.Generic;

namespace NormGen;

/// <summary>
/// The parameters of a layer with their PyTorch names, in PyTorch's order (<c>weight</c>, <c>bias</c>).
/// Enumerating it with <c>foreach</c> allocates nothing.
/// </summary>
public readonly struct NamedParameters : IReadOnlyList<(string Name, Parameter Parameter)>
{
    private readonly (string Name, Parameter Parameter)[]? _items;

    /// <summary>Wraps the given entries; the array must not be modified afterwards.</summary>
    public NamedParameters((string Name, Parameter Parameter)[] items) => _items = items;

    /// <summary>Number of parameters.</summary>
    public int Count => _items?.Length ?? 0;

    /// <summary>The entry at <paramref name="index"/>.</summary>
    public (string Name, Parameter Parameter) this[int index] => AsSpan()[index];

    /// <summary>The entries as a span.</summary>
    public ReadOnlySpan<(string Name, Parameter Parameter)> AsSpan() => _items;

    /// <summary>Allocation-free enumerator.</summary>
    public ReadOnlySpan<(string Name, Parameter Parameter)>.Enumerator GetEnumerator() => AsSpan().GetEnumerator();

    IEnumerator<(string Name, Parameter Parameter)> IEnumerable<(string Name, Parameter Parameter)>.GetEnumerator()
        => ((IEnumerable<(string Name, Parameter Parameter)>)(_items ?? [])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => (_items ?? []).GetEnumerator();
}
