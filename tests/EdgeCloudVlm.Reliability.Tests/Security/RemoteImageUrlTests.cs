using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using EdgeCloudVlm.Cloud.Rest;
using EdgeCloudVlm.Reliability.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Reliability.Tests.Security;

/// <summary>Fetching remote image URLs is off unless configured: the request is refused and nothing is fetched.</summary>
[Collection(CloudCollection.Name)]
public sealed class RemoteImageUrlTests(CloudFixture fixture)
{
    [Fact]
    public void RestOptions_ByDefault_RemoteUrlsOff()
    {
        Assert.False(new RestOptions().AllowRemoteImageUrls);
        Assert.False(fixture.Cloud.Services.GetRequiredService<IOptions<RestOptions>>().Value.AllowRemoteImageUrls);
    }

    [Fact]
    public async Task ChatCompletions_HttpImageUrlByDefault_RefusedWithoutConnecting()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var http = new HttpClient { BaseAddress = fixture.Cloud.RestAddress };
        string body = JsonSerializer.Serialize(new
        {
            model = "shapes-vqa",
            messages = new object[]
            {
                new
                {
                    role = "user",
                    content = new object[]
                    {
                        new { type = "text", text = "what shape is it?" },
                        new { type = "image_url", image_url = new { url = $"http://127.0.0.1:{port}/camera.png" } },
                    },
                },
            },
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/v1/chat/completions", UriKind.Relative))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", CloudApp.ApplicationKey);

        using HttpResponseMessage response = await http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
        bool connected = await AcceptedAsync(listener, wait.Token);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using JsonDocument error = JsonDocument.Parse(text);
        Assert.Equal("remote_image_urls_disabled", error.RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.False(connected, "the service connected to the remote image URL");
    }

    private static async Task<bool> AcceptedAsync(TcpListener listener, CancellationToken token)
    {
        try
        {
            using TcpClient client = await listener.AcceptTcpClientAsync(token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
