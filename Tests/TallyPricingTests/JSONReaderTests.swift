import Testing
@testable import TallyPricing

struct JSONReaderTests {
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
