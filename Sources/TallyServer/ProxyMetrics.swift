import Foundation
import Prometheus
import TallyLedger
import TallyPricing

/// The proxy's Prometheus metrics: requests, tokens and cost by provider and model, upstream
/// latency and time to first token, streams in flight. Never a key, a prompt or a user.
final class ProxyMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let inFlight: Gauge
    private let latencyBuckets: [Duration] = [.milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                              .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120)]

    init() {
        inFlight = registry.makeGauge(descriptor: Self.name("streams", "in_flight", "Streams being relayed now."))
    }

    func streamStarted() { inFlight.increment(by: 1) }
    func streamEnded() { inFlight.decrement(by: 1) }

    /// Counts a ledger row.
    func record(_ entry: LedgerEntry) {
        let labels = [("provider", entry.provider), ("model", entry.modelRequested)]
        registry.makeCounter(descriptor: Self.name("requests", "total", "Requests metered, by outcome."), labels: labels + [("outcome", entry.outcome.rawValue)])
            .increment()
        let classes: [(String, Int64)] = [
            ("input", entry.usage.input), ("cached_input", entry.usage.cachedInput), ("cache_write", entry.usage.cacheWrite + entry.usage.cacheWrite1h),
            ("output", entry.usage.output), ("reasoning", entry.usage.reasoning),
        ]
        for (name, tokens) in classes where tokens > 0 {
            registry.makeCounter(descriptor: Self.name("tokens", "total", "Tokens metered, by class."), labels: labels + [("class", name)])
                .increment(by: tokens)
        }
        if let cost = entry.cost, cost.nanoUSD > 0 {
            registry.makeCounter(descriptor: Self.name("cost_nano_usd", "total", "What the requests cost, in nano-USD (1e-9 USD)."), labels: labels)
                .increment(by: cost.nanoUSD)
        }
        if let list = entry.listCost, list.nanoUSD > 0 {
            registry.makeCounter(descriptor: Self.name("list_cost_nano_usd", "total", "The same requests at official prices, in nano-USD."), labels: labels)
                .increment(by: list.nanoUSD)
        }
        if let latency = entry.latencyMs {
            registry.makeDurationHistogram(descriptor: Self.name("upstream_latency", "seconds", "From sending upstream to the last byte."), labels: [("provider", entry.provider)], buckets: latencyBuckets)
                .record(.milliseconds(latency))
        }
        if let first = entry.firstTokenMs {
            registry.makeDurationHistogram(descriptor: Self.name("time_to_first_token", "seconds", "From sending upstream to the first token."), labels: [("provider", entry.provider)], buckets: latencyBuckets)
                .record(.milliseconds(first))
        }
    }

    /// `tally_NAME_UNIT` with its help text.
    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "tally", metricName: metric, unitName: unit, helpText: help)
    }

    /// The exposition text.
    func render() -> [UInt8] { registry.emitToBuffer() }
}
