import Synchronization
import TallyTestSupport
@testable import TallyGateway

/// A clock whose `sleep` returns at once and records how long it was asked to wait.
final class RecordingClock: Clock, Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private let state = Mutex((now: Instant(offset: .zero), sleeps: [Duration]()))

    var now: Instant { state.withLock { $0.now } }
    var minimumResolution: Duration { .nanoseconds(1) }
    var sleeps: [Duration] { state.withLock { $0.sleeps } }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        try Task.checkCancellation()
        state.withLock { state in
            state.sleeps.append(state.now.duration(to: deadline))
            state.now = max(state.now, deadline)
        }
    }
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes; returns its last value.
func eventually(within timeout: Duration = .seconds(30), _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

extension Transport.Response {
    var text: String {
        get async throws { String(decoding: try await collectBody(upTo: 1 << 24), as: UTF8.self) }
    }
}

/// Runs `body` and returns the TransportError it throws, or nil.
func transportError(_ body: () async throws -> Void) async -> TransportError? {
    do {
        try await body()
        return nil
    } catch let error as TransportError {
        return error
    } catch {
        return nil
    }
}

/// A host name that fails to resolve without a DNS packet leaving the machine: the 70-byte
/// label is longer than DNS allows, so the resolver refuses it locally.
let unresolvableHost = String(repeating: "a", count: 70) + ".invalid"
