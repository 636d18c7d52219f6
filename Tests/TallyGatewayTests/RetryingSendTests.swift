import TallyDemo
import Testing
import TallyTestSupport
@testable import TallyGateway

@Suite(.timeLimit(.minutes(1)))
struct RetryingSendTests {
    let policy = RetryPolicy(maximumAttempts: 3, initialBackoff: .milliseconds(100), maximumBackoff: .seconds(1))

    func failure(_ body: () async throws -> Void) async -> RetryFailure? {
        do {
            try await body()
            return nil
        } catch {
            return error as? RetryFailure
        }
    }

    @Test func a429WithRetryAfterIsRetriedAfterExactlyThatWaitThenSucceeds() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/v1/chat/completions", with: .rateLimited(retryAfter: "2"), .openAIChatCompletion())
        let transport = try Transport()
        let clock = RecordingClock()

        let result = try await transport.send(
            .init(method: "POST", url: upstream.baseURL + "/v1/chat/completions", body: Array("{}".utf8)),
            retrying: policy, clock: clock)

        #expect(result.attempts == 2)
        #expect(result.response.status == 200)
        #expect(try await result.response.text.contains("chat.completion"))
        #expect(clock.sleeps == [.seconds(2)])
        #expect(upstream.requests.count == 2)
        #expect(upstream.requests.allSatisfy { $0.bodyText == "{}" })
    }

    @Test func a401IsNotRetriedAndCarriesTheUpstreamsMessage() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/v1/messages", with: .error(status: 401, message: "invalid x-api-key", type: "authentication_error"))
        let transport = try Transport()
        let clock = RecordingClock()

        let failure = await failure { _ = try await transport.send(.init(url: upstream.baseURL + "/v1/messages"), retrying: policy, clock: clock) }

        #expect(failure?.attempts == 1)
        guard case .upstream(let error) = failure?.cause else {
            Issue.record("expected an upstream error, got \(String(describing: failure))")
            return
        }
        #expect(error.status == 401)
        #expect(error.message == "invalid x-api-key")
        #expect(error.type == "authentication_error")
        #expect(clock.sleeps.isEmpty)
        #expect(upstream.requests.count == 1)
        #expect(await eventually { transport.statistics.liveTransfers == 0 })
    }

    @Test func a500StormLongerThanTheBudgetEndsWithTheLastErrorAndEveryAttemptCounted() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/v1/chat/completions", with: .error(status: 500, message: "The server had an error"))
        let transport = try Transport()
        let clock = RecordingClock()
        var generator = SeededGenerator(seed: 42)

        let failure = await failure {
            _ = try await transport.send(
                .init(url: upstream.baseURL + "/v1/chat/completions"), retrying: policy, clock: clock, generator: &generator)
        }

        #expect(failure?.attempts == 3)
        guard case .upstream(let error) = failure?.cause else {
            Issue.record("expected an upstream error, got \(String(describing: failure))")
            return
        }
        #expect(error.status == 500)
        #expect(error.message == "The server had an error")
        #expect(upstream.requests.count == 3)
        #expect(clock.sleeps.count == 2)
        #expect(clock.sleeps[0] <= .milliseconds(100))
        #expect(clock.sleeps[1] <= .milliseconds(200))
    }

    @Test func aRetryAfterLongerThanTheCapEndsTheRetriesAtOnce() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/v1/chat/completions", with: .rateLimited(retryAfter: "3600"))
        let transport = try Transport()

        let failure = await failure {
            _ = try await transport.send(.init(url: upstream.baseURL + "/v1/chat/completions"), retrying: policy, clock: RecordingClock())
        }

        #expect(failure?.attempts == 1)
        guard case .upstream(let error) = failure?.cause else {
            Issue.record("expected an upstream error")
            return
        }
        #expect(error.status == 429)
        #expect(error.retryAfter == .seconds(3600))
    }

    @Test func aResetBeforeTheFirstByteIsRetried() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/v1/chat/completions", with: .resetBeforeResponse, .openAIChatStream())
        let transport = try Transport()

        let result = try await transport.send(
            .init(url: upstream.baseURL + "/v1/chat/completions"), retrying: policy, clock: RecordingClock())

        #expect(result.attempts == 2)
        #expect(try await result.response.text.hasSuffix("data: [DONE]\n\n"))
    }

    @Test func aResetAfterTheFirstByteIsNotRetried() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(
            to: "/v1/chat/completions",
            with: FakeUpstream.Reply.openAIChatStream().resetting(afterBytes: 250), .openAIChatStream())
        let transport = try Transport()

        let result = try await transport.send(
            .init(url: upstream.baseURL + "/v1/chat/completions"), retrying: policy, clock: RecordingClock())
        let error = await transportError { _ = try await result.response.text }

        #expect(result.attempts == 1)
        #expect(error?.code == .connectionReset)
        #expect(error?.receivedResponseBytes == true)
        #expect(upstream.requests.count == 1)
    }

    @Test func anUnreachableUpstreamIsRetriedUntilTheBudgetIsSpent() async throws {
        let closed = try ClosedPort()
        defer { withExtendedLifetime(closed) {} }  // the port stays refused until the test ends
        let url = closed.baseURL + "/v1/chat/completions"
        let transport = try Transport()
        let clock = RecordingClock()

        let failure = await failure { _ = try await transport.send(.init(url: url), retrying: policy, clock: clock) }

        #expect(failure?.attempts == 3)
        guard case .transport(let error) = failure?.cause else {
            Issue.record("expected a transport error")
            return
        }
        #expect(error.code == TransportError.Code.couldNotConnect)
        #expect(clock.sleeps.count == 2)
    }

    @Test func aDNSFailureIsNotRetried() async throws {
        let transport = try Transport()

        let failure = await failure {
            _ = try await transport.send(.init(url: "http://\(unresolvableHost)/v1"), retrying: policy, clock: RecordingClock())
        }

        #expect(failure?.attempts == 1)
        guard case .transport(let error) = failure?.cause else {
            Issue.record("expected a transport error")
            return
        }
        #expect(error.code == TransportError.Code.couldNotResolve)
    }

    @Test func aRealShortRetryThroughLibcurlWaitsAndSucceeds() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/v1/messages", with: .error(status: 529, message: "Overloaded", type: "overloaded_error"), .anthropicMessage())
        let transport = try Transport()
        let started = ContinuousClock.now

        let result = try await transport.send(
            .init(method: "POST", url: upstream.baseURL + "/v1/messages", body: Array("{}".utf8)),
            retrying: RetryPolicy(maximumAttempts: 2, initialBackoff: .milliseconds(20), maximumBackoff: .milliseconds(20)))

        #expect(result.attempts == 2)
        #expect(try await result.response.text.contains(#""output_tokens":3"#))
        // A generous bound: the point is that it waited the 20 ms backoff, not a default of seconds,
        // on a machine that may be busy.
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(upstream.requests.count == 2)
    }

    @Test func cancellingDuringTheBackoffEndsWithCancelled() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/v1/x", with: .rateLimited(retryAfter: "30"))
        let transport = try Transport()

        let task = Task {
            try await transport.send(.init(url: upstream.baseURL + "/v1/x"), retrying: policy)
        }
        #expect(await eventually { upstream.requests.count == 1 })
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        let failure = await failure { _ = try await task.value }

        guard let failure, case .transport(let error) = failure.cause else {
            Issue.record("expected a cancelled transport error")
            return
        }
        #expect(error.code == TransportError.Code.cancelled)
        #expect(failure.attempts == 1)
    }
}
