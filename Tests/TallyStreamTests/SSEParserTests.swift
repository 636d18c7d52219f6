import TallyDemo
import TallyTestSupport
import Testing
@testable import TallyStream

/// Everything the parser did with one stream, for comparing parses.
private struct Outcome: Equatable, CustomStringConvertible {
    var events: [SSEEvent] = []
    var lastEventID = ""
    var reconnectionTime: Int?
    var end: SSEParser.End?
    var error: SSEParserError?

    var description: String {
        let shown = events.map { "\($0.type)|\($0.text.debugDescription)|\($0.lastEventID)" }
        return "events \(shown) id \(lastEventID) retry \(String(describing: reconnectionTime)) end \(String(describing: end)) error \(String(describing: error))"
    }
}

/// Parses `stream` cut at `cuts` (sorted offsets) into chunks.
private func parse(_ stream: [UInt8], cuts: [Int] = [], maxEventBytes: Int = SSEParser.defaultMaxEventBytes) -> Outcome {
    var parser = SSEParser(maxEventBytes: maxEventBytes)
    var outcome = Outcome()
    var start = 0
    do {
        for end in cuts + [stream.count] where end >= start {
            try parser.parse(stream[start..<end]) { outcome.events.append($0) }
            start = end
        }
        outcome.end = parser.finish()
    } catch let error as SSEParserError {
        outcome.error = error
    } catch {
        Issue.record("unexpected error \(error)")
    }
    outcome.lastEventID = parser.lastEventID
    outcome.reconnectionTime = parser.reconnectionTime
    return outcome
}

private func parse(_ text: String) -> Outcome {
    parse(Array(text.utf8))
}

private func texts(_ text: String) -> [String] {
    parse(text).events.map(\.text)
}

struct SSEParserTests {
    // MARK: - Line ends

    @Test func linesMayEndInLineFeedCarriageReturnOrBoth() {
        #expect(texts("data: a\n\ndata: b\r\n\r\ndata: c\r\rdata: d\r\n\n") == ["a", "b", "c", "d"])
    }

    @Test func aCarriageReturnAndLineFeedSplitAcrossChunksAreOneLineEnd() {
        let stream = Array("data: a\r\ndata: b\r\n\r\n".utf8)
        // Cut right after each `\r`: a wrongly counted `\n` would dispatch "a" alone.
        let outcome = parse(stream, cuts: [8, 17, 19])
        #expect(outcome.events.map(\.text) == ["a\nb"])
        #expect(outcome.end == .clean)
    }

    @Test func aCarriageReturnAtAChunkEndFollowedByAnotherLineIsStillALineEnd() {
        let outcome = parse(Array("data: a\r\rdata: b\r\r".utf8), cuts: [8, 9, 18])
        #expect(outcome.events.map(\.text) == ["a", "b"])
    }

    // MARK: - Fields

    @Test func dataLinesAreJoinedWithLineFeeds() {
        #expect(texts("data: first\ndata: second\ndata:third\n\n") == ["first\nsecond\nthird"])
    }

    @Test func anEmptyDataFieldDispatchesAnEventWithEmptyData() {
        #expect(texts("data\n\n") == [""])
        #expect(texts("data:\n\n") == [""])
        #expect(texts("data\ndata\n\n") == ["\n"])
    }

    @Test func anEventWithoutDataIsNotDispatched() {
        let outcome = parse("event: update\nid: 7\n\n: comment\n\n")
        #expect(outcome.events.isEmpty)
        #expect(outcome.lastEventID == "7")
    }

    @Test func onlyOneSpaceAfterTheColonIsRemoved() {
        #expect(texts("data:  two\n\ndata:none\n\ndata: \n\n") == [" two", "none", ""])
    }

    @Test func theValueRunsFromTheFirstColon() {
        #expect(texts("data: a: b:c\n\n") == ["a: b:c"])
    }

    @Test func aFieldWithoutAColonIsTheWholeLineWithAnEmptyValue() {
        let outcome = parse("data\nevent\n\n")
        #expect(outcome.events == [SSEEvent(type: "message", data: [])])
    }

    @Test func theEventFieldSetsTheTypeForOneEventOnly() {
        let outcome = parse("event: delta\ndata: 1\n\ndata: 2\n\nevent:\ndata: 3\n\n")
        #expect(outcome.events.map(\.type) == ["delta", "message", "message"])
    }

    @Test func commentLinesAreIgnored() {
        #expect(texts(": keep-alive\ndata: a\n:data: b\n\n") == ["a"])
    }

    @Test func unknownFieldsAndWrongCaseAreIgnored() {
        #expect(texts("Data: no\nfoo: bar\ndata: yes\n\n") == ["yes"])
    }

    @Test func theLastEventIDPersistsAcrossEvents() {
        let outcome = parse("id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\n")
        #expect(outcome.events.map(\.lastEventID) == ["1", "1", ""])
    }

    @Test func anIDHoldingNullIsIgnored() {
        let outcome = parse("id: good\ndata: a\n\nid: ba\u{0}d\ndata: b\n\n")
        #expect(outcome.events.map(\.lastEventID) == ["good", "good"])
        #expect(outcome.lastEventID == "good")
    }

    @Test func retryTakesOnlyASCIIDigits() {
        #expect(parse("retry: 2500\n").reconnectionTime == 2500)
        #expect(parse("retry: 2500\nretry: 25x\nretry: -1\nretry: \nretry: 1.5\n").reconnectionTime == 2500)
        #expect(parse("retry: ٣\n").reconnectionTime == nil)
    }

    // MARK: - Byte order mark

    @Test func oneLeadingByteOrderMarkIsStripped() {
        let stream: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("data: a\n\n".utf8)
        #expect(parse(stream).events.map(\.text) == ["a"])
        // Also when it arrives one byte at a time.
        #expect(parse(stream, cuts: [1, 2, 3]).events.map(\.text) == ["a"])
    }

    @Test func aSecondByteOrderMarkIsPartOfTheFieldName() {
        let stream: [UInt8] = [0xEF, 0xBB, 0xBF, 0xEF, 0xBB, 0xBF] + Array("data: a\n\ndata: b\n\n".utf8)
        #expect(parse(stream).events.map(\.text) == ["b"])
    }

    @Test func aByteOrderMarkLaterInTheStreamIsNotStripped() {
        let stream = Array("data: a\n\n".utf8) + [0xEF, 0xBB, 0xBF] + Array("data: b\n\n".utf8)
        #expect(parse(stream).events.map(\.text) == ["a"])
    }

    @Test func aPartialByteOrderMarkIsKeptAsLineBytes() {
        // EF BB followed by "data": not a BOM, so the first line's field is "\u{FFFD}data".
        let stream: [UInt8] = [0xEF, 0xBB] + Array("data: a\n\ndata: b\n\n".utf8)
        #expect(parse(stream, cuts: [1, 2]).events.map(\.text) == ["b"])
        #expect(parse(stream).events.map(\.text) == ["b"])
    }

    // MARK: - End of stream

    @Test func finishReportsAStreamCutInsideAnEvent() {
        #expect(parse("data: a\n\n").end == .clean)
        #expect(parse("data: a\n\ndata: b\n").end == .midEvent)
        #expect(parse("data: a\n\ndata: b").end == .midEvent)
        #expect(parse("data: a\n\n: comment\n").end == .clean)
        #expect(parse("event: x\n").end == .midEvent)
    }

    @Test func anUnfinishedEventIsDiscarded() {
        let outcome = parse("data: a\n\ndata: b\n")
        #expect(outcome.events.map(\.text) == ["a"])
    }

    @Test func finishReadiesTheParserForANewStream() throws {
        var parser = SSEParser()
        _ = try parser.parse(Array("id: 9\ndata: cut".utf8))
        #expect(parser.finish() == .midEvent)
        let events = try parser.parse(Array("data: fresh\n\n".utf8))
        #expect(events == [SSEEvent(type: "message", data: Array("fresh".utf8), lastEventID: "9")])
    }

    @Test func chunksWithoutContiguousStorageAreParsedToo() throws {
        var parser = SSEParser()
        let chunk = Array("data: lazy\n\n".utf8).lazy.map { $0 }
        #expect(try parser.parse(chunk).map(\.text) == ["lazy"])
    }

    // MARK: - UTF-8

    @Test func dataKeepsMultiByteCharactersCutAcrossChunks() {
        let stream = Array("data: 日本😀\n\n".utf8)
        let outcome = parse(stream, cuts: Array(1..<stream.count))
        #expect(outcome.events.map(\.text) == ["日本😀"])
    }

    @Test func invalidUTF8IsReplacedWhenReadAsText() {
        let stream = Array("data: a".utf8) + [0xFF] + Array("b\n\n".utf8)
        let outcome = parse(stream)
        #expect(outcome.events.first?.data == Array("a".utf8) + [0xFF] + Array("b".utf8))
        #expect(outcome.events.first?.text == "a\u{FFFD}b")
    }

    // MARK: - Limit

    @Test func anEventLargerThanTheLimitEndsTheStreamWithAnError() {
        let big = String(repeating: "x", count: 100)
        let stream = Array("data: ok\n\ndata: \(big)\ndata: \(big)\n\ndata: after\n\n".utf8)
        for cuts in [[], Array(1..<stream.count), [20, 50, 120]] {
            let outcome = parse(stream, cuts: cuts, maxEventBytes: 150)
            #expect(outcome.events.map(\.text) == ["ok"])
            #expect(outcome.error?.code == .eventTooLarge)
            // The offset names the line that crossed the limit, whatever the chunking.
            #expect(outcome.error?.offset == 117)
            #expect(outcome.error?.limit == 150)
        }
    }

    @Test func aLongLineWithoutAnEndIsRefusedBeforeItIsComplete() throws {
        var parser = SSEParser(maxEventBytes: 1000)
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 600)
        _ = try parser.parse(Array("data: ".utf8) + piece)
        #expect(throws: SSEParserError.self) { _ = try parser.parse(piece) }
        // The parser stays failed.
        #expect(throws: SSEParserError.self) { _ = try parser.parse(Array("\n\n".utf8)) }
    }

    @Test func eventsUpToTheLimitPassAndTheLimitResetsPerEvent() throws {
        var parser = SSEParser(maxEventBytes: 64)
        let line = "data: " + String(repeating: "y", count: 58) // exactly 64 bytes
        let events = try parser.parse(Array((line + "\n\n" + line + "\n\n").utf8))
        #expect(events.count == 2)
    }

    @Test func theDefaultLimitIsSixteenMebibytes() throws {
        var parser = SSEParser()
        #expect(parser.maxEventBytes == 16 * 1024 * 1024)
        let block = [UInt8](repeating: UInt8(ascii: "z"), count: 1 << 20)
        _ = try parser.parse(Array("data: ".utf8))
        var thrown: SSEParserError?
        for _ in 0..<17 {
            do { _ = try parser.parse(block) } catch let error as SSEParserError {
                thrown = error
                break
            }
        }
        #expect(thrown?.code == .eventTooLarge)
        #expect(thrown?.offset == 0)
    }

    // MARK: - Chunking properties

    @Test func randomStreamsCutAnyWayGiveTheEventsOfTheWholeStream() {
        var random = SeededGenerator(seed: 0x7A11_5EED)
        for iteration in 0..<3000 {
            let stream = RandomSSEStream.make(using: &random)
            let whole = parse(stream)
            let expected = ReferenceSSEParser.parse(stream)
            #expect(whole.events == expected.events, "stream \(iteration): \(whole) vs reference")
            #expect(whole.lastEventID == expected.lastEventID)
            #expect(whole.reconnectionTime == expected.reconnectionTime)
            #expect((whole.end == .midEvent) == expected.endedMidEvent, "stream \(iteration)")
            let chunkings = [
                Array(0..<stream.count).dropFirst().map { $0 },
                RandomSSEStream.nastyCuts(stream),
                RandomSSEStream.randomCuts(stream.count, maxPiece: 7, using: &random),
                RandomSSEStream.randomCuts(stream.count, maxPiece: 200, using: &random),
            ]
            for cuts in chunkings {
                let split = parse(stream, cuts: cuts)
                #expect(split == whole, "stream \(iteration) cut at \(cuts)")
                if split != whole { return }
            }
        }
    }

    @Test func serializedEventsParseBackToThemselves() throws {
        var random = SeededGenerator(seed: 0x5E71A1)
        for _ in 0..<500 {
            let events = ReferenceSSEParser.parse(RandomSSEStream.make(using: &random)).events
            let wire = events.flatMap { $0.serialized(includeID: true) }
            var parser = SSEParser()
            #expect(try parser.parse(wire) == events)
            #expect(parser.finish() == .clean)
        }
    }

    @Test func serializingDropsLineBreaksThatWouldInjectFields() throws {
        let event = SSEEvent(type: "x\ndata: injected", data: Array("a\r\nb\rc".utf8), lastEventID: "1\r2")
        var parser = SSEParser()
        let parsed = try parser.parse(event.serialized(includeID: true))
        #expect(parsed == [SSEEvent(type: "xdata: injected", data: Array("a\nb\nc".utf8), lastEventID: "12")])
    }

    @Test func theLimitErrorDoesNotDependOnTheChunking() {
        var random = SeededGenerator(seed: 0xB16_B00B)
        for iteration in 0..<1000 {
            let stream = RandomSSEStream.make(using: &random)
            let limit = Int.random(in: 8...60, using: &random)
            let whole = parse(stream, maxEventBytes: limit)
            for cuts in [
                Array(1..<max(1, stream.count)),
                RandomSSEStream.randomCuts(stream.count, maxPiece: 13, using: &random),
            ] {
                let split = parse(stream, cuts: cuts, maxEventBytes: limit)
                #expect(split.events == whole.events, "stream \(iteration) limit \(limit)")
                #expect(split.error == whole.error, "stream \(iteration) limit \(limit)")
            }
        }
    }
}
