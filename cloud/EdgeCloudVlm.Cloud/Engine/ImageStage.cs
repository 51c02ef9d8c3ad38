using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using EdgeCloudVlm.Inference;
using EdgeCloudVlm.Inference.Generation;
using EdgeCloudVlm.Inference.Text;
using Microsoft.Extensions.Logging;

namespace EdgeCloudVlm.Cloud.Engine;

/// <summary>How a request's image prefix was found on arrival.</summary>
internal enum PrefixLookup
{
    /// <summary>Cached: the sequence holds a reference to the entry.</summary>
    Cached,

    /// <summary>Another request's image pass for the same content is under way; the sequence waits for it.</summary>
    Joined,

    /// <summary>Nobody computes it yet: the caller prepares the image and submits the pass.</summary>
    Created,
}

/// <summary>
/// Computes image prefixes beside the decode loop, on worker threads of their own: vision parts, then (when the
/// template puts the image first) the prefill of the prompt up to and including the image rows, whose KV cache every
/// question about the image reuses. Images waiting together go through in one batch (up to
/// <see cref="EngineOptions.MaxImageBatch"/>): one vision call and one prefill call for all of them. Requests for an image already in flight wait for that one pass. Finished
/// prefixes go into the <see cref="ImagePrefixCache"/> and their requests on to the scheduler.
/// </summary>
internal sealed partial class ImageStage : IDisposable
{
    private readonly VlmModel _model;
    private readonly VlmPipeline _pipeline;
    private readonly PrefillRunner _prefill;
    private readonly ImagePrefixCache _cache;
    private readonly int _prefixLength;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _modelId;
    private readonly Action<EngineSequence> _ready;
    private readonly Action<EngineSequence, Exception> _failed;
    private readonly Dictionary<string, ImageJob> _inFlight = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly BlockingCollection<ImageJob> _jobs = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread[] _workers;
    private readonly int _maxBatch;
    private readonly EngineCounters _counters;

    public ImageStage(
        VlmModel model,
        PrefillRunner prefill,
        ImagePrefixCache cache,
        int prefixLength,
        int workers,
        int maxBatch,
        EngineCounters counters,
        TimeProvider time,
        ILogger logger,
        string modelId,
        Action<EngineSequence> ready,
        Action<EngineSequence, Exception> failed)
    {
        _model = model;
        _pipeline = new VlmPipeline(model, time);
        _prefill = prefill;
        _cache = cache;
        _prefixLength = prefixLength;
        _time = time;
        _logger = logger;
        _modelId = modelId;
        _ready = ready;
        _failed = failed;
        _maxBatch = maxBatch;
        _counters = counters;
        _workers = new Thread[workers];
        for (int i = 0; i < workers; i++)
        {
            _workers[i] = new Thread(Work) { IsBackground = true, Name = $"engine images {modelId} #{i}" };
            _workers[i].Start();
        }
    }

    /// <summary>Image passes waiting for a worker.</summary>
    public int Queued => _jobs.Count;

    /// <summary>Finds <paramref name="sequence"/>'s prefix in the cache, or attaches it to the pass under way for its
    /// image, or registers a new pass that the caller must <see cref="Submit"/> (or <see cref="Abandon"/>).</summary>
    public PrefixLookup Resolve(EngineSequence sequence)
    {
        lock (_lock)
        {
            if (_cache.Acquire(sequence.ContentKey) is { } entry)
            {
                sequence.Prefix = entry;
                return PrefixLookup.Cached;
            }

            if (_inFlight.TryGetValue(sequence.ContentKey, out ImageJob? job))
            {
                job.Waiters.Add(sequence);
                return PrefixLookup.Joined;
            }

            _inFlight[sequence.ContentKey] = new ImageJob(sequence);
            return PrefixLookup.Created;
        }
    }

    /// <summary>Queues the pass registered for <paramref name="creator"/>, handing over its preprocessed (pooled)
    /// <paramref name="pixels"/> when the image came encoded.</summary>
    public void Submit(EngineSequence creator, float[]? pixels)
    {
        ImageJob job;
        lock (_lock)
        {
            job = _inFlight[creator.ContentKey];
        }

        job.Pixels = pixels;
        try
        {
            _jobs.Add(job);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            Complete(job, null, new ObjectDisposedException(nameof(GenerationEngine), $"the generation engine for model '{_modelId}' stopped"));
        }
    }

    /// <summary>Drops the pass registered for <paramref name="creator"/>, which could not prepare its image; requests
    /// that joined it end with <paramref name="failure"/> (they carry the same content).</summary>
    public void Abandon(EngineSequence creator, Exception failure)
    {
        ImageJob job;
        lock (_lock)
        {
            job = _inFlight[creator.ContentKey];
            job.Waiters.Remove(creator);
        }

        Complete(job, null, failure);
    }

    public void Dispose()
    {
        _jobs.CompleteAdding();
        _stop.Cancel();
        foreach (Thread worker in _workers)
        {
            worker.Join();
        }

        var failure = new ObjectDisposedException(nameof(GenerationEngine), $"the generation engine for model '{_modelId}' stopped");
        while (_jobs.TryTake(out ImageJob? job))
        {
            Complete(job, null, failure);
        }

        _jobs.Dispose();
        _stop.Dispose();
    }

    private void Work()
    {
        var batch = new List<ImageJob>(_maxBatch);
        try
        {
            foreach (ImageJob job in _jobs.GetConsumingEnumerable(_stop.Token))
            {
                // Whatever else is waiting right now joins the pass; nobody is held back to fill a batch.
                batch.Clear();
                batch.Add(job);
                while (batch.Count < _maxBatch && _jobs.TryTake(out ImageJob? next))
                {
                    batch.Add(next);
                }

                Process(batch);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private void Process(List<ImageJob> jobs)
    {
        if (jobs.Count > 1)
        {
            try
            {
                ProcessTogether(jobs);
                return;
            }
            catch (Exception ex) when (!_stop.IsCancellationRequested)
            {
                // One image the model cannot take must fail only its own requests: go again one image at a time.
                LogBatchFailed(_logger, ex, _modelId, jobs.Count);
            }
            catch (Exception ex)
            {
                foreach (ImageJob job in jobs)
                {
                    Complete(job, null, Stopped(ex));
                }

                return;
            }
        }

        foreach (ImageJob job in jobs)
        {
            try
            {
                ProcessTogether([job]);
            }
            catch (Exception ex) when (!_stop.IsCancellationRequested)
            {
                LogImageFailed(_logger, ex, _modelId);
                Complete(job, null, ex);
            }
            catch (Exception ex)
            {
                Complete(job, null, Stopped(ex));
            }
        }
    }

    /// <summary>One pass for all of <paramref name="jobs"/>: the vision parts as one batch, then the image-prefix
    /// prefill as one batch per group of prompts with the same tokens before the image. Nothing is completed unless
    /// every job's prefix was computed.</summary>
    private void ProcessTogether(List<ImageJob> jobs)
    {
        // Images that still need the edge part come first, so that part runs on one contiguous batch.
        List<ImageJob> ordered = [.. jobs.Where(static j => j.Creator.Request.Image.Source != VlmImageSource.HiddenState),
            .. jobs.Where(static j => j.Creator.Request.Image.Source == VlmImageSource.HiddenState)];
        int n = ordered.Count;
        int embedLength = _model.VisionCloud.EmbeddingsLength;
        float[] embeddings = ArrayPool<float>.Shared.Rent(n * embedLength);
        var entries = new ImagePrefix?[n];
        try
        {
            Vision(ordered, embeddings);
            if (_prefixLength == 0)
            {
                for (int i = 0; i < n; i++)
                {
                    float[] own = ArrayPool<float>.Shared.Rent(embedLength);
                    embeddings.AsSpan(i * embedLength, embedLength).CopyTo(own);
                    entries[i] = ImagePrefix.FromEmbeddings(ordered[i].Creator.ContentKey, own, embedLength);
                }
            }
            else
            {
                PrefillPrefixes(ordered, embeddings, entries);
            }
        }
        catch
        {
            foreach (ImagePrefix? entry in entries)
            {
                entry?.Release();
            }

            throw;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(embeddings);
        }

        _counters.AddImagePass(n);
        for (int i = 0; i < n; i++)
        {
            if (_cache.Enabled)
            {
                _cache.Add(entries[i]!);
            }

            Complete(ordered[i], entries[i], null);
        }
    }

    private void Vision(List<ImageJob> jobs, float[] embeddings)
    {
        int n = jobs.Count;
        Activity?[] spans = StartSpans(jobs, "vision");
        long start = _time.GetTimestamp();
        int pixelLength = _model.VisionEdge.PixelLength;
        int hiddenLength = _model.VisionCloud.HiddenStateLength;
        float[] hidden = ArrayPool<float>.Shared.Rent(n * hiddenLength);
        float[]? pixels = null;
        try
        {
            int needEdge = jobs.Count(static j => j.Creator.Request.Image.Source != VlmImageSource.HiddenState);
            if (needEdge > 0)
            {
                pixels = ArrayPool<float>.Shared.Rent(needEdge * pixelLength);
                for (int i = 0; i < needEdge; i++)
                {
                    Span<float> slot = pixels.AsSpan(i * pixelLength, pixelLength);
                    if (jobs[i].Pixels is { } prepared)
                    {
                        prepared.AsSpan(0, pixelLength).CopyTo(slot);
                    }
                    else
                    {
                        _model.Preprocessor.Preprocess(jobs[i].Creator.Request.Image.EncodedImage.Span, slot);
                    }
                }

                _model.VisionEdge.Run(pixels.AsMemory(0, needEdge * pixelLength), needEdge, hidden.AsMemory(0, needEdge * hiddenLength), _stop.Token);
            }

            for (int i = needEdge; i < n; i++)
            {
                ReadOnlySpan<float> state = jobs[i].Creator.Request.Image.Tensor.Span;
                if (state.Length != hiddenLength)
                {
                    throw new ArgumentException($"the hidden state holds {state.Length} floats, the model needs {hiddenLength}");
                }

                state.CopyTo(hidden.AsSpan(i * hiddenLength, hiddenLength));
            }

            _model.VisionCloud.Run(hidden.AsMemory(0, n * hiddenLength), n, embeddings.AsMemory(0, n * _model.VisionCloud.EmbeddingsLength), _stop.Token);
        }
        catch (Exception ex)
        {
            EndSpans(spans, ex);
            throw;
        }
        finally
        {
            ArrayPool<float>.Shared.Return(hidden);
            if (pixels is not null)
            {
                ArrayPool<float>.Shared.Return(pixels);
            }
        }

        EndSpans(spans, null);
        TimeSpan elapsed = _time.GetElapsedTime(start);
        foreach (ImageJob job in jobs)
        {
            job.Creator.Vision += elapsed;
        }
    }

    /// <summary>Prefills the image prefixes of <paramref name="jobs"/>, one batched call per group of prompts that share
    /// the tokens before the image, and gives each job its own row of the result.</summary>
    private void PrefillPrefixes(List<ImageJob> jobs, float[] embeddings, ImagePrefix?[] entries)
    {
        int embedLength = _model.VisionCloud.EmbeddingsLength;
        var done = new bool[jobs.Count];
        for (int first = 0; first < jobs.Count; first++)
        {
            if (done[first])
            {
                continue;
            }

            TokenizedPrompt prompt = jobs[first].Creator.Prompt;
            var group = new List<int>();
            for (int i = first; i < jobs.Count; i++)
            {
                if (!done[i] && PrefillRunner.SharesPrefixTokens(prompt, jobs[i].Creator.Prompt))
                {
                    group.Add(i);
                    done[i] = true;
                }
            }

            float[] groupEmbeddings = ArrayPool<float>.Shared.Rent(group.Count * embedLength);
            List<ImageJob> members = group.ConvertAll(i => jobs[i]);
            Activity?[] spans = StartSpans(members, "prefill");
            long start = _time.GetTimestamp();
            try
            {
                for (int r = 0; r < group.Count; r++)
                {
                    embeddings.AsSpan(group[r] * embedLength, embedLength).CopyTo(groupEmbeddings.AsSpan(r * embedLength, embedLength));
                }

                using KvCache all = _prefill.RunPrefixes(prompt, groupEmbeddings, group.Count, _stop.Token);
                for (int r = 0; r < group.Count; r++)
                {
                    var own = new KvCache(all.Layers, 1, all.Heads, all.Length, all.HeadDim, clear: false);
                    own.CopyFrom(all, r, 0, all.Length, 0, 0);
                    entries[group[r]] = ImagePrefix.FromKv(jobs[group[r]].Creator.ContentKey, own);
                }
            }
            catch (Exception ex)
            {
                EndSpans(spans, ex);
                throw;
            }
            finally
            {
                ArrayPool<float>.Shared.Return(groupEmbeddings);
            }

            EndSpans(spans, null);
            TimeSpan elapsed = _time.GetElapsedTime(start);
            foreach (ImageJob member in members)
            {
                member.Creator.Prefill += elapsed;
            }
        }
    }

    private Activity?[] StartSpans(List<ImageJob> jobs, string name)
    {
        var spans = new Activity?[jobs.Count];
        for (int i = 0; i < jobs.Count; i++)
        {
            spans[i] = Spans.Start(name, jobs[i].Creator.Parent, _modelId);
            spans[i]?.SetTag("edgecloudvlm.image_batch", jobs.Count);
            if (name == "prefill")
            {
                spans[i]?.SetTag("edgecloudvlm.prefill.part", "image_prefix");
            }
        }

        return spans;
    }

    private static void EndSpans(Activity?[] spans, Exception? failure)
    {
        foreach (Activity? span in spans)
        {
            if (failure is not null)
            {
                span?.SetStatus(ActivityStatusCode.Error, failure.Message);
            }

            span?.Dispose();
        }
    }

    private ObjectDisposedException Stopped(Exception inner) =>
        new($"the generation engine for model '{_modelId}' stopped", inner);

    /// <summary>Hands <paramref name="entry"/> to every request waiting for it, or ends them with <paramref name="failure"/>.</summary>
    private void Complete(ImageJob job, ImagePrefix? entry, Exception? failure)
    {
        if (job.Pixels is { } pixels)
        {
            job.Pixels = null;
            ArrayPool<float>.Shared.Return(pixels);
        }

        EngineSequence[] waiters;
        lock (_lock)
        {
            _inFlight.Remove(job.Creator.ContentKey);
            waiters = [.. job.Waiters];
        }

        foreach (EngineSequence waiter in waiters)
        {
            if (entry is null)
            {
                _failed(waiter, failure!);
                continue;
            }

            if (waiter.IsDone)
            {
                continue;
            }

            entry.AddReference();
            waiter.Prefix = entry;
            _ready(waiter);
        }

        entry?.Release();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engine for {Model}: a batched pass of {Count} images failed; they are run again one by one")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, string model, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engine for {Model}: an image pass failed; its requests end with the error")]
    private static partial void LogImageFailed(ILogger logger, Exception exception, string model);

    /// <summary>One image's pass and the requests waiting for it (the creator first).</summary>
    private sealed class ImageJob(EngineSequence creator)
    {
        public EngineSequence Creator { get; } = creator;

        public List<EngineSequence> Waiters { get; } = [creator];

        /// <summary>The creator's preprocessed image (pooled), owned by the job until it completes.</summary>
        public float[]? Pixels { get; set; }
    }
}

/// <summary>Engine spans: nothing is allocated while no listener samples the source.</summary>
internal static class Spans
{
    public static Activity? Start(string name, ActivityContext parent, string modelId)
    {
        if (!CloudTelemetry.ActivitySource.HasListeners())
        {
            return null;
        }

        Activity? activity = CloudTelemetry.ActivitySource.StartActivity(name, ActivityKind.Internal, parent);
        activity?.SetTag(CloudTelemetry.ModelTag, modelId);
        return activity;
    }
}
