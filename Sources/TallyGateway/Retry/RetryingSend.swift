import Foundation

/// A request that failed for good, and how many attempts were made.
package struct RetryFailure: Error, Sendable, CustomStringConvertible {
    /// Why the last attempt failed.
    package enum Cause: Sendable {
        case transport(TransportError)
        case upstream(UpstreamError)
    }

    package var cause: Cause
    /// Attempts made, the failed last one included (0 when cancelled before the first).
    package var attempts: Int

    package var description: String {
        switch cause {
        case .transport(let error): "\(error) after \(attempts) attempt(s)"
        case .upstream(let error): "\(error) after \(attempts) attempt(s)"
        }
    }
}

extension Transport {
    /// A successful response and the attempts it took.
    package struct RetriedResponse: Sendable {
        /// The response: status below 400. Its body is not read yet.
        package var response: Response
        /// Attempts made, the successful one included.
        package var attempts: Int
    }

    /// Sends `request`, retrying as `policy` says until a response with status below 400
    /// arrives, which is returned with its body unread. Error responses have their body read
    /// (at most `UpstreamError.bodyLimit` bytes) for the upstream's message.
    ///
    /// - Parameters:
    ///   - firstAttempt: the first attempt, already started (with `start(_:holdingBody:)`).
    ///   - clock: sleeps between attempts; tests pass one that does not really wait.
    ///   - generator: chooses the jittered backoff.
    /// - Throws: `RetryFailure` with the last attempt's error and the attempts made.
    package func send<C: Clock<Duration>>(
        _ request: Request,
        retrying policy: RetryPolicy,
        firstAttempt: StartedRequest? = nil,
        clock: C = ContinuousClock(),
        generator: inout some RandomNumberGenerator
    ) async throws(RetryFailure) -> RetriedResponse {
        var attempts = 0
        while true {
            attempts += 1
            let waitBeforeNext: Duration?
            let failure: RetryFailure.Cause
            do {
                let started = attempts == 1 ? firstAttempt ?? start(request, holdingBody: false) : start(request, holdingBody: false)
                let response = try await started.response()
                if response.status < 400 {
                    return RetriedResponse(response: response, attempts: attempts)
                }
                let error = await upstreamError(from: response, url: request.url)
                failure = .upstream(error)
                waitBeforeNext = policy.isRetryable(status: response.status, headers: response.headers)
                    ? policy.delay(afterAttempts: attempts, retryAfter: error.retryAfter, using: &generator)
                    : nil
            } catch let error as TransportError {
                failure = .transport(error)
                waitBeforeNext = policy.isRetryable(error)
                    ? policy.delay(afterAttempts: attempts, retryAfter: nil, using: &generator)
                    : nil
            } catch {
                failure = .transport(.cancelled(url: request.url))
                waitBeforeNext = nil
            }
            guard let waitBeforeNext else {
                throw RetryFailure(cause: failure, attempts: attempts)
            }
            do {
                try await clock.sleep(for: waitBeforeNext)
            } catch {
                throw RetryFailure(cause: .transport(.cancelled(url: request.url)), attempts: attempts)
            }
        }
    }

    /// `send(_:retrying:firstAttempt:clock:generator:)` with the system's random generator.
    package func send<C: Clock<Duration>>(
        _ request: Request,
        retrying policy: RetryPolicy,
        firstAttempt: StartedRequest? = nil,
        clock: C = ContinuousClock()
    ) async throws(RetryFailure) -> RetriedResponse {
        var generator = SystemRandomNumberGenerator()
        return try await send(request, retrying: policy, firstAttempt: firstAttempt, clock: clock, generator: &generator)
    }

    private func upstreamError(from response: Response, url: String) async -> UpstreamError {
        var body: [UInt8] = []
        do {
            for try await chunk in response.body {
                body.append(contentsOf: chunk.prefix(UpstreamError.bodyLimit - body.count))
                if body.count >= UpstreamError.bodyLimit { break }
            }
        } catch {
            // A body cut short still tells the status; keep what arrived.
        }
        response.body.handle.cancel()  // stop a longer body here (a no-op once it ended)
        return UpstreamError(
            status: response.status, url: url, headers: response.headers, body: body,
            retryAfter: RetryAfter.delay(in: response.headers, now: Date()))
    }
}
