using EdgeCloudVlm.Codec.Quantization;

namespace EdgeCloudVlm.Codec.Tests.Quantization;

public sealed class NearestCentroidCentroidSetTests
{
    [Fact]
    public void Constructor_ValidTable_ExposesRowsAndSquaredNorms()
    {
        var set = new CentroidSet([3f, 4f, 1f, -2f, 0f, 0f], 3, 2);

        Assert.Equal(3, set.Count);
        Assert.Equal(2, set.Dimension);
        Assert.Equal([3f, 4f, 1f, -2f, 0f, 0f], set.Values.ToArray());
        Assert.Equal([25f, 5f, 0f], set.SquaredNorms.ToArray());
        Assert.Equal([1f, -2f], set.Row(1).ToArray());
    }

    [Fact]
    public void Constructor_CallerMutatesArray_SetIsUnchanged()
    {
        float[] values = [1f, 2f];
        var set = new CentroidSet(values, 1, 2);

        values[0] = 100f;

        Assert.Equal(1f, set.Values[0]);
        Assert.Equal(5f, set.SquaredNorms[0]);
    }

    [Fact]
    public void Constructor_InvalidArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => new CentroidSet(new float[5], 2, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CentroidSet([], 0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CentroidSet(new float[65537], 65537, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CentroidSet(new float[2], 2, 0));
        Assert.Throws<ArgumentException>(() => new CentroidSet([1f, float.NaN], 1, 2));
        Assert.Throws<ArgumentException>(() => new CentroidSet([1f, float.PositiveInfinity], 2, 1));
        Assert.Throws<ArgumentNullException>(() => new CentroidSet(null!, 1, 1));
    }

    [Fact]
    public void Constructor_MaxCount_IsAccepted()
    {
        var set = new CentroidSet(new float[CentroidSet.MaxCount], CentroidSet.MaxCount, 1);
        Assert.Equal(65536, set.Count);
    }

    [Fact]
    public void Row_OutOfRange_Throws()
    {
        var set = new CentroidSet([1f, 2f], 2, 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Row(2));
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Row(-1));
    }
}
