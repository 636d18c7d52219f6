package import HTTPTypes

/// When and how long to wait before sending a failed request again.
///
/// A request is retried only while nothing of its response has been passed to the caller, and
/// only for failures that are likely transient:
/// - HTTP 408, 409, 429, 500, 502, 503, 504 and 529 (Anthropic's "overloaded");
/// - a connection that could not be made (refused, or the connect timeout), or that was closed
///   or reset before any response byte arrived.
///
/// An `x-should-retry: true|false` header on the response overrides the status rule, as in the
/// official OpenAI and Anthropic SDKs, except that 400, 401, 403 and 404 are never retried.
///
/// Never retried: any other status (400, 401, 403, 404, 422, 501, …), a DNS failure (usually a
/// wrong host name, not a passing fault), a TLS failure, an idle timeout (the upstream may be
/// working on, and billing, the request), and a failure after response bytes arrived.
///
/// The wait before retry *n* (counting from 0) is chosen uniformly at random in
/// `0 … min(maximumBackoff, initialBackoff × 2ⁿ)` ("full jitter"). A `Retry-After` (or
/// `retry-after-ms`) sent with the failure replaces that wait when it is at most
/// `maximumRetryAfter`; a longer one ends the retries at once.
public struct RetryPolicy: Sendable, Hashable {
    /// Attempts in all, the first included; 1 disables retries. Default: 4.
    public var maximumAttempts: Int
    /// The backoff ceiling before the first retry; it doubles for each retry. Default: 0.5 s.
    public var initialBackoff: Duration
    /// The largest backoff ceiling. Default: 8 s.
    public var maximumBackoff: Duration
    /// The longest `Retry-After` the policy waits for; a longer one fails at once. Default: 60 s.
    public var maximumRetryAfter: Duration

    /// A policy with the defaults described on each property.
    public init(
        maximumAttempts: Int = 4,
        initialBackoff: Duration = .milliseconds(500),
        maximumBackoff: Duration = .seconds(8),
        maximumRetryAfter: Duration = .seconds(60)
    ) {
        self.maximumAttempts = maximumAttempts
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.maximumRetryAfter = maximumRetryAfter
    }

    /// The defaults: 4 attempts, 0.5 s doubling to 8 s, `Retry-After` up to 60 s.
    public static let standard = RetryPolicy()

    /// One attempt, no retry.
    public static let never = RetryPolicy(maximumAttempts: 1)

    /// HTTP statuses worth another attempt.
    package static let retryableStatuses: Set<Int> = [408, 409, 429, 500, 502, 503, 504, 529]

    /// Whether a response with `status` is worth another attempt.
    package func isRetryable(status: Int) -> Bool {
        Self.retryableStatuses.contains(status)
    }

    /// Statuses never retried, whatever the upstream says: the request itself is wrong.
    package static let neverRetriedStatuses: Set<Int> = [400, 401, 403, 404]

    /// Whether a response is worth another attempt: the upstream's own `x-should-retry: true`
    /// or `false` (sent by OpenAI and Anthropic, honoured by their SDKs) decides when present,
    /// except that 400, 401, 403 and 404 are never retried; else the status.
    package func isRetryable(status: Int, headers: HTTPFields) -> Bool {
        if Self.neverRetriedStatuses.contains(status) { return false }
        switch headers[.xShouldRetry]?.trimmingSpaces().lowercased() {
        case "true": return true
        case "false": return false
        default: return isRetryable(status: status)
        }
    }

    /// Whether a transport failure is worth another attempt.
    package func isRetryable(_ error: TransportError) -> Bool {
        switch error.code {
        case .couldNotConnect, .connectTimeout:
            return true
        case .connectionReset:
            return !error.receivedResponseBytes
        default:
            return false
        }
    }

    /// The wait before the next attempt after `attempts` attempts have failed, or `nil` to stop:
    /// the budget is spent or the upstream asked for a longer wait than `maximumRetryAfter`.
    package func delay(
        afterAttempts attempts: Int,
        retryAfter: Duration?,
        using generator: inout some RandomNumberGenerator
    ) -> Duration? {
        guard attempts < maximumAttempts else { return nil }
        if let retryAfter {
            return retryAfter <= maximumRetryAfter ? max(retryAfter, .zero) : nil
        }
        return backoff(retry: attempts - 1, using: &generator)
    }

    /// Full jitter: uniform in `0 … min(maximumBackoff, initialBackoff × 2^retry)`.
    package func backoff(retry: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let ceiling = backoffCeiling(retry: retry)
        let nanoseconds = ceiling.nanoseconds
        guard nanoseconds > 0 else { return .zero }
        return .nanoseconds(Int64.random(in: 0...nanoseconds, using: &generator))
    }

    /// `min(maximumBackoff, initialBackoff × 2^retry)`, without overflow.
    package func backoffCeiling(retry: Int) -> Duration {
        var ceiling = initialBackoff
        for _ in 0..<max(retry, 0) {
            ceiling *= 2
            if ceiling >= maximumBackoff { return maximumBackoff }
        }
        return min(ceiling, maximumBackoff)
    }
}

extension Duration {
    /// Whole nanoseconds, saturating at `Int64.max`.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled + attoseconds / 1_000_000_000
    }
}
