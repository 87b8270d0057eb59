using NormGen;

namespace PackageConsumer;

// NormGen's diagnostics have real source locations, so a real build honours '#pragma warning disable' for them.
// The declaration below is invalid (NG0104: Momentum outside [0, 1]); this project builds only because the pragma
// suppresses that error. The generator emits nothing for an invalid declaration, so the class stays empty.
#pragma warning disable NG0104
[BatchNorm1d(4, Momentum = 2)]
internal partial class SuppressedNorm
{
}
#pragma warning restore NG0104
