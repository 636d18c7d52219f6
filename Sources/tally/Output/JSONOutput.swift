import Foundation

/// Encodes a command's JSON output: pretty-printed, keys sorted, so the shape is stable.
enum JSONOutput {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}

/// Writes to standard output.
func write(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}
