using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;
using OpenAI.Chat;

namespace EdgeCloudVlm.Cloud.Tests.Support;

/// <summary>The official OpenAI client pointed at the service's <c>/v1</c>.</summary>
internal static class OpenAiClients
{
    public static ChatClient Chat(CloudFactory factory, string model, string apiKey = CloudFactory.ApplicationKey)
    {
        HttpClient http = factory.CreateRestClient(apiKey: null);
        var options = new OpenAIClientOptions
        {
            Endpoint = new Uri(http.BaseAddress!, "/v1"),
            Transport = new HttpClientPipelineTransport(http),
            RetryPolicy = new ClientRetryPolicy(0),
        };
        return new ChatClient(model, new ApiKeyCredential(apiKey), options);
    }

    public static UserChatMessage Question(byte[] png, string question) =>
        new(ChatMessageContentPart.CreateTextPart(question), ChatMessageContentPart.CreateImagePart(BinaryData.FromBytes(png), "image/png"));
}
