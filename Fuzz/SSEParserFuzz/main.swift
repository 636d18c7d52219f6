// libFuzzer entry point for the SSE parser and the stream decoders. Built and run by
// Scripts/fuzz sse (not by SwiftPM: it needs -sanitize=fuzzer on every file).
//
// Each input is parsed whole and again cut into chunks whose sizes come from the input's
// first bytes; the two parses must give the same events and the same error, and every event
// goes through all three decoders. Read block by block (as the gateway forwards), the blocks
// must carry the same events and reassemble to the input, unless a block passes the reader's
// own bound on its raw bytes (twice the event limit). A difference is a finding, reported by
// trapping.
import TallyStream

@_cdecl("LLVMFuzzerTestOneInput")
public func sseParserFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let control = input[0]
    let stream = UnsafeRawBufferPointer(rebasing: input[1...])
    // A small limit sometimes, so the limit path is reached within libFuzzer's input sizes.
    let limit = control & 0x80 != 0 ? Int(control & 0x7F) + 1 : 1 << 20

    let whole = parse(stream, limit: limit) { _ in Int.max }
    let split = parse(stream, limit: limit) { offset in
        Int(input[offset % input.count] % 17) + 1
    }
    precondition(whole == split, "chunked parse differs from the whole parse")
    readBlocks(stream, limit: limit, expected: whole) { offset in Int(input[offset % input.count] % 13) + 1 }

    var decoders = WireFormat.allCases.map { StreamDecoder(format: $0) }
    for event in whole.events {
        for index in decoders.indices { decoders[index].decode(event) { _ in } }
    }
    for format in WireFormat.allCases {
        _ = try? ResponseSummary(decoding: stream, format: format)
    }
    return 0
}

private struct Outcome: Equatable {
    var events: [SSEEvent] = []
    var error: SSEParserError?
    var end: SSEParser.End?
}

private func parse(_ stream: UnsafeRawBufferPointer, limit: Int, chunkSize: (Int) -> Int) -> Outcome {
    var parser = SSEParser(maxEventBytes: limit)
    var outcome = Outcome()
    var offset = 0
    do {
        while offset < stream.count {
            let end = min(stream.count, offset &+ chunkSize(offset))
            try parser.parse(UnsafeRawBufferPointer(rebasing: stream[offset..<end])) { outcome.events.append($0) }
            offset = end
        }
        outcome.end = parser.finish()
    } catch let error as SSEParserError {
        outcome.error = error
    } catch {
        preconditionFailure("unexpected error \(error)")
    }
    return outcome
}

/// Reads `stream` block by block in input-chosen chunks: the blocks must carry the parser's
/// events, and (when no limit was hit) their bytes and the unfinished rest must be the input.
private func readBlocks(_ stream: UnsafeRawBufferPointer, limit: Int, expected: Outcome, chunkSize: (Int) -> Int) {
    var reader = SSEBlockReader(maxEventBytes: limit)
    var events: [SSEEvent] = []
    var forwarded: [UInt8] = []
    var offset = 0
    do {
        while offset < stream.count {
            let end = min(stream.count, offset &+ chunkSize(offset))
            try reader.parse(UnsafeRawBufferPointer(rebasing: stream[offset..<end])) { block in
                if let event = block.event { events.append(event) }
                forwarded += block.bytes
            }
            offset = end
        }
        forwarded += reader.finish()
        precondition(expected.error == nil, "the block reader passed an event the parser refused")
        precondition(forwarded == Array(stream), "the blocks do not reassemble to the input")
    } catch let error as SSEParserError {
        if error != expected.error, error.limit == reader.maxBlockBytes {
            // The reader's own bound on one block's raw bytes, which the parser does not have
            // (comment and id lines are not counted by the event limit): it may stop earlier,
            // but only past that bound, and after the parser's events up to there.
            precondition(error.code == .eventTooLarge, "the block reader's bound failed with another code")
            precondition(stream.count - error.offset > reader.maxBlockBytes, "the block reader refused a block within its bound")
            precondition(events.count <= expected.events.count && Array(expected.events.prefix(events.count)) == events,
                         "the block reader passed other events before its bound than the parser's")
            return
        }
        precondition(error == expected.error, "the block reader failed differently from the parser")
    } catch {
        preconditionFailure("unexpected error \(error)")
    }
    precondition(events == expected.events, "the blocks carry other events than the parser's")
}
