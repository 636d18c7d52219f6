import Foundation
import Testing
@testable import TallyJSON

/// Reads `{"v": <value>}` and returns the string value, or the failure.
private func readString(_ valueJSON: String) throws -> String? {
    let bytes = Array(#"{"v":\#(valueJSON)}"#.utf8)
    return try bytes.withUnsafeBytes { buffer throws(JSONSyntaxError) -> String? in
        var reader = JSONReader(buffer)
        var object = try reader.beginObject()
        var value: String?
        while let key = try reader.nextKey(&object) {
            if key == "v" { value = try reader.readString() } else { try reader.skipValue() }
        }
        try reader.end()
        return value
    }
}

private func readInteger(_ valueJSON: String) throws -> Int64? {
    let bytes = Array(valueJSON.utf8)
    return try bytes.withUnsafeBytes { buffer throws(JSONSyntaxError) -> Int64? in
        var reader = JSONReader(buffer)
        let value = try reader.readInteger()
        try reader.end()
        return value
    }
}

/// Whether the reader accepts `json` as one complete value.
private func accepts(_ json: String) -> Bool {
    Array(json.utf8).withUnsafeBytes { buffer in
        var reader = JSONReader(buffer)
        do {
            try reader.skipValue()
            try reader.end()
            return true
        } catch {
            return false
        }
    }
}

struct JSONReaderTests {
    @Test func stringsDecodeEveryEscape() throws {
        #expect(try readString(#""a\"b\\c\/d\b\f\n\r\t""#) == "a\"b\\c/d\u{8}\u{C}\n\r\t")
        #expect(try readString(#""caf\u00e9 \u4f60""#) == "café 你")
    }

    @Test func surrogatePairsBecomeOneCharacterAndLoneSurrogatesBecomeReplacements() throws {
        #expect(try readString(#""\ud83d\ude00""#) == "😀")
        #expect(try readString(#""\uD83D\uDE00x""#) == "😀x")
        #expect(try readString(#""\ud83dx""#) == "\u{FFFD}x")
        #expect(try readString(#""\ude00""#) == "\u{FFFD}")
        #expect(try readString(#""\ud83d\ud83d\ude00""#) == "\u{FFFD}😀")
    }

    @Test func escapesAndControlCharactersAreFoundAtEveryOffsetOfAWord() throws {
        for prefix in 0..<20 {
            let head = String(repeating: "a", count: prefix)
            #expect(try readString("\"\(head)\\n\(head)é\"") == head + "\n" + head + "é")
            #expect(try readString("\"\(head)\\\"\"") == head + "\"")
            #expect(try readString("\"\(head)\"") == head)
            #expect(throws: JSONSyntaxError.self) { try readString("\"\(head)\u{1F}x\"") }
            #expect(throws: JSONSyntaxError.self) { try readString("\"\(head)") }
        }
    }

    @Test func rawUTF8PassesThroughAndNonStringsReadAsNil() throws {
        #expect(try readString(#""日本😀""#) == "日本😀")
        #expect(try readString("null") == nil)
        #expect(try readString("[1,2]") == nil)
    }

    @Test func integersAreReadWithinInt64AndOthersAreNil() throws {
        #expect(try readInteger("0") == 0)
        #expect(try readInteger("-12") == -12)
        #expect(try readInteger("12.0") == 12)
        #expect(try readInteger("12.5") == nil)
        #expect(try readInteger("1e3") == nil)
        #expect(try readInteger("9223372036854775807") == Int64.max)
        #expect(try readInteger("-9223372036854775808") == Int64.min)
        #expect(try readInteger("9223372036854775808") == nil)
        #expect(try readInteger("\"12\"") == nil)
    }

    @Test func escapedKeysMatchTheirDecodedName() throws {
        let bytes = Array(#"{"\u0076":"x"}"#.utf8)
        let value = try bytes.withUnsafeBytes { buffer throws(JSONSyntaxError) -> String? in
            var reader = JSONReader(buffer)
            var object = try reader.beginObject()
            var value: String?
            while let key = try reader.nextKey(&object) {
                if key == "v" { value = try reader.readString() } else { try reader.skipValue() }
            }
            return value
        }
        #expect(value == "x")
    }

    static let valid = [
        "{}", "[]", #"{"a":[1,-2.5e+3,true,false,null,{"b":"c"}]}"#, " \n\t{ \"a\" : 1 } \r\n", "0", "-0",
        "1E5", #""\u0000""#, "[[[[]]]]", #"{"":""}"#,
    ]
    static let invalid = [
        "", "{", "}", #"{"a":1,}"#, "[1,]", "[,1]", #"{,"a":1}"#, "01", "1.", ".5", "-", "1e", "+1",
        #"{"a" 1}"#, #"{a:1}"#, "tru", "nul", "[1 2]", #""abc"#, "\"a\u{1}b\"", #""\x""#, #""\u12""#,
        #""\u12G4""#, "{} {}", "[1]x", "'a'", "NaN",
    ]

    static let trailingCommas: Set<String> = [#"{"a":1,}"#, "[1,]"]

    @Test(arguments: valid)
    func validJSONIsAccepted(_ json: String) {
        #expect(accepts(json))
        let foundation = try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
        #expect(foundation != nil, "Foundation disagrees on \(json)")
    }

    @Test(arguments: invalid)
    func invalidJSONIsRefused(_ json: String) {
        #expect(!accepts(json))
        // Foundation's parser tolerates trailing commas; RFC 8259 does not, and neither do we.
        guard !Self.trailingCommas.contains(json) else { return }
        let foundation = try? JSONSerialization.jsonObject(with: Data(json.utf8), options: [.fragmentsAllowed])
        #expect(foundation == nil, "Foundation disagrees on \(json)")
    }

    @Test func nestingDeeperThanTheLimitIsRefusedWithoutCrashing() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(!accepts(deep))
        let ok = String(repeating: "[", count: JSONReader.maxDepth) + String(repeating: "]", count: JSONReader.maxDepth)
        #expect(accepts(ok))
    }
}
