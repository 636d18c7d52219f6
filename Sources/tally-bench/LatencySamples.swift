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
                        let start = ContinuousClock.now
                        let first = try await gateway.stream(GatewayRequest(endpoint: .chatCompletions, json: body)) { stream in
                            var first: Duration?
                            for try await _ in stream.chunks where first == nil {
                                first = ContinuousClock.now - start
                            }
                            return first
                        }
                        samples.append(first ?? .zero)
                    }
                    return samples
                }
            }
            return LatencySamples(try await group.reduce(into: []) { $0 += $1 })
        }
    }
}
