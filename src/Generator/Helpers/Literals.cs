using System.Globalization;

namespace NormGen.Generator.Helpers;

/// <summary>Formats numbers as C# literals in the invariant culture with round-trip precision.</summary>
internal static class Literals
{
    public static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Long(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>A <c>double</c> literal that parses back to exactly <paramref name="value"/>.</summary>
    public static string Double(double value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.IndexOfAny(new[] { '.', 'E', 'e' }) >= 0 ? text : text + ".0";
    }

    /// <summary>A <c>float</c> literal (with <c>f</c> suffix) that parses back to exactly <paramref name="value"/>.</summary>
    public static string Float(float value) => value.ToString("R", CultureInfo.InvariantCulture) + "f";

    /// <summary>Python-style text of a double, for documentation comments (<c>1e-05</c>, <c>0.1</c>).</summary>
    public static string Doc(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
