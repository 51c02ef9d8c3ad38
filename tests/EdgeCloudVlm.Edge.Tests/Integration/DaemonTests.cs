using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Edge.Results;
using EdgeCloudVlm.Edge.State;
using EdgeCloudVlm.Edge.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EdgeCloudVlm.Edge.Tests.Integration;

/// <summary>The daemon in process against the real cloud: the loopback endpoint, codebook refusal, auth failures.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class DaemonTests(CloudFixture fixture, ITestOutputHelper output) : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task PostFrame_Synchronous_AnswersWithTheResultAndWritesItOnce()
    {
        await using EdgeHost edge = await EdgeHost.StartAsync(EdgeHost.Settings(_temp.Path, fixture.Cloud.GrpcAddress));
        using HttpClient http = Client(edge);
        EvalQuestion item = Repo.EvalQuestions()[3];

        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(File.ReadAllBytes(item.ImagePath)) { Headers = { ContentType = new MediaTypeHeaderValue("image/png") } }, "image", "x.png" },
            { new StringContent(item.Question), "question" },
        };
        using HttpResponseMessage response = await http.PostAsync(new Uri("/v1/frames", UriKind.Relative), form);
        string body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        ResultRecord result = ResultRecord.FromJson(body)!;
        Assert.Equal("answered", result.Status);
        Assert.Equal(item.Question, result.Question);
        Assert.Equal("codec", result.Payload);
        Assert.True(result.CompressionRatio > 1);
        Assert.Equal([result.FrameId], edge.Results().Select(r => r.FrameId));
    }

    [Fact]
    public async Task PostFrame_WithCallback_Accepted202AndTheResultIsPostedThere()
    {
        var received = new ConcurrentQueue<(string Key, string Body)>();
        await using WebApplication receiver = await CallbackReceiver(received);
        string callback = receiver.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First() + "/results";
        await using EdgeHost edge = await EdgeHost.StartAsync(EdgeHost.Settings(_temp.Path, fixture.Cloud.GrpcAddress));
        using HttpClient http = Client(edge);
        EvalQuestion item = Repo.EvalQuestions()[5];

        using var content = new ByteArrayContent(File.ReadAllBytes(item.ImagePath));
        content.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/frames?question={Uri.EscapeDataString(item.Question)}&callback_url={Uri.EscapeDataString(callback)}")
        {
            Content = content,
            Headers = { { "Idempotency-Key", "app-frame-42" } },
        };
        using HttpResponseMessage response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await Eventually.TrueAsync(() => !received.IsEmpty, "the callback");
        (string key, string body) = Assert.Single(received);
        Assert.Equal("app-frame-42", key);
        Assert.Equal("answered", ResultRecord.FromJson(body)!.Status);
    }

    [Fact]
    public async Task Run_CodebookFileWithWrongHash_RefusedAndFramesGoAsJpeg()
    {
        string wrongId = new('5', 64);
        string codebooks = _temp.Folder("codebooks");
        File.Copy(Directory.GetFiles(Path.Combine(RepositoryLayout.DemoModel, "codebooks"), "*" + CodebookFile.Extension)[0], Path.Combine(codebooks, wrongId + CodebookFile.Extension));
        Dictionary<string, string?> settings = EdgeHost.Settings(_temp.Path, fixture.Cloud.GrpcAddress);
        settings["Edge:Codec:CodebookId"] = wrongId;
        settings["Edge:Codec:PullMissing"] = "false";
        await using EdgeHost edge = await EdgeHost.StartAsync(settings);
        using HttpClient http = Client(edge);

        using var content = new ByteArrayContent(File.ReadAllBytes(Repo.EvalQuestions()[0].ImagePath));
        using HttpResponseMessage response = await http.PostAsync(new Uri("/v1/frames?question=how%20many%20objects%20are%20there%3F", UriKind.Relative), content);
        ResultRecord result = ResultRecord.FromJson(await response.Content.ReadAsStringAsync())!;
        StatusSnapshot status = (await http.GetFromJsonAsync<StatusSnapshot>("/status", ResultRecord.JsonOptions))!;

        Assert.Equal("answered", result.Status);
        Assert.Equal("jpeg", result.Payload);
        Assert.Null(status.CodebookId);
        Assert.Contains(status.LastErrors, e => e.Component == "codebook" && e.Message.Contains("is not the expected id " + wrongId, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_WrongApiKey_StatusShowsUnauthorizedClearlyAndFramesStaySpooled()
    {
        Dictionary<string, string?> settings = EdgeHost.Settings(_temp.Path, fixture.Cloud.GrpcAddress, apiKey: "wrong-key");
        settings["Edge:Watch:Folder"] = _temp.Folder("watch");
        await using EdgeHost edge = await EdgeHost.StartAsync(settings);
        Assert.Equal(3, OutageTests.Drop(settings["Edge:Watch:Folder"]!, Repo.EvalQuestions(), 0, 3).Count());

        await Eventually.TrueAsync(() => edge.Spool.Depth == 3, "3 frames spooled");
        await Eventually.TrueAsync(() => edge.Services.GetRequiredService<AgentStatus>().Link == LinkState.Unauthorized, "link unauthorized");
        (int code, string text, _) = await CliRunner.RunAsync(["status", .. CliRunner.Sets(settings)]);
        output.WriteLine(text);

        Assert.Equal(0, code);
        Assert.Contains("link: Unauthorized", text, StringComparison.Ordinal);
        Assert.Contains("authentication failed", text, StringComparison.Ordinal);
        Assert.Contains("3 frames awaiting a result", text, StringComparison.Ordinal);
        Assert.Empty(edge.Results());
    }

    private static HttpClient Client(EdgeHost edge)
    {
        string address = edge.Services.GetRequiredService<StatusReporter>().LocalEndpoint!;
        return new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromMinutes(2) };
    }

    private static async Task<WebApplication> CallbackReceiver(ConcurrentQueue<(string, string)> received)
    {
        // Its own empty content root: the test folder holds other services' appsettings.json (with Kestrel endpoints).
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = Path.GetTempPath(), Args = [] });
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        WebApplication app = builder.Build();
        app.MapPost("/results", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            received.Enqueue((request.Headers["Idempotency-Key"].ToString(), await reader.ReadToEndAsync()));
            return Microsoft.AspNetCore.Http.Results.Ok();
        });
        await app.StartAsync();
        return app;
    }
}
