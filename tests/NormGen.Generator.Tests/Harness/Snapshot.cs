using System.Runtime.CompilerServices;
using System.Text;
using Xunit;

namespace NormGen.Generator.Tests.Harness;

/// <summary>
/// Snapshot files in the conventions of Verify: <c>Snapshots/{Name}.verified.{ext}</c> committed next to the
/// tests; a mismatch (or a missing snapshot) writes <c>{Name}.received.{ext}</c> and fails with the first
/// differing line. Setting <c>NORMGEN_ACCEPT_SNAPSHOTS=1</c> accepts received files as verified, except when
/// <c>CI=true</c>, where accepting is refused so CI can never bless its own output.
/// </summary>
internal static class Snapshot
{
    public const string AcceptVariable = "NORMGEN_ACCEPT_SNAPSHOTS";

    public static void Verify(string name, string actual, string extension = "cs", [CallerFilePath] string callerPath = "")
    {
        string directory = Path.Combine(Path.GetDirectoryName(callerPath)!, "Snapshots");
        string verifiedPath = Path.Combine(directory, $"{name}.verified.{extension}");
        string receivedPath = Path.Combine(directory, $"{name}.received.{extension}");
        string normalized = Normalize(actual);
        string? expected = File.Exists(verifiedPath) ? Normalize(File.ReadAllText(verifiedPath)) : null;

        if (expected == normalized)
        {
            File.Delete(receivedPath);
            return;
        }

        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail($"{AcceptVariable}=1 is refused when CI=true: snapshots must be accepted by a developer and committed.");
            }

            Directory.CreateDirectory(directory);
            File.WriteAllText(verifiedPath, normalized, new UTF8Encoding(false));
            File.Delete(receivedPath);
            return;
        }

        Directory.CreateDirectory(directory);
        File.WriteAllText(receivedPath, normalized, new UTF8Encoding(false));
        Assert.Fail(expected is null
            ? $"No verified snapshot {verifiedPath}. Review {receivedPath}, then accept it with {AcceptVariable}=1."
            : $"Snapshot {name} differs from {verifiedPath}:\n{FirstDifference(expected, normalized)}\nReview {receivedPath}; accept it with {AcceptVariable}=1.");
    }

    private static string Normalize(string text)
    {
        text = text.Replace("\r\n", "\n").TrimStart('\uFEFF');
        return text.TrimEnd('\n') + "\n";
    }

    private static string FirstDifference(string expected, string actual)
    {
        string[] e = expected.Split('\n');
        string[] a = actual.Split('\n');
        int line = 0;
        while (line < e.Length && line < a.Length && e[line] == a[line])
        {
            line++;
        }

        var builder = new StringBuilder($"first difference at line {line + 1}:\n");
        for (int i = Math.Max(0, line - 3); i < Math.Min(Math.Max(e.Length, a.Length), line + 4); i++)
        {
            string left = i < e.Length ? e[i] : "<end>";
            string right = i < a.Length ? a[i] : "<end>";
            builder.Append(left == right ? "  " : "- ").Append(left).Append('\n');
            if (left != right)
            {
                builder.Append("+ ").Append(right).Append('\n');
            }
        }

        return builder.ToString();
    }
}
