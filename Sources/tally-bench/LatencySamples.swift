import TallyGateway

/// Latency samples (time to first byte) and their percentiles in microseconds.
struct LatencySamples {
    var sorted: [Duration]

    init(_ samples: [Duration]) { sorted = samples.sorted() }

    func percentile(_ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let index = min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))
        return (sorted[index] / .nanoseconds(100)).rounded() / 10
    }

    var summary: [String: Any] {
        ["samples": sorted.count, "p50_us": percentile(0.5), "p90_us": percentile(0.9), "p99_us": percentile(0.99)]
    }

    /// Time to first chunk through `Gateway.stream` in process, `requests` in a row on each of
    /// `streams` concurrent tasks.
    static func throughGateway(_ gateway: Gateway, body: String, streams: Int, requests: Int) async throws -> LatencySamples {
        try await withThrowingTaskGroup(of: [Duration].self) { group in
            for _ in 0..<streams {
                group.addTask {
                    var samples: [Duration] = []
                    samples.reserveCapacity(requests)
                    for _ in 0..<requests {
                        samples.append(try await firstChunk(through: gateway, body: body))
                    }
                    return samples
                }
            }
            return LatencySamples(try await group.reduce(into: []) { $0 += $1 })
        }
    }

    /// Time from the call to the first chunk of one `Gateway.stream` call, whose stream is then
    /// read to its end.
    static func firstChunk(through gateway: Gateway, body: String) async throws -> Duration {
        let start = ContinuousClock.now
        let first = try await gateway.stream(GatewayRequest(endpoint: .chatCompletions, json: body)) { stream in
            var first: Duration?
            for try await _ in stream.chunks where first == nil {
                first = ContinuousClock.now - start
            }
            return first
        }
        return first ?? .zero
    }

    /// Time from `execute` to the first body chunk of one transfer, whose body is then read to
    /// its end; `status` is the answer's status.
    static func firstChunk(through transport: Transport, request: Transport.Request) async throws -> (Duration, status: Int) {
        let start = ContinuousClock.now
        let response = try await transport.execute(request)
        var first: Duration?
        for try await _ in response.body where first == nil {
            first = ContinuousClock.now - start
        }
        return (first ?? .zero, response.status)
    }
}
