import Foundation
import TallyLedger
import TallyPricing
import TallyUsage

/// How ledger rows are written out: field names, CSV and JSON text.
enum LedgerText {
    /// One exported value: text, a number, or nothing.
    enum Value {
        case text(String)
        case number(String)
        case bool(Bool)
        case list([String])
        case null

        var text: String {
            switch self {
            case .text(let text), .number(let text): text
            case .bool(let flag): flag ? "true" : "false"
            case .list(let items): items.joined(separator: ";")
            case .null: ""
            }
        }

        var json: String {
            switch self {
            case .text(let text): LedgerText.json(text)
            case .number(let text): text
            case .bool(let flag): flag ? "true" : "false"
            case .list(let items): "[" + items.map(LedgerText.json).joined(separator: ",") + "]"
            case .null: "null"
            }
        }
    }

    static let csvHeader = fields(seq: 0, entry: LedgerEntry(
        timestamp: Date(timeIntervalSince1970: 0), provider: "", modelRequested: "", endpoint: "", usage: Usage(), pricing: nil
    )).map(\.name)

    /// A row's fields in export order. Money is exact decimal USD text, never a binary float.
    static func fields(seq: Int64, entry: LedgerEntry) -> [(name: String, value: Value)] {
        func text(_ value: String?) -> Value { value.map(Value.text) ?? .null }
        func number<T: BinaryInteger>(_ value: T?) -> Value { value.map { .number("\($0)") } ?? .null }
        func money(_ value: Money?) -> Value { value.map { .text($0.decimalString) } ?? .null }
        return [
            ("seq", number(seq)),
            ("id", .text(entry.id)),
            ("kind", .text(entry.kind.rawValue)),
            ("timestamp", .text(timestamp(milliseconds: entry.timestampMs))),
            ("provider", .text(entry.provider)),
            ("model_requested", .text(entry.modelRequested)),
            ("model_returned", text(entry.modelReturned)),
            ("endpoint", .text(entry.endpoint)),
            ("streamed", .bool(entry.streamed)),
            ("outcome", .text(entry.outcome.rawValue)),
            ("http_status", number(entry.httpStatus)),
            ("attempts", number(entry.attempts)),
            ("input_tokens", number(entry.usage.input)),
            ("cached_input_tokens", number(entry.usage.cachedInput)),
            ("cache_write_tokens", number(entry.usage.cacheWrite)),
            ("cache_write_1h_tokens", number(entry.usage.cacheWrite1h)),
            ("output_tokens", number(entry.usage.output)),
            ("reasoning_tokens", number(entry.usage.reasoning)),
            ("usage_source", .text(entry.usageSource.rawValue)),
            ("usage_flags", number(entry.usage.flags.rawValue)),
            ("cost_usd", money(entry.cost)),
            ("list_cost_usd", money(entry.listCost)),
            ("price_table", text(entry.priceEntry?.table)),
            ("price_provider", text(entry.priceEntry?.provider)),
            ("price_model", text(entry.priceEntry?.model)),
            ("price_from", text(entry.priceEntry?.from)),
            ("price_tier", number(entry.priceEntry?.tierAbove)),
            ("list_price_table", text(entry.listPriceEntry?.table)),
            ("list_price_provider", text(entry.listPriceEntry?.provider)),
            ("list_price_model", text(entry.listPriceEntry?.model)),
            ("list_price_from", text(entry.listPriceEntry?.from)),
            ("list_price_tier", number(entry.listPriceEntry?.tierAbove)),
            ("latency_ms", number(entry.latencyMs)),
            ("first_token_ms", number(entry.firstTokenMs)),
            ("project", text(entry.attribution.project)),
            ("user", text(entry.attribution.user)),
            ("tags", .list(entry.attribution.tags)),
            ("adjusts", number(entry.adjusts)),
        ]
    }

    /// "2025-01-31T23:30:00.000Z".
    static func timestamp(_ date: Date) -> String {
        timestamp(milliseconds: Int64((date.timeIntervalSince1970 * 1000).rounded(.down)))
    }

    /// "2025-01-31T23:30:00.000Z", from UTC milliseconds since 1970.
    static func timestamp(milliseconds: Int64) -> String {
        var seconds = milliseconds / 1000
        var millis = milliseconds % 1000
        if millis < 0 {
            seconds -= 1
            millis += 1000
        }
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
            Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(millis)
        )
    }

    /// A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180).
    static func csv(_ text: String) -> String { CSVWriter.escape(text) }

    /// A JSON string literal.
    static func json(_ text: String) -> String { PriceTableWriter.quote(text) }
}
