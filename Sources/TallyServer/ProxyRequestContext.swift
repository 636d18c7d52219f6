public import Hummingbird
public import NIOCore

/// The request context of the proxy's routes: Hummingbird's own, and the client's connection,
/// so a request can notice that its client has left.
public struct ProxyRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came on.
    let channel: any Channel

    /// Creates the context of a request that came on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }
}
