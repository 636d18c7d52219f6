import TallyDemo
import TallyTestSupport
import TallyStream

/// A deliberately plain, whole-stream implementation of the WHATWG EventSource parsing rules,
/// written straight from the specification's prose, to check the incremental parser against.
struct ReferenceSSEParser {
    struct Result: Equatable {
        var events: [SSEEvent] = []
        var lastEventID = ""
        var reconnectionTime: Int?
        var endedMidEvent = false
    }

    static func parse(_ input: [UInt8]) -> Result {
        var bytes = input[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }

        // Split into lines; the unterminated remainder is not a line.
        var lines: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == 0x0A || byte == 0x0D {
                lines.append(bytes[start..<index])
                if byte == 0x0D, index + 1 < bytes.endIndex, bytes[index + 1] == 0x0A { index += 1 }
                start = index + 1
            }
            index += 1
        }
        let tail = bytes[start...]

        var result = Result()
        var data: [UInt8] = []
        var type: [UInt8] = []
        var dataLines = 0
        for line in lines {
            if line.isEmpty {
                if dataLines > 0 {
                    let text = type.isEmpty ? "message" : String(decoding: type, as: UTF8.self)
                    result.events.append(SSEEvent(type: text, data: data, lastEventID: result.lastEventID))
                }
                data = []
                type = []
                dataLines = 0
                continue
            }
            if line.first == UInt8(ascii: ":") { continue }
            let name: ArraySlice<UInt8>
            var value: ArraySlice<UInt8>
            if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
                name = line[..<colon]
                value = line[(colon + 1)...]
                if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
            } else {
                name = line
                value = []
            }
            switch String(decoding: name, as: UTF8.self) {
            case "data":
                if dataLines > 0 { data.append(0x0A) }
                data += value
                dataLines += 1
            case "event":
                type = Array(value)
            case "id":
                if !value.contains(0) { result.lastEventID = String(decoding: value, as: UTF8.self) }
            case "retry":
                if !value.isEmpty, value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let number = Int(String(decoding: value, as: UTF8.self)) {
                    result.reconnectionTime = number
                }
            default:
                break
            }
        }
        result.endedMidEvent = !tail.isEmpty || dataLines > 0 || !type.isEmpty
        return result
    }
}

/// Random SSE streams built from the constructs the rules treat specially.
enum RandomSSEStream {
    static let values = [
        "", "x", "hello world", " leading space", "two  spaces", "a:b:c", "{\"k\":\"v\"}", "é", "日本語",
        "emoji 😀 here", "€uro", "[DONE]", "trailing ", "\u{FEFF}bom inside", "tab\there",
    ]
    static let terminators = ["\n", "\r\n", "\r"]

    static func make(using random: inout SeededGenerator) -> [UInt8] {
        var out: [UInt8] = []
        if Int.random(in: 0..<4, using: &random) == 0 { out += [0xEF, 0xBB, 0xBF] }
        let lineCount = Int.random(in: 0..<40, using: &random)
        for _ in 0..<lineCount {
            let value = values.randomElement(using: &random) ?? ""
            let line: String
            switch Int.random(in: 0..<16, using: &random) {
            case 0, 1, 2: line = ""
            case 3, 4, 5: line = "data: \(value)"
            case 6: line = "data:\(value)"
            case 7: line = "data"
            case 8: line = "event: \(value)"
            case 9: line = "id: \(value)"
            case 10: line = Bool.random(using: &random) ? "id: a\u{0}b" : "id"
            case 11: line = ["retry: 1500", "retry: 15a0", "retry:", "retry: 99999999999999999999999", "retry:42"].randomElement(using: &random) ?? ""
            case 12: line = ": comment \(value)"
            case 13: line = "unknown: \(value)"
            case 14: line = "\(value)"
            default: line = "Data: \(value)"
            }
            out += Array(line.utf8)
            out += Array((terminators.randomElement(using: &random) ?? "\n").utf8)
        }
        if Int.random(in: 0..<3, using: &random) == 0 {
            out += Array("data: unterminated \(values.randomElement(using: &random) ?? "")".utf8)
        }
        return out
    }

    /// Cut points that split every multi-byte UTF-8 sequence and every `\r\n` pair.
    static func nastyCuts(_ stream: [UInt8]) -> [Int] {
        var cuts: [Int] = []
        for index in 1..<max(1, stream.count) {
            let isContinuation = stream[index] & 0xC0 == 0x80
            let splitsCRLF = stream[index - 1] == 0x0D && stream[index] == 0x0A
            if isContinuation || splitsCRLF { cuts.append(index) }
        }
        return cuts
    }

    static func randomCuts(_ count: Int, maxPiece: Int, using random: inout SeededGenerator) -> [Int] {
        var cuts: [Int] = []
        var position = 0
        while true {
            position += Int.random(in: 1...maxPiece, using: &random)
            guard position < count else { return cuts }
            cuts.append(position)
        }
    }
}
