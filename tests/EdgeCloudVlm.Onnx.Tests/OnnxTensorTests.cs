using EdgeCloudVlm.Onnx.Proto;

namespace EdgeCloudVlm.Onnx.Tests;

public sealed class OnnxTensorTests
{
    [Fact]
    public void FromFloats_ToFloats_RoundTripsThroughRawData()
    {
        float[] values = [1.5f, -2f, float.Epsilon, 3.25e10f, 0f, -0f];

        TensorProto tensor = OnnxTensor.FromFloats("w", values, [2, 3]);

        Assert.Equal((int)TensorProto.Types.DataType.Float, tensor.DataType);
        Assert.Equal(new long[] { 2, 3 }, tensor.Dims);
        Assert.Equal(24, tensor.RawData.Length);
        Assert.Equal(values, OnnxTensor.ToFloats(tensor));
    }

    [Fact]
    public void FromInt64s_ToInt64s_RoundTrips()
    {
        TensorProto tensor = OnnxTensor.FromInt64s("shape", [0, 0, 16, 64], [4]);

        Assert.Equal(new long[] { 0, 0, 16, 64 }, OnnxTensor.ToInt64s(tensor));
    }

    [Fact]
    public void ToFloats_TypedFloatData_IsRead()
    {
        var tensor = new TensorProto { Name = "t", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 3 } };
        tensor.FloatData.Add([1f, 2f, 3f]);

        Assert.Equal(new[] { 1f, 2f, 3f }, OnnxTensor.ToFloats(tensor));
    }

    [Fact]
    public void ToFloats_ScalarWithNoDims_HasOneElement()
    {
        TensorProto scalar = OnnxTensor.FromFloats("s", [4f], []);

        Assert.Equal(new[] { 4f }, OnnxTensor.ToFloats(scalar));
    }

    [Fact]
    public void FromFloats_CountDisagreesWithDims_Throws()
    {
        Assert.Throws<ArgumentException>(() => OnnxTensor.FromFloats("w", [1f, 2f, 3f], [2, 2]));
    }

    [Fact]
    public void ToFloats_WrongTypeOrTruncatedData_Throws()
    {
        TensorProto ints = OnnxTensor.FromInt64s("i", [1], [1]);
        TensorProto truncated = OnnxTensor.FromFloats("f", [1f, 2f], [2]);
        truncated.Dims[0] = 3;

        Assert.Throws<InvalidDataException>(() => OnnxTensor.ToFloats(ints));
        Assert.Throws<InvalidDataException>(() => OnnxTensor.ToFloats(truncated));
    }

    [Fact]
    public void ToFloats_ExternalData_IsNotSupported()
    {
        var tensor = new TensorProto
        {
            Name = "big",
            DataType = (int)TensorProto.Types.DataType.Float,
            Dims = { 4 },
            DataLocation = TensorProto.Types.DataLocation.External,
            ExternalData = { new StringStringEntryProto { Key = "location", Value = "weights.bin" } },
        };

        Assert.Throws<NotSupportedException>(() => OnnxTensor.ToFloats(tensor));
    }
}
