using Herald.Fanout;
using Microsoft.AspNetCore.Http;

namespace Herald.Http;

internal sealed partial class SubscribeEndpoint
{
    /// <summary>
    /// A stream past its replay: what its end releases (its place in the index, its admission holds, its lifetime
    /// timer, its announced subscriptions), run by the writer loop when it ends however it ends. It keeps the holds
    /// themselves rather than the admission's objects, which every idle stream would otherwise keep too.
    /// </summary>
    private sealed class LiveStream(
        SubscribeEndpoint endpoint,
        HttpContext context,
        Subscriber subscriber,
        AdmissionHolds holds,
        ITimer? lifetime,
        IReadOnlyList<Subscriptions.ActiveSubscription>? announced) : IStreamEnd
    {
        private readonly IDisposable _connection = holds.Connection;
        private readonly IDisposable? _templates = holds.Templates;
        private readonly IDisposable? _subject = holds.Subject;

        public Subscriber Subscriber => subscriber;

        public Task RunAsync() => subscriber.RunAsync(DirectStream.Output(context, subscriber.Encoding), context.RequestAborted, this);

        public void Ended(Subscriber ended)
        {
            // The stream is over: the disconnect below only closes the subscriber, it must not abort the connection.
            ended.OnAbort(null, null);
            endpoint._index.Remove(ended);
            endpoint._metrics.StreamClosed();
            endpoint._subscriptions.Close(announced);
            ended.Disconnect("connection ended");
            if (ended.CloseReason is { } reason)
            {
                LogStreamEnded(endpoint._logger, reason);
            }

            lifetime?.Dispose();
            _connection.Dispose();
            _templates?.Dispose();
            _subject?.Dispose();
        }
    }
}
