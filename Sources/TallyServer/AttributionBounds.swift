import Foundation
import TallyGateway

/// The rule for what a client may put in an attribution header (`X-Tally-Project`,
/// `X-Tally-User`, `X-Tally-Tags`) or in `X-Request-ID`: each value (each tag) at most
/// ``maximumBytes`` bytes of UTF-8 and no control character (C0, DEL or C1, as the ledger
/// refuses), at most ``maximumTags`` tags. A header that breaks it is refused with 400 naming
/// the header; the body's own `user` or `metadata.user_id` that breaks it attributes nothing.
enum AttributionBounds {
    /// The longest value, in UTF-8 bytes.
    static let maximumBytes = 128
    /// The most tags in `X-Tally-Tags`.
    static let maximumTags = 32

    /// A header value the rule refuses: the header's name and why.
    struct Refusal: Error, Sendable {
        var header: String
        var problem: String

        /// The 400 answered for it, in the route's wire format.
        func wireError(_ dialect: Upstream.Dialect) -> WireError {
            WireError.invalidRequest(dialect, "header \(header) \(problem)")
        }
    }

    /// Why `value` breaks the rule, or nil when it keeps it.
    static func problem(with value: String) -> String? {
        if value.utf8.count > maximumBytes { return "is \(value.utf8.count) bytes long, over the limit of \(maximumBytes)" }
        if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) { return "holds a control character" }
        return nil
    }

    /// The value of attribution header `name` (lower case), nil when absent or empty.
    static func header(_ name: String, _ value: String?) -> Result<String?, Refusal> {
        guard let value, !value.isEmpty else { return .success(nil) }
        if let problem = problem(with: value) { return .failure(Refusal(header: displayName(name), problem: problem)) }
        return .success(value)
    }

    /// The request id a client sent in `X-Request-ID`, nil when it sent none.
    static func requestID(_ value: String?) -> Result<String?, Refusal> {
        header("x-request-id", value)
    }

    /// The tags of `X-Tally-Tags`: comma-separated, trimmed, empty ones dropped.
    static func tags(_ value: String?) -> Result<[String], Refusal> {
        guard let value else { return .success([]) }
        let tags = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if tags.count > maximumTags {
            return .failure(Refusal(header: "X-Tally-Tags", problem: "has \(tags.count) tags, over the limit of \(maximumTags)"))
        }
        for tag in tags {
            if let problem = problem(with: tag) {
                return .failure(Refusal(header: "X-Tally-Tags", problem: "has a tag that \(problem)"))
            }
        }
        return .success(tags)
    }

    /// `x-tally-project` as `X-Tally-Project`.
    static func displayName(_ name: String) -> String {
        name.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(separator: "-")
            .replacingOccurrences(of: "-Id", with: "-ID")
    }
}
