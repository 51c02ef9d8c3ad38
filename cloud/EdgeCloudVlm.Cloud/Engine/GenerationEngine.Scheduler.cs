using System.Buffers;
using System.Diagnostics;
using EdgeCloudVlm.Inference.Generation;
using Microsoft.Extensions.Logging;

namespace EdgeCloudVlm.Cloud.Engine;

/// <summary>The scheduler loop: everything here runs on the engine's own thread.</summary>
public sealed partial class GenerationEngine
{
    private readonly PrefillRunner _prefill;
    private readonly DecodeBatch _batch;
    private readonly Queue<EngineSequence> _waiting = new();
    private readonly List<EngineSequence> _admitted = [];
    private readonly List<BatchJoiner> _joiners = [];
    private readonly List<KvCache> _presents = [];
    private Action<EngineSequence>? _onFinished;

    private void RunScheduler()
    {
        CancellationToken stop = _stop.Token;
        _onFinished = EndCompleted;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                _wake.Reset();
                Drain();
                if (_waiting.Count > 0 && _batch.Live < _budget.MaxSequences)
                {
                    AdmitAndPrefill(stop);
                }

                RemoveAborted();
                if (_batch.Live > 0)
                {
                    _batch.Compact();
                    Step(stop);
                }
                else if (_waiting.Count == 0)
                {
                    _wake.Wait(stop);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogSchedulerFailed(_logger, ex, ModelId);
        }
        finally
        {
            StopAll();
        }
    }

    private void Drain()
    {
        while (_incoming.TryDequeue(out EngineSequence? sequence))
        {
            if (sequence.IsDone)
            {
                ReleasePrefix(sequence);
            }
            else
            {
                _waiting.Enqueue(sequence);
            }
        }
    }

    private void RemoveAborted()
    {
        for (int r = 0; r < _batch.Rows; r++)
        {
            if (_batch[r] is { } sequence && sequence.Abort != AbortReason.None)
            {
                _batch.Remove(r);
                EndWith(sequence, null);
            }
        }
    }

    private void AdmitAndPrefill(CancellationToken stop)
    {
        _admitted.Clear();
        int capacity = _budget.MaxSequences - _batch.Live;
        while (capacity > 0 && _waiting.TryDequeue(out EngineSequence? sequence))
        {
            if (!sequence.TryActivate())
            {
                ReleasePrefix(sequence);
                continue;
            }

            Interlocked.Decrement(ref _queued);
            Interlocked.Increment(ref _active);
            _admitted.Add(sequence);
            capacity--;
        }

        if (_admitted.Count == 0)
        {
            return;
        }

        var whole = new List<EngineSequence>();
        var tail = new List<EngineSequence>();
        foreach (EngineSequence sequence in _admitted)
        {
            if (sequence.Abort != AbortReason.None)
            {
                EndWith(sequence, null);
            }
            else
            {
                (sequence.Prefix!.Kv is null ? whole : tail).Add(sequence);
            }
        }

        RunGroups(whole, whole: true, stop);
        RunGroups(tail, whole: false, stop);

        KvCache? adopted = _batch.Join(_joiners);
        foreach (BatchJoiner joiner in _joiners)
        {
            joiner.Sequence.DecodeActivity = StartSpan("decode", joiner.Sequence);
        }

        foreach (KvCache present in _presents)
        {
            if (!ReferenceEquals(present, adopted))
            {
                present.Dispose();
            }
        }

        _presents.Clear();
        _joiners.Clear();
        _admitted.Clear();
    }

    /// <summary>Prefills <paramref name="sequences"/> in groups of equal prompt length (no padding), samples each first
    /// token and lines the survivors up to join the batch.</summary>
    private void RunGroups(List<EngineSequence> sequences, bool whole, CancellationToken stop)
    {
        if (sequences.Count == 0)
        {
            return;
        }

        List<EngineSequence> ordered = [.. sequences.OrderBy(s => s.PromptLength)];
        int vocab = _model.Decoder.VocabSize;
        var group = new List<EngineSequence>();
        var prefixes = new List<ImagePrefix>();
        for (int i = 0; i < ordered.Count;)
        {
            group.Clear();
            prefixes.Clear();
            int length = ordered[i].PromptLength;
            while (i < ordered.Count && ordered[i].PromptLength == length)
            {
                group.Add(ordered[i]);
                prefixes.Add(ordered[i].Prefix!);
                i++;
            }

            RunGroup(group, prefixes, whole, vocab, stop);
        }
    }

    private void RunGroup(List<EngineSequence> group, List<ImagePrefix> prefixes, bool whole, int vocab, CancellationToken stop)
    {
        int n = group.Count;
        var spans = new Activity?[n];
        for (int r = 0; r < n; r++)
        {
            spans[r] = StartSpan("prefill", group[r]);
        }

        float[] last = ArrayPool<float>.Shared.Rent(n * vocab);
        try
        {
            long start = _time.GetTimestamp();
            KvCache present = whole
                ? _prefill.RunFull(group, prefixes, last, stop)
                : _prefill.RunTail(group, prefixes, last, stop);
            _presents.Add(present);
            long now = _time.GetTimestamp();
            TimeSpan elapsed = _time.GetElapsedTime(start, now);
            for (int r = 0; r < n; r++)
            {
                EngineSequence sequence = group[r];
                sequence.Prefix!.Release();
                sequence.Prefix = null;
                sequence.Prefill += elapsed;
                sequence.CacheLength = sequence.PromptLength;
                _metrics.PromptTokens(sequence.PromptLength);
                if (spans[r] is { } span)
                {
                    span.SetTag("edgecloudvlm.prefill.part", whole ? "prompt" : "after_image");
                    span.SetTag("edgecloudvlm.prefill.batch", n);
                    span.Dispose();
                }

                if (sequence.Abort != AbortReason.None)
                {
                    EndWith(sequence, null);
                }
                else if (sequence.Accept(last.AsSpan(r * vocab, vocab), now))
                {
                    _joiners.Add(new BatchJoiner(sequence, present, r));
                }
                else
                {
                    EndCompleted(sequence);
                }
            }
        }
        catch (Exception ex) when (!stop.IsCancellationRequested)
        {
            LogPrefillFailed(_logger, ex, ModelId, n);
            for (int r = 0; r < n; r++)
            {
                spans[r]?.SetStatus(ActivityStatusCode.Error, ex.Message);
                spans[r]?.Dispose();
                EndWith(group[r], ex);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(last);
        }
    }

    private void Step(CancellationToken stop)
    {
        _metrics.BatchSize(_batch.Live);
        try
        {
            _batch.Step(_onFinished!, stop);
        }
        catch (Exception ex) when (!stop.IsCancellationRequested)
        {
            LogStepFailed(_logger, ex, ModelId, _batch.Live);
            for (int r = 0; r < _batch.Rows; r++)
            {
                if (_batch[r] is { } sequence)
                {
                    EndWith(sequence, ex);
                }
            }

            _batch.Reset();
        }
    }

    /// <summary>A sequence's answer is complete: metrics and span first, so both are recorded when the client sees the end.</summary>
    private void EndCompleted(EngineSequence sequence)
    {
        if (!sequence.TryEnd())
        {
            return;
        }

        long now = _time.GetTimestamp();
        ReleasePrefix(sequence);
        _metrics.Request(EngineMetrics.Outcomes.Completed);
        _metrics.OutputTokens(sequence.CompletionTokens);
        if (sequence.FirstTokenAt is long first)
        {
            _metrics.TimeToFirstToken(_time.GetElapsedTime(sequence.Arrival, first));
            if (sequence.CompletionTokens > 1)
            {
                _metrics.TimePerOutputToken(_time.GetElapsedTime(first, now) / (sequence.CompletionTokens - 1));
            }
        }

        if (sequence.DecodeActivity is { } span)
        {
            span.SetTag("edgecloudvlm.completion_tokens", sequence.CompletionTokens);
            span.Dispose();
            sequence.DecodeActivity = null;
        }

        double seconds = _time.GetElapsedTime(sequence.Arrival, now).TotalSeconds;
        Volatile.Write(ref _serviceSeconds, (0.9 * Volatile.Read(ref _serviceSeconds)) + (0.1 * seconds));
        Interlocked.Decrement(ref _active);
        sequence.Complete();
    }

    /// <summary>An admitted sequence ends early: with <paramref name="failure"/>, or as its abort reason says.</summary>
    private void EndWith(EngineSequence sequence, Exception? failure)
    {
        if (!sequence.TryEnd())
        {
            return;
        }

        ReleasePrefix(sequence);
        if (sequence.DecodeActivity is { } span)
        {
            span.SetStatus(ActivityStatusCode.Error, failure?.Message ?? sequence.Abort.ToString());
            span.Dispose();
            sequence.DecodeActivity = null;
        }

        _metrics.Request(failure is null ? Outcome(sequence.Abort) : EngineMetrics.Outcomes.Failed);
        Interlocked.Decrement(ref _active);
        sequence.Fail(failure);
    }

    private static void ReleasePrefix(EngineSequence sequence)
    {
        sequence.Prefix?.Release();
        sequence.Prefix = null;
    }

    /// <summary>Ends every request the engine still holds, queued or running, once the loop has stopped.</summary>
    private void StopAll()
    {
        Volatile.Write(ref _stopping, 1);
        Drain();
        var all = new List<EngineSequence>(_waiting);
        _waiting.Clear();
        all.AddRange(_admitted);
        foreach (BatchJoiner joiner in _joiners)
        {
            all.Add(joiner.Sequence);
        }

        for (int r = 0; r < _batch.Rows; r++)
        {
            if (_batch[r] is { } sequence)
            {
                all.Add(sequence);
            }
        }

        foreach (EngineSequence sequence in all)
        {
            // Queued ones end inside Abort; admitted ones keep their first abort reason and end here.
            Abort(sequence, AbortReason.EngineStopped);
            if (!sequence.IsDone)
            {
                EndWith(sequence, null);
            }
        }

        foreach (KvCache present in _presents)
        {
            present.Dispose();
        }

        _presents.Clear();
        _joiners.Clear();
        _admitted.Clear();
        _batch.Reset();
    }

    private Activity? StartSpan(string name, EngineSequence sequence) => Spans.Start(name, sequence.Parent, ModelId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Engine for {Model}: prefill of {Count} sequences failed")]
    private static partial void LogPrefillFailed(ILogger logger, Exception exception, string model, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Engine for {Model}: decode step of {Count} sequences failed; they end with the error")]
    private static partial void LogStepFailed(ILogger logger, Exception exception, string model, int count);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Engine for {Model}: scheduler failed; every request ends with an error")]
    private static partial void LogSchedulerFailed(ILogger logger, Exception exception, string model);
}
