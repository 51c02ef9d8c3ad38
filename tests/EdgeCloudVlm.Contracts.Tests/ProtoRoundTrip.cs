using Google.Protobuf;

namespace EdgeCloudVlm.Contracts.Tests;

/// <summary>Serializes a message to its binary wire form and parses it back with the generated parser.</summary>
internal static class ProtoRoundTrip
{
    public static T Binary<T>(T message)
        where T : IMessage<T>, new()
    {
        byte[] bytes = message.ToByteArray();
        Assert.Equal(message.CalculateSize(), bytes.Length);
        var parser = new MessageParser<T>(() => new T());
        return parser.ParseFrom(bytes);
    }

    public static T Json<T>(T message)
        where T : IMessage<T>, new()
    {
        string json = JsonFormatter.Default.Format(message);
        return JsonParser.Default.Parse<T>(json);
    }
}
