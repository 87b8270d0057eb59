using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Text.Json;

namespace NormGen.Runtime.Tests.TorchParity;

/// <summary>
/// One step of a fixture: a forward in train or eval mode and the state PyTorch had after it; or, for an error
/// step, a forward PyTorch rejects (<see cref="ErrorMessage"/>), after which the state is the one before it.
/// </summary>
internal sealed class FixtureStep
{
    public required int Index { get; init; }

    public required bool Training { get; init; }

    /// <summary>(N, C, spatial...), or (rows..., normalized...) for LayerNorm.</summary>
    public required int[] InputShape { get; init; }

    public required float[] Input { get; init; }

    /// <summary>PyTorch's output for <see cref="Input"/>; null for an error step.</summary>
    public float[]? Output { get; init; }

    /// <summary>The exception type PyTorch raised (e.g. <c>ValueError</c>); null unless this is an error step.</summary>
    public string? ErrorType { get; init; }

    /// <summary>PyTorch's message; the layer's ArgumentException message must start with it (see <see cref="TorchFixture.ExpectedMessage"/>).</summary>
    public string? ErrorMessage { get; init; }

    /// <summary>Buffers after the step; null when the layer does not track running stats.</summary>
    public float[]? RunningMean { get; init; }

    public float[]? RunningVar { get; init; }

    public long? NumBatchesTracked { get; init; }

    /// <summary>Optional remark, e.g. which channel carries the +1e3 offset.</summary>
    public string? Note { get; init; }

    /// <summary>Samples (N) or, for LayerNorm, rows: the input's element count over the sample size.</summary>
    public required int BatchSize { get; init; }

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

    /// <summary>The torch module, e.g. <c>torch.nn.BatchNorm2d</c>.</summary>
    public required string TorchModule { get; init; }

    /// <summary>The module without prefix and dimension suffix: BatchNorm, InstanceNorm, GroupNorm, LayerNorm or LocalResponseNorm.</summary>
    public required string Family { get; init; }

    /// <summary>The torch constructor's keyword arguments, as written to the fixture.</summary>
    public required IReadOnlyDictionary<string, JsonElement> Ctor { get; init; }

    /// <summary>The constructor arguments as compact JSON, for messages.</summary>
    public required string CtorText { get; init; }

    /// <summary>Channels C (dimension 1 of the input); 0 for LayerNorm.</summary>
    public required int Channels { get; init; }

    /// <summary>GroupNorm's num_groups; 0 otherwise.</summary>
    public required int Groups { get; init; }

    /// <summary>eps; 0 for LocalResponseNorm, which has none.</summary>
    public required double Eps { get; init; }

    public required bool TrackRunningStats { get; init; }

    /// <summary>(C, spatial...), or the normalized shape for LayerNorm.</summary>
    public required int[] SampleShape { get; init; }

    public required int SampleSize { get; init; }

    /// <summary>Per channel (BatchNorm, InstanceNorm, GroupNorm) or per element of the normalized shape (LayerNorm); null without weight.</summary>
    public float[]? Weight { get; init; }

    public float[]? Bias { get; init; }

    public float[]? InitialRunningMean { get; init; }

    public float[]? InitialRunningVar { get; init; }

    public long? InitialNumBatchesTracked { get; init; }

    /// <summary>Running statistics PyTorch's buffers were set to after construction (eval-only fixtures); null otherwise.</summary>
    public float[]? LoadedRunningMean { get; init; }

    public float[]? LoadedRunningVar { get; init; }

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
        var ctorArgs = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (JsonProperty property in ctor.EnumerateObject())
        {
            ctorArgs.Add(property.Name, property.Value.Clone());
        }

        string module = root.GetProperty("torch_module").GetString()!;
        string family = module.StartsWith("torch.nn.", StringComparison.Ordinal) ? module["torch.nn.".Length..] : module;
        if (family.EndsWith("1d", StringComparison.Ordinal) || family.EndsWith("2d", StringComparison.Ordinal) || family.EndsWith("3d", StringComparison.Ordinal))
        {
            family = family[..^2];
        }

        int[] sampleShape = Ints(root.GetProperty("sample_shape"));
        int sampleSize = root.GetProperty("sample_size").GetInt32();
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
            JsonElement? error = s.TryGetProperty("error", out JsonElement e) ? e : null;
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
                BatchSize = checked((int)(count / sampleSize)),
                Input = Tensor(s.GetProperty("input"), checked((int)count), path),
                Output = s.TryGetProperty("output", out JsonElement output) ? Tensor(output, checked((int)count), path) : null,
                ErrorType = error?.GetProperty("torch_exception").GetString(),
                ErrorMessage = error?.GetProperty("message").GetString(),
                RunningMean = OptionalFloats(s, "running_mean"),
                RunningVar = OptionalFloats(s, "running_var"),
                NumBatchesTracked = s.TryGetProperty("num_batches_tracked", out JsonElement nbt) ? nbt.GetInt64() : null,
                Note = s.TryGetProperty("note", out JsonElement note) ? note.GetString() : null,
            });

            if ((steps[^1].Output is null) == (steps[^1].ErrorMessage is null))
            {
                throw new InvalidDataException($"{path}: step {index - 1} must have either an output or an error.");
            }
        }

        return new TorchFixture
        {
            ClassName = root.GetProperty("class").GetString()!,
            TorchModule = module,
            Family = family,
            Ctor = ctorArgs,
            CtorText = JsonSerializer.Serialize(ctor),
            Channels = family switch
            {
                "LayerNorm" => 0,
                "GroupNorm" => ctorArgs["num_channels"].GetInt32(),
                "LocalResponseNorm" => sampleShape[0],
                _ => ctorArgs["num_features"].GetInt32(),
            },
            Groups = family == "GroupNorm" ? ctorArgs["num_groups"].GetInt32() : 0,
            Eps = ctorArgs.TryGetValue("eps", out JsonElement eps) ? eps.GetDouble() : 0,
            TrackRunningStats = ctorArgs.TryGetValue("track_running_stats", out JsonElement track) && track.GetBoolean(),
            SampleShape = sampleShape,
            SampleSize = sampleSize,
            Weight = OptionalFloats(root, "weight"),
            Bias = OptionalFloats(root, "bias"),
            InitialRunningMean = OptionalFloats(root, "initial_running_mean"),
            InitialRunningVar = OptionalFloats(root, "initial_running_var"),
            InitialNumBatchesTracked = root.TryGetProperty("initial_num_batches_tracked", out JsonElement n0) ? n0.GetInt64() : null,
            LoadedRunningMean = OptionalFloats(root, "loaded_running_mean"),
            LoadedRunningVar = OptionalFloats(root, "loaded_running_var"),
            Steps = steps,
        };
    }

    /// <summary>
    /// PyTorch's error message as NormGen prints it: shapes appear as <c>[2, 3, 1, 1]</c> where PyTorch prints
    /// <c>torch.Size([2, 3, 1, 1])</c> (see the README's deviations).
    /// </summary>
    public static string ExpectedMessage(string torchMessage)
        => System.Text.RegularExpressions.Regex.Replace(torchMessage, @"torch\.Size\((\[[^\]]*\])\)", "$1");

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
