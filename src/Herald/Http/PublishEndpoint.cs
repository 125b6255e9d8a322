using Herald.Auth;
using Herald.Protocol;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Herald.Http;

/// <summary><c>POST /.well-known/mercure</c>: a form-encoded update, answered with its id once stored.</summary>
internal sealed class PublishEndpoint
{
    /// <summary>
    /// Framing Kestrel counts per payload byte of a chunked body, at most, without chunk extensions: a 1-byte chunk
    /// with the longest size line Kestrel reads (<c>00000001\r\n</c>, 10 bytes) and the CRLF after its data. So any
    /// chunking of a payload under the limit fits; only chunk extensions, which no client needs, can go over.
    /// </summary>
    private const long MaxFramingPerPayloadByte = 12;

    /// <summary>4 KiB more: the last chunk, and room for the odd extension a proxy adds.</summary>
    private const long ChunkFramingAllowance = 4096;

    private const string FormContentType = "application/x-www-form-urlencoded";

    private readonly Authorizer _authorizer;
    private readonly HeraldPublisher _publisher;
    private readonly HeraldOptions _options;
    private readonly FormOptions _formOptions;
    private readonly HeraldCors _cors;
    private readonly HeraldMetrics _metrics;
    private readonly TimeProvider _time;

    /// <summary>What Kestrel may read of a chunked body, framing included: the payload limit and its framing allowance.</summary>
    private readonly long _chunkedBodyLimit;

    public PublishEndpoint(Authorizer authorizer, HeraldPublisher publisher, HeraldCors cors, HeraldMetrics metrics, TimeProvider time, IOptions<HeraldOptions> options)
    {
        _metrics = metrics;
        _time = time;
        _cors = cors;
        _authorizer = authorizer;
        _publisher = publisher;
        _options = options.Value;
        var valueLimit = (int)Math.Min(int.MaxValue, _options.MaxRequestBodySize);
        _formOptions = new FormOptions
        {
            // Topics are the only repeated field; a few more for data, id, type, retry, private, authorization.
            ValueCountLimit = _options.MaxTopics + 16,
            ValueLengthLimit = valueLimit,
            KeyLengthLimit = 64,
            BufferBody = false,
        };

        // Saturates rather than overflows for limits near long.MaxValue.
        _chunkedBodyLimit = _options.MaxRequestBodySize > (long.MaxValue - ChunkFramingAllowance) / (MaxFramingPerPayloadByte + 1)
            ? long.MaxValue
            : (_options.MaxRequestBodySize * (MaxFramingPerPayloadByte + 1)) + ChunkFramingAllowance;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var started = _time.GetTimestamp();
        try
        {
            await PublishAsync(context).ConfigureAwait(false);
        }
        finally
        {
            // Every answer counted by its status; a 200 is sent once the update is stored, so its time is the publish latency.
            // A publisher that left before any answer got none: its default 200 is not a store.
            if (context.Response.HasStarted || !context.RequestAborted.IsCancellationRequested)
            {
                _metrics.Publish(context.Response.StatusCode, _time.GetElapsedTime(started));
            }
        }
    }

    private async Task PublishAsync(HttpContext context)
    {
        var request = context.Request;
        _cors.Apply(context);

        // Who is asking comes first, as in Mercure: an anonymous caller learns nothing about the body it sent.
        var (claims, authError) = await _authorizer.AuthenticatePublisherAsync(request).ConfigureAwait(false);
        if (claims is null)
        {
            await HttpResponses.WriteErrorAsync(context, authError!).ConfigureAwait(false);
            return;
        }

        if (!IsFormUrlEncoded(request.ContentType))
        {
            await HttpResponses.WriteErrorAsync(context, new HeraldError(
                ErrorKind.UnsupportedFormat,
                "the body must be application/x-www-form-urlencoded")).ConfigureAwait(false);
            return;
        }

        // A form is UTF-8 whatever its charset parameter says, as browsers send it (WHATWG URL) and Mercure reads it;
        // honouring the label also let charset=utf-7 throw out of ASP.NET Core's form reader (a 500).
        request.ContentType = FormContentType;

        if (request.ContentLength > _options.MaxRequestBodySize)
        {
            await WriteTooLargeAsync(context).ConfigureAwait(false);
            return;
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            // Kestrel counts chunk framing (size lines, CRLFs, extensions) against its limit, so for a chunked body it
            // only bounds the framing; the payload is counted exactly below.
            sizeFeature.MaxRequestBodySize = request.ContentLength is null ? _chunkedBodyLimit : _options.MaxRequestBodySize;
        }

        PayloadLimitStream? payload = null;
        if (request.ContentLength is null)
        {
            request.Body = payload = new PayloadLimitStream(request.Body, _options.MaxRequestBodySize);
        }

        IFormCollection form;
        try
        {
            form = await request.ReadFormAsync(_formOptions, context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            if (payload is { OverLimit: false })
            {
                // Kestrel's count tripped while the payload was still under the limit: the framing is what is too large.
                await HttpResponses.WriteErrorAsync(context, new HeraldError(
                    ErrorKind.TooLarge,
                    $"the chunked body carries more framing than any chunking of a {_options.MaxRequestBodySize}-byte body needs: send larger chunks, without chunk extensions")).ConfigureAwait(false);
                return;
            }

            await WriteTooLargeAsync(context).ConfigureAwait(false);
            return;
        }
        catch (InvalidDataException e) when (e.InnerException is InvalidOperationException)
        {
            // ASP.NET Core's URL decoder refuses an escaped NUL (it guards paths), and says only "invalid characters".
            await HttpResponses.WriteErrorAsync(context, HeraldError.Invalid("malformed form: a key or value contains %00 (NUL), which the form reader refuses")).ConfigureAwait(false);
            return;
        }
        catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
        {
            // Over the form reader's counts or lengths (fields, a key, a value): a limit, so 413 as the draft says.
            await HttpResponses.WriteErrorAsync(context, new HeraldError(ErrorKind.TooLarge, "the form is over the hub's limits: " + e.Message)).ConfigureAwait(false);
            return;
        }
        catch (InvalidDataException e)
        {
            await HttpResponses.WriteErrorAsync(context, HeraldError.Invalid("malformed form: " + e.Message)).ConfigureAwait(false);
            return;
        }

        // Mercure 1.0 allows exactly one topic per update; 0.x publishers send alternates. Per request: a 1.0 token, or
        // a hub that speaks only 1.0, takes one.
        if (form["topic"].Count > 1 && (claims.Dialect == TokenDialect.V1 || _options.ServedProtocol == HeraldProtocol.V1))
        {
            var why = claims.Dialect == TokenDialect.V1 ? "this is a 1.0 access token" : "this hub speaks 1.0 only, Protocol=V1";
            await HttpResponses.WriteErrorAsync(context, HeraldError.Invalid($"{form["topic"].Count} \"topic\" fields: Mercure 1.0 takes exactly one per update ({why})")).ConfigureAwait(false);
            return;
        }

        var (update, parseError) = ParseUpdate(form);
        if (update is null)
        {
            await HttpResponses.WriteErrorAsync(context, parseError!).ConfigureAwait(false);
            return;
        }

        var (id, publishError) = await _publisher.TryPublishAsync(update, claims, context.RequestAborted).ConfigureAwait(false);
        if (publishError is not null)
        {
            await HttpResponses.WriteErrorAsync(context, publishError).ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await context.Response.WriteAsync(id!, context.RequestAborted).ConfigureAwait(false);
    }

    private static (Update? Update, HeraldError? Error) ParseUpdate(IFormCollection form)
    {
        long? retry = null;
        if (First(form, "retry") is { Length: > 0 } retryText)
        {
            if (!UpdateValidator.TryParseRetry(retryText, out var parsed))
            {
                return (null, HeraldError.Invalid("\"retry\" must be digits only (milliseconds)"));
            }

            retry = parsed;
        }

        var topics = form["topic"];
        var update = new Update
        {
            Topics = topics.Select(static t => t ?? "").ToArray(),
            Data = First(form, "data") ?? "",
            Id = First(form, "id") is { Length: > 0 } id ? id : null,
            Type = First(form, "type") is { Length: > 0 } type ? type : null,
            Retry = retry,

            // As in Mercure: the field's presence makes the update private, whatever its value.
            Private = form.ContainsKey("private"),

            // Herald's own field, ignored by plain Mercure hubs; "false", "0", "off" and "no" say no, as a form would.
            Retain = First(form, "retain") is { } retain && !IsNo(retain),
        };
        return (update, null);
    }

    private static bool IsNo(string value) =>
        value.Equals("false", StringComparison.OrdinalIgnoreCase) || value == "0"
        || value.Equals("off", StringComparison.OrdinalIgnoreCase) || value.Equals("no", StringComparison.OrdinalIgnoreCase);

    private static string? First(IFormCollection form, string key) =>
        form.TryGetValue(key, out StringValues values) && values.Count > 0 ? values[0] : null;

    private static bool IsFormUrlEncoded(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && parsed.MediaType.Equals(FormContentType, StringComparison.OrdinalIgnoreCase);

    /// <summary>Fails a read once more than <c>limit</c> payload bytes arrive, whatever the chunk framing costs.</summary>
    private sealed class PayloadLimitStream(Stream inner, long limit) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        /// <summary>True once more than the limit arrived (the read that saw it threw).</summary>
        public bool OverLimit => _read > limit;

        private int Count(int read)
        {
            _read += read;
            return _read > limit
                ? throw new BadHttpRequestException("request body too large", StatusCodes.Status413PayloadTooLarge)
                : read;
        }
    }

    private Task WriteTooLargeAsync(HttpContext context) =>
        HttpResponses.WriteErrorAsync(context, new HeraldError(
            ErrorKind.TooLarge,
            $"the body is larger than the hub's limit of {_options.MaxRequestBodySize} bytes"));
}
