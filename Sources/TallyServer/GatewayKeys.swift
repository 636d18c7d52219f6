import Foundation

/// Gateway keys, compared in constant time so the time an answer takes says nothing about a key.
struct GatewayKeys: Sendable {
    private let entries: [(key: [UInt8], project: String)]

    init(_ keys: [ServerConfiguration.GatewayKey]) {
        entries = keys.map { (Array($0.key.utf8), $0.project) }
    }

    var isEmpty: Bool { entries.isEmpty }

    /// The project of the matching key, or nil. Every key is compared whatever matches.
    func project(for presented: String) -> String? {
        let bytes = Array(presented.utf8)
        var found: String?
        for entry in entries where Self.equalInConstantTime(bytes, entry.key) {
            found = entry.project
        }
        return found
    }

    /// Compares every byte of the longer input, so the time does not depend on where they differ.
    static func equalInConstantTime(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        let length = max(a.count, b.count)
        for index in 0..<length {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= x ^ y
        }
        return difference == 0 && a.count == b.count
    }

    /// The key a client presented: `Authorization: Bearer KEY` or `x-api-key: KEY`.
    static func presentedKey(authorization: String?, apiKey: String?) -> String? {
        if let apiKey, !apiKey.isEmpty { return apiKey }
        guard let authorization else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let key = parts[1].trimmingCharacters(in: .whitespaces)
        return key.isEmpty ? nil : key
    }
}
