using System.CommandLine;
using EdgeCloudVlm.Codec.Codebooks;
using EdgeCloudVlm.Edge.Codebooks;
using EdgeCloudVlm.Edge.Hosting;
using EdgeCloudVlm.Edge.Pipeline;
using EdgeCloudVlm.Edge.Uplink;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EdgeCloudVlm.Edge.Cli;

/// <summary><c>codebook pull [--id ID]</c>: downloads a codebook from the cloud and verifies it against its id.</summary>
internal static class CodebookCommand
{
    public static Command Create()
    {
        var id = new Option<string?>("--id") { Description = "Codebook id (64 hex digits); default Edge:Codec:CodebookId, else the model's first, else the cloud's first for the model." };
        var pull = new Command("pull", "Download a codebook from the cloud's Codebooks service into Edge:Codec:Directory, verified by its hash.") { id };
        pull.SetAction(async (result, cancellationToken) =>
        {
            TextWriter output = result.InvocationConfiguration.Output;
            TextWriter error = result.InvocationConfiguration.Error;
            try
            {
                using IHost host = CliConfiguration.BuildOneShotHost(result);
                return await PullAsync(host, result.GetValue(id), output, error, cancellationToken);
            }
            catch (Exception ex) when (ex is ArgumentException or FileNotFoundException or InvalidDataException or OptionsValidationException or InvalidOperationException)
            {
                await error.WriteLineAsync($"error: {ex.Message}");
                return ExitCodes.InputError;
            }
        });
        return new Command("codebook", "AlignedVQ codebooks.") { pull };
    }

    private static async Task<int> PullAsync(IHost host, string? requested, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        VisionHead head = host.Get<VisionHead>();
        IngestConnector connector = host.Get<IngestConnector>();
        CodebookStore store = host.Get<CodebookStore>();
        CodecOptions options = host.Get<IOptions<CodecOptions>>().Value;
        EdgeOptions edge = host.Get<IOptions<EdgeOptions>>().Value;
        var puller = new CodebookPuller(connector.Codebooks);
        var call = new CallOptions(connector.CredentialHeaders(), cancellationToken: cancellationToken);
        try
        {
            CodebookId? id;
            if (!string.IsNullOrWhiteSpace(requested))
            {
                if (!CodebookId.TryParse(requested.Trim().ToLowerInvariant(), out CodebookId parsed))
                {
                    await error.WriteLineAsync($"error: --id '{requested}' is not 64 hex digits");
                    return ExitCodes.InputError;
                }

                id = parsed;
            }
            else
            {
                id = store.WantedId(head.Manifest)
                    ?? await puller.ChooseAsync(string.IsNullOrWhiteSpace(edge.ModelId) ? head.Manifest.Name : edge.ModelId, head.HiddenDim, call);
            }

            if (id is null)
            {
                await error.WriteLineAsync("error: no codebook id configured and the cloud lists none for this model");
                return ExitCodes.InputError;
            }

            (Codebook codebook, string path) = await puller.PullAsync(id.Value, options.Directory, call);
            if (codebook.Dimension != head.HiddenDim)
            {
                await error.WriteLineAsync($"warning: codebook {id} is for {codebook.Dimension}-wide tokens; this model's split has {head.HiddenDim}");
            }

            await output.WriteLineAsync($"pulled codebook {codebook.Id} ({codebook.FileBytes.Length} bytes, {codebook.NominalBitsPerToken} bits per token) to {path}; content hash verified");
            return ExitCodes.Success;
        }
        catch (CodebookRejectedException ex)
        {
            await error.WriteLineAsync($"error: {ex.Message}");
            return ExitCodes.CodebookRefused;
        }
        catch (RpcException ex)
        {
            (State.LinkState state, string message) = UplinkErrors.Describe(ex, connector.Address);
            await error.WriteLineAsync($"error: {(ex.StatusCode == StatusCode.NotFound ? ex.Status.Detail : message)}");
            return state == State.LinkState.Unauthorized ? ExitCodes.AuthenticationFailed
                : ex.StatusCode is StatusCode.NotFound or StatusCode.InvalidArgument ? ExitCodes.InputError : ExitCodes.Unreachable;
        }
    }
}
