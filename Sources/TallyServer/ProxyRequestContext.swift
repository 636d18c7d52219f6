public import Hummingbird
public import NIOCore
import TallyGateway
import TallyLedger

/// The request context of the proxy's routes: Hummingbird's own, the client's connection (so a
/// request can notice that its client has left), and what the proxy's middleware learnt about
/// the request: its id, wire format, caller, attribution and body.
public struct ProxyRequestContext: RequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came on.
    let channel: any Channel
    /// The wire format of the route, for its errors (set by ``AttributionMiddleware``).
    var dialect: Upstream.Dialect = .openAI
    /// The client's `X-Request-ID`, or a new id (set by ``AttributionMiddleware``).
    var requestID: String?
    /// The attribution headers' project, user and tags (set by ``AttributionMiddleware``).
    var headerAttribution = Attribution.none
    /// The project of the gateway key the client presented (set by ``GatewayKeyMiddleware``).
    var keyProject: String?
    /// The client's own provider key, forwarded upstream when allowed (set by ``GatewayKeyMiddleware``).
    var clientKey: String?
    /// The body, read and parsed (set by ``RequestBodyMiddleware``).
    var body: ProxyRequestBody?

    /// Creates the context of a request that came on `source.channel`.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Who the request is charged to: the gateway key's project first, then the headers, then
    /// the body's own user fields.
    var attribution: Attribution {
        Attribution(
            project: keyProject ?? headerAttribution.project,
            user: headerAttribution.user ?? body?.user,
            tags: headerAttribution.tags
        )
    }
}
