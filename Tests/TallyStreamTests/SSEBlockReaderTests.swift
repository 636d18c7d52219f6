import TallyDemo
import Testing
@testable import TallyStream

/// Everything a reader did with one stream: its blocks, the bytes it handed back at the end, its error.
private struct Reading: Equatable {
    var blocks: [SSEBlock] = []
    var unfinished: [UInt8] = []
    var error: SSEParserError?

    /// The bytes a proxy forwarding every block, then the unfinished rest, sends on.
    var forwarded: [UInt8] { blocks.flatMap(\.bytes) + unfinished }
}

/// Reads `stream` cut at `cuts` (sorted offsets) into chunks.
private func read(_ stream: [UInt8], cuts: [Int] = [], maxEventBytes: Int = SSEParser.defaultMaxEventBytes) -> Reading {
    var reader = SSEBlockReader(maxEventBytes: maxEventBytes)
    var reading = Reading()
    var start = 0
    do {
        for end in cuts + [stream.count] where end >= start {
            try reader.parse(Array(stream[start..<end])) { reading.blocks.append($0) }
            start = end
        }
        reading.unfinished = reader.finish()
    } catch let error as SSEParserError {
        reading.error = error
    } catch {
        Issue.record("unexpected error \(error)")
    }
    return reading
}

private func read(_ text: String, cuts: [Int] = []) -> Reading {
    read(Array(text.utf8), cuts: cuts)
}

private func texts(_ blocks: [SSEBlock]) -> [String] {
    blocks.map { String(decoding: $0.bytes, as: UTF8.self) }
}

struct SSEBlockReaderTests {
    @Test func blocksReassembledInOrderAreTheInputWhereverTheStreamIsCut() {
        var random = SeededGenerator(seed: 0xB10C_5EED)
        for iteration in 0..<2000 {
            let stream = RandomSSEStream.make(using: &random)
            let whole = read(stream)
            #expect(whole.forwarded == stream, "stream \(iteration)")
            let chunkings = [
                Array(1..<max(1, stream.count)),
                RandomSSEStream.nastyCuts(stream),
                RandomSSEStream.randomCuts(stream.count, maxPiece: 7, using: &random),
                RandomSSEStream.randomCuts(stream.count, maxPiece: 200, using: &random),
            ]
            for cuts in chunkings {
                let split = read(stream, cuts: cuts)
                #expect(split == whole, "stream \(iteration) cut at \(cuts)")
                #expect(split.forwarded == stream, "stream \(iteration) cut at \(cuts)")
                if split != whole { return }
            }
        }
    }

    @Test func theBlocksCarryExactlyTheEventsTheParserDispatches() throws {
        var random = SeededGenerator(seed: 0xE7E7_5EED)
        for iteration in 0..<2000 {
            let stream = RandomSSEStream.make(using: &random)
            let expected = ReferenceSSEParser.parse(stream).events
            let reading = read(stream, cuts: RandomSSEStream.randomCuts(stream.count, maxPiece: 11, using: &random))
            #expect(reading.blocks.compactMap(\.event) == expected, "stream \(iteration)")
        }
    }

    @Test func everyBlockEndsRightAfterItsBlankLine() {
        let blocks = read(": keep-alive\n\ndata: a\n\nevent: e\ndata: b\ndata: c\n\n\n").blocks
        #expect(texts(blocks) == [": keep-alive\n\n", "data: a\n\n", "event: e\ndata: b\ndata: c\n\n", "\n"])
        #expect(blocks.map(\.event) == [nil, SSEEvent(text: "a"), SSEEvent(type: "e", text: "b\nc"), nil])
    }

    @Test func aCRLFCutBetweenItsTwoBytesStillEndsOneLine() throws {
        var reader = SSEBlockReader()
        #expect(try reader.parse(Array("data: a\r".utf8)).isEmpty)
        let blocks = try reader.parse(Array("\n\r\n".utf8))
        // The block ends at the blank line's `\r`; its `\n` opens the next block, cut or not.
        #expect(texts(blocks) == ["data: a\r\n\r"])
        #expect(blocks.first?.event == SSEEvent(text: "a"))
        #expect(reader.finish() == Array("\n".utf8))
        #expect(read("data: a\r\n\r\n").blocks == blocks)
    }

    @Test func aCarriageReturnAloneEndsLinesAndBlocks() {
        let reading = read("data: a\rdata: b\r\rdata: c\r\r")
        #expect(texts(reading.blocks) == ["data: a\rdata: b\r\r", "data: c\r\r"])
        #expect(reading.blocks.map(\.event) == [SSEEvent(text: "a\nb"), SSEEvent(text: "c")])
        #expect(reading.unfinished.isEmpty)
    }

    @Test func aByteOrderMarkStaysInTheFirstBlockEvenCutMidMark() {
        let stream = "\u{FEFF}data: a\n\ndata: b\n\n"
        for cut in 0...4 {
            let reading = read(stream, cuts: [cut])
            #expect(texts(reading.blocks) == ["\u{FEFF}data: a\n\n", "data: b\n\n"], "cut at \(cut)")
            #expect(reading.blocks.map(\.event) == [SSEEvent(text: "a"), SSEEvent(text: "b")])
        }
        // A mark followed by a blank line is a block of its own, not merged into the next one.
        #expect(texts(read("\u{FEFF}\ndata: a\n\n").blocks) == ["\u{FEFF}\n", "data: a\n\n"])
    }

    @Test func aFinalBlockWithoutItsBlankLineIsHandedBackAtTheEndWithoutItsEvent() throws {
        var reader = SSEBlockReader()
        let blocks = try reader.parse(Array("data: a\n\ndata: b\n".utf8))
        #expect(blocks.map(\.event) == [SSEEvent(text: "a")])
        #expect(reader.unfinishedBlock == Array("data: b\n".utf8))
        #expect(reader.finish() == Array("data: b\n".utf8))
        // Ready for a new stream: nothing of the old one is left.
        #expect(reader.finish().isEmpty)
        #expect(try reader.parse(Array("data: c\n\n".utf8)).map(\.event) == [SSEEvent(text: "c")])
    }

    @Test func anEventPastTheLimitFailsTheReaderAsItFailsTheParser() {
        let stream = Array("data: short\n\ndata: \(String(repeating: "x", count: 100))\n\n".utf8)
        let reading = read(stream, cuts: [20, 40], maxEventBytes: 64)
        #expect(reading.error?.code == .eventTooLarge)
        #expect(reading.error?.offset == 13)
        #expect(texts(reading.blocks) == ["data: short\n\n"])
    }

    @Test func aBlockOfEndlessCommentsFailsTheReaderInsteadOfGrowingWithoutBound() throws {
        // Comments and `id:` lines are not an event's data, so the parser's limit never sees them:
        // a block made only of them would be held whole until its blank line.
        var reader = SSEBlockReader(maxEventBytes: 64)
        #expect(reader.maxBlockBytes == 128)
        #expect(try reader.parse(Array("data: ok\n\n".utf8)).count == 1)
        let comment = Array(": keep-alive\n".utf8)
        var thrown: SSEParserError?
        for _ in 0..<20 where thrown == nil {
            do { _ = try reader.parse(comment) } catch let error as SSEParserError { thrown = error }
            #expect(reader.unfinishedBlock.count <= 128 + comment.count)
        }
        #expect(thrown?.code == .eventTooLarge)
        #expect(thrown?.offset == 10)
        #expect(thrown?.limit == 128)
        // It stays failed, and a new stream after finish() starts clean.
        #expect(throws: SSEParserError.self) { try reader.parse(Array("data: b\n\n".utf8)) }
        _ = reader.finish()
        #expect(try reader.parse(Array("data: c\n\n".utf8)).map(\.event) == [SSEEvent(text: "c")])
        // A block that is mostly comments but within the bound is forwarded whole.
        let mixed = String(repeating: ": c\n", count: 20) + "data: d\n\n"
        #expect(try reader.parse(Array(mixed.utf8)).map(\.bytes) == [Array(mixed.utf8)])
    }
}
