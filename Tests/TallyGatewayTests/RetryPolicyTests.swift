import HTTPTypes
import TallyTestSupport
import TallyDemo
import Foundation
import Testing
import TallyTestSupport
@testable import TallyGateway

struct RetryPolicyTests {
    @Test func theBackoffCeilingDoublesFromTheInitialBackoffUpToTheMaximum() {
        let policy = RetryPolicy(initialBackoff: .milliseconds(500), maximumBackoff: .seconds(8))
        #expect((0...6).map { policy.backoffCeiling(retry: $0) } == [
            .milliseconds(500), .seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8), .seconds(8),
        ])
        #expect(policy.backoffCeiling(retry: 10_000) == .seconds(8))
    }

    @Test func theBackoffIsFullJitterBetweenZeroAndTheCeiling() {
        let policy = RetryPolicy(initialBackoff: .milliseconds(100), maximumBackoff: .seconds(1))
        var generator = SeededGenerator(seed: 7)
        for retry in 0..<6 {
            let waits = (0..<200).map { _ in policy.backoff(retry: retry, using: &generator) }
            let ceiling = policy.backoffCeiling(retry: retry)
            #expect(waits.allSatisfy { $0 >= .zero && $0 <= ceiling })
            // Spread over the whole range, not clustered at the ceiling.
            #expect(waits.contains { $0 < ceiling / 4 })
            #expect(waits.contains { $0 > ceiling * 3 / 4 })
        }
    }

    @Test func onlyTransientStatusesAreRetried() {
        let policy = RetryPolicy.standard
        for status in [408, 409, 429, 500, 502, 503, 504, 529] {
            #expect(policy.isRetryable(status: status), "status \(status)")
        }
        for status in [400, 401, 402, 403, 404, 405, 413, 422, 501, 505] {
            #expect(!policy.isRetryable(status: status), "status \(status)")
        }
    }

    @Test func theUpstreamsXShouldRetryHeaderOverridesTheStatusRuleExceptForTheFourNeverRetried() {
        let policy = RetryPolicy.standard
        #expect(!policy.isRetryable(status: 503, headers: .named(["x-should-retry": "false"])))
        #expect(policy.isRetryable(status: 422, headers: .named(["X-Should-Retry": "true"])))
        for status in [400, 401, 403, 404] {
            #expect(!policy.isRetryable(status: status, headers: .named(["x-should-retry": "true"])), "status \(status)")
        }
        #expect(policy.isRetryable(status: 429, headers: [:]))
        #expect(!policy.isRetryable(status: 401, headers: .named(["x-should-retry": "maybe"])))
    }

    @Test func connectionFailuresAreRetriedButNotDNSTLSOrFailuresAfterResponseBytes() {
        let policy = RetryPolicy.standard
        func error(_ code: TransportError.Code, afterBytes: Bool = false) -> TransportError {
            TransportError(code: code, url: "http://x", message: "m", receivedResponseBytes: afterBytes)
        }
        #expect(policy.isRetryable(error(.couldNotConnect)))
        #expect(policy.isRetryable(error(.connectTimeout)))
        #expect(policy.isRetryable(error(.connectionReset)))
        #expect(!policy.isRetryable(error(.connectionReset, afterBytes: true)))
        #expect(!policy.isRetryable(error(.couldNotResolve)))
        #expect(!policy.isRetryable(error(.tls)))
        #expect(!policy.isRetryable(error(.idleTimeout)))
        #expect(!policy.isRetryable(error(.cancelled)))
    }

    @Test func theBudgetCountsEveryAttemptAndRetryAfterIsHonouredUpToItsCap() {
        let policy = RetryPolicy(maximumAttempts: 3, maximumRetryAfter: .seconds(30))
        var generator = SeededGenerator(seed: 1)
        #expect(policy.delay(afterAttempts: 1, retryAfter: .seconds(2), using: &generator) == .seconds(2))
        #expect(policy.delay(afterAttempts: 2, retryAfter: .seconds(30), using: &generator) == .seconds(30))
        #expect(policy.delay(afterAttempts: 1, retryAfter: .seconds(31), using: &generator) == nil)
        #expect(policy.delay(afterAttempts: 3, retryAfter: nil, using: &generator) == nil)
        #expect(RetryPolicy.never.delay(afterAttempts: 1, retryAfter: nil, using: &generator) == nil)
    }

    @Test func retryAfterIsReadAsSecondsOrAnyOfTheThreeHTTPDateForms() throws {
        let now = try #require(RetryAfter.httpDate("Sun, 06 Nov 1994 08:49:37 GMT"))
        func delay(_ name: String, _ value: String) -> Duration? {
            RetryAfter.delay(in: .named([name: value]), now: now)
        }
        #expect(delay("Retry-After", "7") == .seconds(7))
        #expect(delay("retry-after", " 0 ") == .zero)
        #expect(delay("Retry-After", "Sun, 06 Nov 1994 08:50:07 GMT") == .seconds(30))
        #expect(delay("Retry-After", "Sunday, 06-Nov-94 08:49:47 GMT") == .seconds(10))
        #expect(delay("Retry-After", "Sun Nov  6 08:49:42 1994") == .seconds(5))
        #expect(delay("Retry-After", "Sun, 06 Nov 1994 08:00:00 GMT") == .zero)
        #expect(delay("retry-after-ms", "1500") == .milliseconds(1500))
        #expect(delay("Retry-After", "soon") == nil)
        #expect(delay("Retry-After", "-3") == nil)
        #expect(RetryAfter.delay(in: HTTPFields(), now: now) == nil)
    }
}
