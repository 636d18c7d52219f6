/// A failure to exchange a request and its response with an upstream over the network.
///
/// Switch on ``code``: new codes may be added without breaking callers. The ``message`` names
/// the URL; ``underlying`` keeps libcurl's own text for a log line.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a value callers can compare against the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String, Hashable, Sendable {
            case couldNotResolve = "could not resolve host"
            case couldNotConnect = "could not connect"
            case tls = "TLS failure"
            case connectTimeout = "connect timeout"
            case idleTimeout = "idle timeout"
            case totalTimeout = "total timeout"
            case connectionReset = "connection reset"
            case cancelled = "cancelled"
            case tooManyRedirects = "too many redirects"
            case invalidRequest = "invalid request"
            case invalidResponse = "invalid response"
            case shutdown = "transport shut down"
            case other = "transport failure"
        }

        fileprivate var base: Base

        /// The host name did not resolve (DNS).
        public static let couldNotResolve = Code(base: .couldNotResolve)
        /// The TCP connection was refused or could not be made.
        public static let couldNotConnect = Code(base: .couldNotConnect)
        /// The TLS handshake or certificate check failed.
        public static let tls = Code(base: .tls)
        /// No connection was made within the connect timeout.
        public static let connectTimeout = Code(base: .connectTimeout)
        /// No byte arrived for longer than the idle timeout (a paused transfer is never idle).
        public static let idleTimeout = Code(base: .idleTimeout)
        /// The transfer ran longer than its total timeout (only set when asked for).
        public static let totalTimeout = Code(base: .totalTimeout)
        /// The connection was closed or reset; see ``TransportError/receivedResponseBytes``.
        public static let connectionReset = Code(base: .connectionReset)
        /// The caller cancelled the request.
        public static let cancelled = Code(base: .cancelled)
        /// The upstream redirected more often than allowed.
        public static let tooManyRedirects = Code(base: .tooManyRedirects)
        /// The request could not be sent as given (bad URL, unsupported scheme).
        public static let invalidRequest = Code(base: .invalidRequest)
        /// The upstream's bytes were not valid HTTP.
        public static let invalidResponse = Code(base: .invalidResponse)
        /// The transport was shut down before the transfer finished.
        public static let shutdown = Code(base: .shutdown)
        /// Any other failure; ``TransportError/underlying`` says what.
        public static let other = Code(base: .other)

        /// The code in words, e.g. "could not resolve host".
        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public var code: Code
    /// The URL of the request that failed.
    public var url: String
    /// One sentence for a person: what failed and where.
    public var message: String
    /// libcurl's own description of the failure, when it came from libcurl.
    public var underlying: String?
    /// Whether any byte of the response (status line included) had arrived before the failure.
    public var receivedResponseBytes: Bool

    package init(
        code: Code,
        url: String,
        message: String,
        underlying: String? = nil,
        receivedResponseBytes: Bool = false
    ) {
        self.code = code
        self.url = url
        self.message = message
        self.underlying = underlying
        self.receivedResponseBytes = receivedResponseBytes
    }

    /// The message, followed by libcurl's text in parentheses when there is one.
    public var description: String {
        if let underlying, !underlying.isEmpty {
            return "\(message) (\(underlying))"
        }
        return message
    }

    package static func cancelled(url: String, receivedResponseBytes: Bool = false) -> TransportError {
        TransportError(
            code: .cancelled,
            url: url,
            message: "request to \(url) was cancelled",
            receivedResponseBytes: receivedResponseBytes
        )
    }
}
