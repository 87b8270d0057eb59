using System;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace NormGen;

/// <summary>Helpers to view dense tensors as spans.</summary>
public static class TensorExtensions
{
    /// <summary>
    /// The elements of a dense tensor as one contiguous span, sharing its storage.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor is not dense.</exception>
    public static Span<T> AsSpan<T>(this Tensor<T> tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!tensor.IsDense)
        {
            throw new ArgumentException("The tensor is not dense; only dense tensors can be viewed as a span.", nameof(tensor));
        }

        return MemoryMarshal.CreateSpan(ref tensor.GetPinnableReference(), checked((int)tensor.FlattenedLength));
    }

    /// <summary>Formats a shape the way PyTorch prints <c>torch.Size</c> contents: <c>[2, 3, 4]</c>.</summary>
    public static string FormatShape(scoped ReadOnlySpan<nint> lengths)
    {
        var builder = new System.Text.StringBuilder("[");
        for (int i = 0; i < lengths.Length; i++)
        {
            if (i > 0)
            {
                builder.Append(", ");
            }

            builder.Append(lengths[i]);
        }

        return builder.Append(']').ToString();
    }
}
