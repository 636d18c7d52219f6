import Foundation

/// Writes RFC 4180 CSV: a header row, then one row per record, CRLF-free (LF line ends).
struct CSVWriter {
    private(set) var text = ""

    init(header: [String]) { append(header) }

    mutating func append(_ fields: [String]) {
        text += fields.map(Self.escape).joined(separator: ",") + "\n"
    }

    static func escape(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
