using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text.Json;

namespace NormGen.Runtime.Tests.Backward;

/// <summary>One autograd run of a fixture: the mode, the running statistics loaded before it, and torch's float32 gradients.</summary>
internal sealed record BackwardFixtureCase(
    string Mode, string Module, float[]? RunningMean, float[]? RunningVar, float[] GradInput, float[]? GradWeight, float[]? GradBias, double TorchErrorUnits);

/// <summary>
/// A fixture written by tests/fixtures/make_backward_fixtures.py (PyTorch 1.13 autograd): one input, gradOutput, weight
/// and bias, and a case per mode. Numbers are float32 values (inline JSON numbers, or strings in the
/// "f32le-shuffle4-zlib-base64" encoding); parsing checks that inline numbers round-trip exactly.
/// </summary>
internal sealed class BackwardFixture
{
    private const string TensorEncoding = "f32le-shuffle4-zlib-base64";

    public required string Name { get; init; }

    public required int[] SampleShape { get; init; }

    public required int Batch { get; init; }

    /// <summary>The script's bound on torch float32 vs float64, in units of 2^-24 times the error scale.</summary>
    public required double TorchErrorUnitsLimit { get; init; }

    public required float[]? Weight { get; init; }

    public required float[]? Bias { get; init; }

    public required float[] Input { get; init; }

    public required float[] GradOutput { get; init; }

    public required BackwardFixtureCase[] Cases { get; init; }

    /// <summary>tests/fixtures/backward, found next to the test assembly or by walking up from it.</summary>
    public static string Directory()
    {
        string copied = Path.Combine(AppContext.BaseDirectory, "fixtures", "backward");
        if (System.IO.Directory.Exists(copied))
        {
            return copied;
        }

        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "fixtures", "backward");
            if (System.IO.Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException(
            $"No backward fixtures in {copied} or in tests/fixtures/backward above {AppContext.BaseDirectory}. Run /usr/bin/python3 tests/fixtures/make_backward_fixtures.py.");
    }

    public static BackwardFixture Load(string name)
    {
        string path = Path.Combine(Directory(), name + ".json");
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path));
        JsonElement root = doc.RootElement;
        if (root.GetProperty("tensor_encoding").GetString() != TensorEncoding)
        {
            throw new InvalidDataException($"{path}: unknown tensor encoding.");
        }

        int[] sampleShape = root.GetProperty("sample_shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int batch = root.GetProperty("batch").GetInt32();
        int count = batch * sampleShape.Aggregate(1, (a, b) => a * b);
        float[]? Optional(JsonElement parent, string key) =>
            parent.GetProperty(key).ValueKind == JsonValueKind.Null ? null : Floats(parent.GetProperty(key), -1, path);

        return new BackwardFixture
        {
            Name = root.GetProperty("name").GetString()!,
            SampleShape = sampleShape,
            Batch = batch,
            TorchErrorUnitsLimit = root.GetProperty("torch_error_units_limit").GetDouble(),
            Weight = Optional(root, "weight"),
            Bias = Optional(root, "bias"),
            Input = Floats(root.GetProperty("input"), count, path),
            GradOutput = Floats(root.GetProperty("grad_output"), count, path),
            Cases = root.GetProperty("cases").EnumerateArray().Select(c => new BackwardFixtureCase(
                c.GetProperty("mode").GetString()!,
                c.GetProperty("module").GetString()!,
                Optional(c, "running_mean"),
                Optional(c, "running_var"),
                Floats(c.GetProperty("grad_input"), count, path),
                Optional(c, "grad_weight"),
                Optional(c, "grad_bias"),
                c.GetProperty("torch_error_units").EnumerateObject().Select(p => p.Value.GetDouble()).DefaultIfEmpty(0).Max())).ToArray(),
        };
    }

    /// <summary>An inline array of exact float32 numbers, or an encoded string; <paramref name="count"/> &lt; 0: any length.</summary>
    private static float[] Floats(JsonElement value, int count, string path)
    {
        float[] result;
        if (value.ValueKind == JsonValueKind.Array)
        {
            result = new float[value.GetArrayLength()];
            int i = 0;
            foreach (JsonElement e in value.EnumerateArray())
            {
                double d = e.GetDouble();
                float f = (float)d;
                if ((double)f != d)
                {
                    throw new InvalidDataException($"{path}: {d:R} is not exactly a float32 value.");
                }

                result[i++] = f;
            }
        }
        else
        {
            result = Decode(value.GetString()!, path);
        }

        if (count >= 0 && result.Length != count)
        {
            throw new InvalidDataException($"{path}: a tensor has {result.Length} values, expected {count}.");
        }

        return result;
    }

    /// <summary>base64 → zlib → byte-unshuffle → little-endian float32.</summary>
    private static float[] Decode(string text, string path)
    {
        byte[] compressed = Convert.FromBase64String(text);
        using var input = new ZLibStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        input.CopyTo(buffer);
        byte[] shuffled = buffer.ToArray();
        if (shuffled.Length % 4 != 0)
        {
            throw new InvalidDataException($"{path}: an encoded tensor has {shuffled.Length} bytes, not a multiple of 4.");
        }

        int count = shuffled.Length / 4;
        var bytes = new byte[shuffled.Length];
        for (int i = 0; i < count; i++)
        {
            for (int b = 0; b < 4; b++)
            {
                bytes[(4 * i) + b] = shuffled[(b * count) + i];
            }
        }

        var result = new float[count];
        for (int i = 0; i < count; i++)
        {
            result[i] = BitConverter.ToSingle(bytes, 4 * i); // little-endian on every .NET 10 target this runs on
        }

        return result;
    }
}
