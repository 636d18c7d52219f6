import Foundation
import Testing
@testable import TallyJSON
import TallyDemo

/// Random documents, written by `serialized()`, read back by the one reader and by Foundation's:
/// both must see the same value, so the reader and the writer agree with an independent parser.
struct JSONRoundTripTests {
    /// Seeded, so a failure names the seed that shows it.
    private typealias Generator = SeededGenerator

    private static let scalars: [Unicode.Scalar] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "é", "你", "😀", "\u{FEFF}", "\u{7F}"]

    private func randomString(_ random: inout Generator) -> String {
        var text = String.UnicodeScalarView()
        for _ in 0..<Int.random(in: 0...12, using: &random) { text.append(Self.scalars.randomElement(using: &random)!) }
        return String(text)
    }

    private func randomValue(_ random: inout Generator, depth: Int) -> JSONValue {
        switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2: return .number(String(Int.random(in: -1_000_000...1_000_000, using: &random)))
        case 3: return .string(randomString(&random))
        case 4: return .array((0..<Int.random(in: 0...4, using: &random)).map { _ in randomValue(&random, depth: depth + 1) })
        default:
            var members: [(key: String, value: JSONValue)] = []
            for index in 0..<Int.random(in: 0...4, using: &random) {
                members.append(("\(randomString(&random))#\(index)", randomValue(&random, depth: depth + 1)))
            }
            return .object(members)
        }
    }

    /// A value as Foundation's `JSONDecoder` reads it, for comparison (members sorted, as
    /// Foundation's dictionaries are unordered).
    private struct FoundationValue: Decodable {
        var value: JSONValue

        init(from decoder: any Decoder) throws {
            let single = try? decoder.singleValueContainer()
            if let single, single.decodeNil() {
                value = .null
            } else if let single, let flag = try? single.decode(Bool.self) {
                value = .bool(flag)
            } else if let single, let number = try? single.decode(Int64.self) {
                value = .number(String(number))
            } else if let single, let text = try? single.decode(String.self) {
                value = .string(text)
            } else if var items = try? decoder.unkeyedContainer() {
                var values: [JSONValue] = []
                while !items.isAtEnd { values.append(try items.decode(FoundationValue.self).value) }
                value = .array(values)
            } else {
                let object = try decoder.container(keyedBy: Key.self)
                value = .object(try object.allKeys.map { ($0.stringValue, try object.decode(FoundationValue.self, forKey: $0).value) }.sorted { $0.0 < $1.0 })
            }
        }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
    }

    private func sorted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let items): .array(items.map(sorted))
        case .object(let members): .object(members.map { ($0.key, sorted($0.value)) }.sorted { $0.key < $1.key })
        default: value
        }
    }

    @Test(arguments: 0..<40)
    func aWrittenDocumentReadsBackTheSameHereAndInFoundation(seed: UInt64) throws {
        var random = Generator(seed: seed)
        let value = randomValue(&random, depth: 0)
        let text = value.serialized()
        #expect(try JSONReader.parse(text) == value, "seed \(seed)")
        let foundation = try JSONDecoder().decode(FoundationValue.self, from: Data(text)).value
        #expect(foundation == sorted(value), "seed \(seed): \(String(decoding: text, as: UTF8.self))")
    }
}
