namespace NormGen.Generator.Emit;

/// <summary>One hardware vector width the kernels dispatch on, widest first, then the scalar fallback.</summary>
/// <param name="Type">The fully qualified static vector class (<c>global::System.Runtime.Intrinsics.Vector512</c>).</param>
/// <param name="Lanes">Float lanes per vector.</param>
/// <param name="Bits">Width in bits (512, 256, 128).</param>
internal sealed record VectorWidth(string Type, int Lanes, int Bits)
{
    public static readonly VectorWidth[] All =
    {
        new("global::System.Runtime.Intrinsics.Vector512", 16, 512),
        new("global::System.Runtime.Intrinsics.Vector256", 8, 256),
        new("global::System.Runtime.Intrinsics.Vector128", 4, 128),
    };

    /// <summary>The generic vector type of floats.</summary>
    public string Float => Type + "<float>";

    /// <summary>The generic vector type of doubles.</summary>
    public string Double => Type + "<double>";

    /// <summary>The runtime flag that selects this width (hardware support, or a width pinned for testing).</summary>
    public string Enabled => "global::NormGen.SimdMath.Use" + Bits;

    /// <summary>The runtime helper that masks the last <c>n</c> lanes.</summary>
    public string LastLanes => "global::NormGen.SimdMath.LastLanes" + Bits;

    /// <summary>The runtime helper that masks the first <c>n</c> lanes.</summary>
    public string FirstLanes => "global::NormGen.SimdMath.FirstLanes" + Bits;
}
