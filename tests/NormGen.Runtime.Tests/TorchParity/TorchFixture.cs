using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Text.Json;

namespace NormGen.Runtime.Tests.TorchParity;

/// <summary>One step of a fixture: a forward in train or eval mode and the state PyTorch had after it.</summary>
internal sealed class FixtureStep
{
    public required int Index { get; init; }

    public required bool Training { get; init; }

    /// <summary>(N, C, spatial...).</summary>
    public required int[] InputShape { get; init; }

    public required float[] Input { get; init; }

    /// <summary>PyTorch's output for <see cref="Input"/>.</summary>
    public required float[] Output { get; init; }

    /// <summary>Buffers after the step; null when the layer does not track running stats.</summary>
    public float[]? RunningMean { get; init; }

    public float[]? RunningVar { get; init; }

    public long? NumBatchesTracked { get; init; }

    /// <summary>Optional remark, e.g. which channel carries the +1e3 offset.</summary>
    public string? Note { get; init; }

    public int BatchSize => InputShape[0];

    public string Describe()
        => $"step {Index} ({(Training ? "train" : "eval")}, input ({string.Join(", ", InputShape)}){(Note is null ? "" : ", " + Note)})";
}

/// <summary>
/// A PyTorch reference run of one layer class, written by tests/fixtures/make_torch_fixtures.py.
/// Scalar vectors are JSON numbers holding float32 values exactly (parse as double, cast to float);
/// input/output tensors use the "f32le-shuffle4-zlib-base64" encoding described in the script.
/// </summary>
internal sealed class TorchFixture
{
    private const string TensorEncoding = "f32le-shuffle4-zlib-base64";

    public required string ClassName { get; init; }

    public required string TorchModule { get; init; }

    public required int NumFeatures { get; init; }

    public required double Eps { get; init; }

    /// <summary>PyTorch momentum; null means cumulative moving average (CumulativeAverage = true).</summary>
    public required double? Momentum { get; init; }

    public required bool Affine { get; init; }

    public required bool TrackRunningStats { get; init; }

    public required int[] SampleShape { get; init; }

    public required int SampleSize { get; init; }

    public float[]? Weight { get; init; }

    public float[]? Bias { get; init; }

    public float[]? InitialRunningMean { get; init; }

    public float[]? InitialRunningVar { get; init; }

    public long? InitialNumBatchesTracked { get; init; }

    public required IReadOnlyList<FixtureStep> Steps { get; init; }

    public static string PathFor(string className)
        => Path.Combine(AppContext.BaseDirectory, "fixtures", className + ".json");

    /// <summary>Class names of all fixture files copied to the test output.</summary>
    public static IEnumerable<string> AvailableNames()
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "fixtures");
        if (!Directory.Exists(dir))
        {
            yield break;
        }

        foreach (string file in Directory.EnumerateFiles(dir, "*.json"))
        {
            yield return Path.GetFileNameWithoutExtension(file);
        }
    }

    public static TorchFixture Load(string className)
    {
        string path = PathFor(className);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"No PyTorch fixture for layer class '{className}' at {path}. Run /usr/bin/python3 tests/fixtures/make_torch_fixtures.py.", path);
        }

        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(path));
        JsonElement root = doc.RootElement;
        string encoding = root.GetProperty("tensor_encoding").GetString()!;
        if (encoding != TensorEncoding)
        {
            throw new InvalidDataException($"{path}: unsupported tensor_encoding '{encoding}', expected '{TensorEncoding}'.");
        }

        JsonElement ctor = root.GetProperty("ctor");
        JsonElement momentum = ctor.GetProperty("momentum");
        bool affine = ctor.GetProperty("affine").GetBoolean();
        bool track = ctor.GetProperty("track_running_stats").GetBoolean();

        var steps = new List<FixtureStep>();
        int index = 0;
        foreach (JsonElement s in root.GetProperty("steps").EnumerateArray())
        {
            int[] shape = Ints(s.GetProperty("input_shape"));
            long count = 1;
            foreach (int d in shape)
            {
                count *= d;
            }

            string mode = s.GetProperty("mode").GetString()!;
            steps.Add(new FixtureStep
            {
                Index = index++,
                Training = mode switch
                {
                    "train" => true,
                    "eval" => false,
                    _ => throw new InvalidDataException($"{path}: unknown mode '{mode}'."),
                },
                InputShape = shape,
                Input = Tensor(s.GetProperty("input"), checked((int)count), path),
                Output = Tensor(s.GetProperty("output"), checked((int)count), path),
                RunningMean = OptionalFloats(s, "running_mean"),
                RunningVar = OptionalFloats(s, "running_var"),
                NumBatchesTracked = s.TryGetProperty("num_batches_tracked", out JsonElement nbt) ? nbt.GetInt64() : null,
                Note = s.TryGetProperty("note", out JsonElement note) ? note.GetString() : null,
            });
        }

        return new TorchFixture
        {
            ClassName = root.GetProperty("class").GetString()!,
            TorchModule = root.GetProperty("torch_module").GetString()!,
            NumFeatures = ctor.GetProperty("num_features").GetInt32(),
            Eps = ctor.GetProperty("eps").GetDouble(),
            Momentum = momentum.ValueKind == JsonValueKind.Null ? null : momentum.GetDouble(),
            Affine = affine,
            TrackRunningStats = track,
            SampleShape = Ints(root.GetProperty("sample_shape")),
            SampleSize = root.GetProperty("sample_size").GetInt32(),
            Weight = OptionalFloats(root, "weight"),
            Bias = OptionalFloats(root, "bias"),
            InitialRunningMean = OptionalFloats(root, "initial_running_mean"),
            InitialRunningVar = OptionalFloats(root, "initial_running_var"),
            InitialNumBatchesTracked = root.TryGetProperty("initial_num_batches_tracked", out JsonElement n0) ? n0.GetInt64() : null,
            Steps = steps,
        };
    }

    private static int[] Ints(JsonElement array)
    {
        var result = new int[array.GetArrayLength()];
        int i = 0;
        foreach (JsonElement e in array.EnumerateArray())
        {
            result[i++] = e.GetInt32();
        }

        return result;
    }

    private static float[]? OptionalFloats(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out JsonElement array))
        {
            return null;
        }

        var result = new float[array.GetArrayLength()];
        int i = 0;
        foreach (JsonElement e in array.EnumerateArray())
        {
            double d = e.GetDouble();
            float f = (float)d;
            if ((double)f != d)
            {
                throw new InvalidDataException($"{name}[{i}] = {d:R} is not exactly a float32 value.");
            }

            result[i++] = f;
        }

        return result;
    }

    /// <summary>Decodes base64 → zlib → byte-unshuffle → little-endian float32.</summary>
    private static float[] Tensor(JsonElement element, int count, string path)
    {
        byte[] compressed = Convert.FromBase64String(element.GetString()!);
        using var input = new ZLibStream(new MemoryStream(compressed), CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        input.CopyTo(buffer);
        byte[] shuffled = buffer.ToArray();
        if (shuffled.Length != 4 * count)
        {
            throw new InvalidDataException($"{path}: tensor has {shuffled.Length} bytes, expected {4 * count}.");
        }

        var result = new float[count];
        Span<byte> bytes = stackalloc byte[4];
        for (int i = 0; i < count; i++)
        {
            for (int b = 0; b < 4; b++)
            {
                bytes[b] = shuffled[b * count + i];
            }

            result[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes);
        }

        return result;
    }
}
