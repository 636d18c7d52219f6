import Testing
@testable import TallyJSON

struct JSONDocumentTests {
    private func parse(_ text: String) throws -> JSONValue {
        try JSONReader.parse(Array(text.utf8))
    }

    @Test(arguments: [
        (#""plain""#, "plain"),
        (#""""#, ""),
        (#""quote \" inside""#, "quote \" inside"),
        (#""\"starts with an escape""#, "\"starts with an escape"),
        (#""ends with an escape\n""#, "ends with an escape\n"),
        (#""caf\u00e9 and \ud83d\ude00""#, "café and 😀"),
        ("\"raw UTF-8: café 😀\"", "raw UTF-8: café 😀"),
        (#""tab\tslash\/backslash\\""#, "tab\tslash/backslash\\"),
    ])
    func stringsReadTheSameWithAndWithoutEscapes(source: String, expected: String) throws {
        #expect(try parse(source) == .string(expected))
        #expect(try parse(#"{"k":\#(source)}"#)["k"] == .string(expected))
    }

    @Test func invalidUTF8InAStringIsASyntaxErrorWithItsPlace() {
        let bytes: [UInt8] = Array(#"{"k":"ab"#.utf8) + [0xC3, 0x28] + Array(#"cd"}"#.utf8)
        #expect(throws: JSONSyntaxError.self) { try JSONReader.parse(bytes) }
        do {
            _ = try JSONReader.parse(bytes)
        } catch {
            #expect(error.message == "invalid UTF-8 in a string")
        }
    }

    @Test(arguments: [3, 16, 40])
    func aDuplicateMemberIsRefusedInSmallAndLargeObjects(members: Int) {
        var text = "{"
        for index in 0..<members { text += #""m\#(index)":\#(index),"# }
        text += #""m1":0}"#
        do {
            _ = try parse(text)
            Issue.record("an object with \(members) members and a duplicate was accepted")
        } catch let error as JSONSyntaxError {
            #expect(error.message == #"duplicate member "m1""#)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func membersKeepTheirOrderPastTheSmallObjectSize() throws {
        let names = (0..<40).map { "member-\($0)" }
        let value = try parse("{" + names.map { #""\#($0)":true"# }.joined(separator: ",") + "}")
        guard case .object(let members) = value else {
            Issue.record("not an object")
            return
        }
        #expect(members.map(\.key) == names)
    }
}

/// The document reader is the pull reader's scanner with a tree built on it: the same grammar,
/// with the checks a document needs on top.
struct JSONDocumentRulesTests {
    private func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        try JSONReader.parse(Array(text.utf8))
    }

    @Test func anErrorNamesTheLineAndColumnAPersonWouldLookAt() {
        do {
            _ = try parse("{\n  \"a\": 1,\n  \"b\": tru\n}")
            Issue.record("accepted a bad literal")
        } catch {
            #expect(error.line == 3)
            #expect(error.column == 8)
            #expect(error.description.hasPrefix("line 3, column 8: "))
        }
    }

    @Test func aDuplicateMemberIsReportedAtItsName() {
        do {
            _ = try parse("{\"a\": 1,\n \"a\": 2}")
            Issue.record("accepted a duplicate")
        } catch {
            #expect(error.message == #"duplicate member "a""#)
            #expect(error.line == 2)
            #expect(error.column == 2)
        }
    }

    @Test func invalidUTF8InAMemberNameIsRefused() {
        let bytes: [UInt8] = Array(#"{""#.utf8) + [0xFF] + Array(#"":1}"#.utf8)
        #expect(throws: JSONSyntaxError.self) { try JSONReader.parse(bytes) }
    }

    @Test func aLoneSurrogateIsGrammaticalAndBecomesAReplacementCharacter() throws {
        // RFC 8259 allows any \u escape; the one reader decodes a lone one the same way everywhere.
        #expect(try parse(#"{"k":"a\ud83db"}"#)["k"] == .string("a\u{FFFD}b"))
        #expect(try parse(#""\ude00""#) == .string("\u{FFFD}"))
    }

    @Test func aByteOrderMarkIsToleratedOnlyAtTheStart() throws {
        #expect(try JSONReader.parse([0xEF, 0xBB, 0xBF] + Array("[1]".utf8)) == .array([.number("1")]))
        #expect(throws: JSONSyntaxError.self) { try JSONReader.parse(Array("[1]".utf8) + [0xEF, 0xBB, 0xBF]) }
    }

    @Test func numbersKeepTheirSourceText() throws {
        #expect(try parse(#"[2e-06, 0.50, -0, 1E+5]"#) == .array([.number("2e-06"), .number("0.50"), .number("-0"), .number("1E+5")]))
    }

    @Test func bytesThatAreNotContiguousParseTheSame() throws {
        let text = #"{"a":[1,{"b":"c"}]}"#
        #expect(try JSONReader.parse(Array(text.utf8).lazy.map { $0 }) == (try parse(text)))
    }

    @Test func trailingContentIsRefused() {
        #expect(throws: JSONSyntaxError.self) { try parse("{} x") }
        #expect(throws: JSONSyntaxError.self) { try parse("") }
    }

    @Test func sortedSerializationOrdersMembersByName() throws {
        let value = try parse(#"{"b":1,"a":{"d":true,"c":"\b\f"}}"#)
        #expect(String(decoding: value.serialized(sortingKeys: true), as: UTF8.self) == #"{"a":{"c":"\b\f","d":true},"b":1}"#)
        #expect(String(decoding: value.serialized(), as: UTF8.self) == #"{"b":1,"a":{"d":true,"c":"\b\f"}}"#)
    }
}
