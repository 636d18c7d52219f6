import Foundation
import TallyTokenizer

/// The corpus under Corpus/ and the token ids tiktoken gave for it (Corpus/expected.json, written
/// by `Scripts/peer/tiktoken-check --write-fixtures`).
struct Fixtures {
    struct Case {
        let text: String
        let special: Bool
        let expected: [Encoding.Name: [Int]]
    }

    static let corpusDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")

    let files: [String: [Encoding.Name: [Int]]]
    let cases: [Case]

    static func load() throws -> Fixtures {
        let data = try Data(contentsOf: corpusDirectory.appendingPathComponent("expected.json"))
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let files = root["files"] as? [String: [String: [Int]]],
              let cases = root["cases"] as? [[String: Any]] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        func ids(_ object: [String: Any]) -> [Encoding.Name: [Int]] {
            var result: [Encoding.Name: [Int]] = [:]
            for name in Encoding.Name.allCases {
                if let ids = object[name.rawValue] as? [Int] { result[name] = ids }
            }
            return result
        }
        return Fixtures(
            files: files.mapValues { ids($0) },
            cases: cases.map { Case(text: $0["text"] as? String ?? "", special: $0["special"] as? Bool ?? false, expected: ids($0)) }
        )
    }

    /// A corpus file's text, invalid UTF-8 replaced by U+FFFD.
    static func text(of file: String) throws -> String {
        let data = try Data(contentsOf: corpusDirectory.appendingPathComponent(file))
        return String(decoding: data, as: UTF8.self)
    }
}
