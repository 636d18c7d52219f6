import Foundation
import Prometheus
import Synchronization
import TallyLedger
import TallyPricing
import TallyUsage

/// The proxy's Prometheus metrics: requests, tokens and cost by provider and model, upstream
/// latency and time to first token, streams in flight. Never a key, a prompt or a user.
///
/// Counters only ever go up and never wrap: a row adds only its positive amounts, and a total
/// that would pass `Int64.max` stops there (an absurd usage cannot send a counter back to zero).
final class ProxyMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let inFlight: Gauge
    /// Each counter's total so far, by metric and labels, for saturating additions.
    private let totals = Mutex<[String: Int64]>([:])
    private let latencyBuckets: [Duration] = [.milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                              .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(120)]

    init() {
        inFlight = registry.makeGauge(descriptor: Self.name("streams", "in_flight", "Streams being relayed now."))
    }

    /// A spool's backlog (`tally serve` with a shared ledger): rows not shipped yet, and the
    /// age of the oldest in seconds (0 when none).
    func recordSpool(unshippedRows: Int64, oldestSeconds: Int64) {
        registry.makeGauge(descriptor: Self.name("spool_unshipped", "rows", "Rows of the spool the shared ledger does not hold yet."))
            .set(to: Double(unshippedRows))
        registry.makeGauge(descriptor: Self.name("spool_oldest_unshipped_age", "seconds", "Age of the oldest row not shipped yet (0: none)."))
            .set(to: Double(oldestSeconds))
    }

    func streamStarted() { inFlight.increment(by: 1) }
    func streamEnded() { inFlight.decrement(by: 1) }

    /// Counts a ledger row.
    func record(_ entry: LedgerEntry) {
        let labels = [("provider", entry.provider), ("model", entry.modelRequested)]
        add(1, to: Self.name("requests", "total", "Requests metered, by outcome."), labels: labels + [("outcome", entry.outcome.rawValue)])
        let classes: [(String, [Int64])] = [
            ("input", [entry.usage.input]), ("cached_input", [entry.usage.cachedInput]),
            ("cache_write", [entry.usage.cacheWrite, entry.usage.cacheWrite1h]),
            ("output", [entry.usage.output]), ("reasoning", [entry.usage.reasoning]),
        ]
        for (name, amounts) in classes {
            for tokens in amounts {
                add(tokens, to: Self.name("tokens", "total", "Tokens metered, by class."), labels: labels + [("class", name)])
            }
        }
        if let cost = entry.cost {
            add(cost.nanoUSD, to: Self.name("cost_nano_usd", "total", "What the requests cost, in nano-USD (1e-9 USD)."), labels: labels)
        }
        if let list = entry.listCost {
            add(list.nanoUSD, to: Self.name("list_cost_nano_usd", "total", "The same requests at official prices, in nano-USD."), labels: labels)
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

    /// Adds `amount` to a counter when it is positive, saturating at `Int64.max`.
    private func add(_ amount: Int64, to descriptor: MetricNameDescriptor, labels: [(String, String)]) {
        guard amount > 0 else { return }
        let key = ([descriptor.metricName, descriptor.unitName ?? ""] + labels.flatMap { [$0.0, $0.1] }).joined(separator: "\u{1F}")
        let step = totals.withLock { totals -> Int64 in
            let current = totals[key, default: 0]
            let step = min(amount, Int64.max - current)
            totals[key] = current + step
            return step
        }
        guard step > 0 else { return }
        registry.makeCounter(descriptor: descriptor, labels: labels).increment(by: step)
    }

    /// `tally_NAME_UNIT` with its help text.
    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "tally", metricName: metric, unitName: unit, helpText: help)
    }

    /// The exposition text.
    func render() -> [UInt8] { registry.emitToBuffer() }
}
