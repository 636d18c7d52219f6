import Testing
import TallyStream
@testable import TallyGateway

struct SSEBlockSplitterTests {
    /// Parses `stream` cut into `cuts`, block by block as the gateway does, and returns the
    /// number of events each complete block dispatched and those dispatched outside any block end.
    private func eventsPerBlock(_ stream: [UInt8], cuts: [Int]) throws -> (perBlock: [Int], stray: Int) {
        var splitter = SSEBlockSplitter()
        var parser = SSEParser()
        var perBlock: [Int] = []
        var stray = 0
        var pendingInBlock = 0
        var previous = 0
        for cut in cuts + [stream.count] where cut > previous {
            let chunk = Array(stream[previous..<cut])
            previous = cut
            var start = 0
            for end in splitter.blockEnds(in: chunk) {
                pendingInBlock += try parser.parse(chunk[start..<end]).count
                perBlock.append(pendingInBlock)
                pendingInBlock = 0
                start = end
            }
            pendingInBlock += try parser.parse(chunk[start...]).count
            stray += pendingInBlock
            pendingInBlock = 0
        }
        return (perBlock, stray)
    }

    @Test func everyEventIsDispatchedAtTheEndOfItsOwnBlockWhereverTheStreamIsCut() throws {
        var generator = SystemRandomNumberGenerator()
        let lineEnds = ["\n", "\r\n", "\r"]
        for _ in 0..<200 {
            var text = Int.random(in: 0..<4, using: &generator) == 0 ? "\u{FEFF}" : ""
            var expectedEvents = 0
            for index in 0..<Int.random(in: 1..<8, using: &generator) {
                let end = lineEnds.randomElement(using: &generator) ?? "\n"
                if Bool.random(using: &generator) { text += ": keep-alive" + end }
                if Bool.random(using: &generator) { text += "event: e\(index)" + end }
                let dataLines = Int.random(in: 0..<3, using: &generator)
                for line in 0..<dataLines { text += "data: {\"i\":\(index),\"l\":\(line),\"t\":\"é\"}" + end }
                if dataLines > 0 { expectedEvents += 1 }
                text += end
            }
            let bytes = Array(text.utf8)
            let whole = try eventsPerBlock(bytes, cuts: [])
            #expect(whole.stray == 0)
            #expect(whole.perBlock.allSatisfy { $0 <= 1 })
            #expect(whole.perBlock.reduce(0, +) == expectedEvents)
            let oneByte = try eventsPerBlock(bytes, cuts: Array(0..<bytes.count))
            #expect(oneByte.perBlock == whole.perBlock)
            #expect(oneByte.stray == 0)
            let random = (0..<3).map { _ in Int.random(in: 0...bytes.count, using: &generator) }.sorted()
            #expect(try eventsPerBlock(bytes, cuts: random).perBlock == whole.perBlock)
        }
    }

    @Test func aCRLFCutBetweenItsTwoBytesStillEndsOneLine() {
        var splitter = SSEBlockSplitter()
        #expect(splitter.blockEnds(in: Array("data: a\r".utf8)) == [])
        #expect(splitter.blockEnds(in: Array("\n\r\n".utf8)) == [2])
    }
}
