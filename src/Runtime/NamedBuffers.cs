using System;
using System.Collections;
using System.Collections.Generic;
using System.Numerics.Tensors;

namespace NormGen;

/// <summary>
/// The buffers of a layer with their PyTorch names, in PyTorch's order
/// (<c>running_mean</c>, <c>running_var</c>, <c>num_batches_tracked</c>). The tensors share storage with the layer.
/// Enumerating it with <c>foreach</c> allocates nothing.
/// </summary>
public readonly struct NamedBuffers : IReadOnlyList<(string Name, IReadOnlyTensor Buffer)>
{
    private readonly (string Name, IReadOnlyTensor Buffer)[]? _items;

    /// <summary>Wraps the given entries; the array must not be modified afterwards.</summary>
    public NamedBuffers((string Name, IReadOnlyTensor Buffer)[] items) => _items = items;

    /// <summary>Number of buffers.</summary>
    public int Count => _items?.Length ?? 0;

    /// <summary>The entry at <paramref name="index"/>.</summary>
    public (string Name, IReadOnlyTensor Buffer) this[int index] => AsSpan()[index];

    /// <summary>The entries as a span.</summary>
    public ReadOnlySpan<(string Name, IReadOnlyTensor Buffer)> AsSpan() => _items;

    /// <summary>Allocation-free enumerator.</summary>
    public ReadOnlySpan<(string Name, IReadOnlyTensor Buffer)>.Enumerator GetEnumerator() => AsSpan().GetEnumerator();

    IEnumerator<(string Name, IReadOnlyTensor Buffer)> IEnumerable<(string Name, IReadOnlyTensor Buffer)>.GetEnumerator()
        => ((IEnumerable<(string Name, IReadOnlyTensor Buffer)>)(_items ?? [])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => (_items ?? []).GetEnumerator();
}
