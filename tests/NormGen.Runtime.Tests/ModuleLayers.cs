using NormGen;

// Modules for the module tests: layers and nested modules in fields and properties, a key override, a null member.
namespace NormGen.Runtime.Tests.Layers;

/// <summary>A block: a BatchNorm and a LayerNorm.</summary>
[Module]
public partial class Block
{
    /// <summary>First norm.</summary>
    public Bn1dFlat Bn { get; } = new();

    /// <summary>Second norm (a field).</summary>
    public Ln5? Norm2 = new();
}

/// <summary>A network: a stem, two blocks, a renamed head and an unset optional member.</summary>
[Module]
public partial class Network
{
    /// <summary>Stem.</summary>
    public Bn2d StemNorm { get; } = new();

    /// <summary>First block.</summary>
    public Block Layer1 { get; } = new();

    /// <summary>Second block, in a private field.</summary>
    private readonly Block _layer2 = new();

    /// <summary>Head, with an explicit key.</summary>
    [StateKey("classifier")]
    public Gn2d Head { get; } = new();

    /// <summary>Never set: skipped like PyTorch skips a None submodule.</summary>
    public In1d? Optional { get; set; }

    /// <summary>Not a layer: ignored.</summary>
    public int Width { get; set; } = 3;

    /// <summary>The second block (exposed through a method, which is not a member the generator looks at).</summary>
    public Block GetLayer2() => _layer2;
}
