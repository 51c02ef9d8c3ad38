using EdgeCloudVlm.Cloud.Models;
using EdgeCloudVlm.Cloud.Requests;

namespace EdgeCloudVlm.Cloud.Rest;

/// <summary>The OpenAI-compatible routes.</summary>
internal static class RestEndpoints
{
    /// <summary>Maps <c>/v1/chat/completions</c> and <c>/v1/models</c>; the returned group takes the authorization
    /// and rate-limiting conventions of the whole API.</summary>
    public static RouteGroupBuilder MapOpenAiApi(this IEndpointRouteBuilder endpoints)
    {
        RouteGroupBuilder v1 = endpoints.MapGroup("/v1");
        v1.MapPost("/chat/completions", (HttpContext context, ChatCompletionsHandler handler) => handler.HandleAsync(context))
            .WithName("CreateChatCompletion");
        v1.MapGet("/models", ListModelsAsync).WithName("ListModels");
        v1.MapGet("/models/{id}", GetModelAsync).WithName("RetrieveModel");
        return v1;
    }

    private static async Task ListModelsAsync(HttpContext context, ModelCatalog catalog)
    {
        if (catalog.TryGet(null, "model", out _) is { Kind: RequestErrorKind.NotReady } notReady)
        {
            await OpenAiErrors.WriteAsync(context, notReady);
            return;
        }

        var list = new ModelListDto { Data = [.. catalog.Models.Select(ToCard)] };
        await context.Response.WriteAsJsonAsync(list, OpenAiJsonContext.Default.ModelListDto, cancellationToken: context.RequestAborted);
    }

    private static async Task GetModelAsync(HttpContext context, string id, ModelCatalog catalog)
    {
        RequestError? error = catalog.TryGet(id, "model", out ServedModel? model);
        if (error is not null)
        {
            await OpenAiErrors.WriteAsync(context, error);
            return;
        }

        await context.Response.WriteAsJsonAsync(ToCard(model!), OpenAiJsonContext.Default.ModelCardDto, cancellationToken: context.RequestAborted);
    }

    private static ModelCardDto ToCard(ServedModel model) => new() { Id = model.Id, Created = model.LoadedAt.ToUnixTimeSeconds() };
}
