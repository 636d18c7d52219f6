import ArgumentParser
import Foundation
import TallyPricing
import TallyStream
import TallyUsage

/// `tally-bench stream`: SSE parser, block reader and OpenAI decoder throughput on a synthetic
/// stream of OpenAI-style chunks fed in fixed-size reads, with resident memory before and after.
struct StreamBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "SSE parser and stream decoder throughput (MB/s, 1 MB = 10^6 bytes) and memory."
    )

    @Option(help: "Size of the synthetic stream, in MB.")
    var megabytes = 100

    @Option(help: "Bytes handed to the parser per read.")
    var readSize = 16 * 1024

    @Option(help: "Timed runs per case; the best is reported.")
    var runs = 3

    @Option(help: "MB of chunks decoded with Foundation's JSONDecoder, for comparison (0 skips it).")
    var foundationMegabytes = 5

    mutating func run() throws {
        let memoryBefore = ProcessMemory.read()
        let stream = SyntheticStream.openAIChat(bytes: megabytes * 1_000_000)
        let memoryAfterBuild = ProcessMemory.read()
        let readSize = max(1, self.readSize)

        // Parser only: every event is counted and its data length summed, so nothing is optimised away.
        var parserEvents = 0
        let parserSeconds = try best(of: runs) {
            var parser = SSEParser()
            var events = 0
            var dataBytes = 0
            try feed(stream, readSize: readSize) { chunk in
                try parser.parse(chunk) { event in
                    events += 1
                    dataBytes &+= event.data.count
                }
            }
            parser.finish()
            parserEvents = events
            blackHole(dataBytes)
        }
        let memoryAfterParser = ProcessMemory.read()

        // The block reader, as the gateway forwards a stream it hides the usage chunk of: every
        // block's bytes are kept beside its event, and their lengths summed.
        var blocks = 0
        let blockSeconds = try best(of: runs) {
            var reader = SSEBlockReader()
            var count = 0
            var blockBytes = 0
            try feed(stream, readSize: readSize) { chunk in
                try reader.parse(chunk) { block in
                    count += 1
                    blockBytes &+= block.bytes.count
                }
            }
            blockBytes &+= reader.finish().count
            blocks = count
            blackHole(blockBytes)
        }

        // Parser and OpenAI decoder: the typed events are counted, the usage read at the end.
        var decodedEvents = 0
        var undecodable = 0
        var finalUsage = "none"
        let decoderSeconds = try best(of: runs) {
            var parser = SSEParser()
            var decoder = StreamDecoder(format: .openAIChat)
            var events = 0
            var failures = 0
            try feed(stream, readSize: readSize) { chunk in
                try parser.parse(chunk) { event in
                    decoder.decode(event) { decoded in
                        events += 1
                        if case .undecodable = decoded { failures += 1 }
                    }
                }
            }
            parser.finish()
            decodedEvents = events
            undecodable = failures
            finalUsage = decoder.usage.map { "\($0.totalTokens)" } ?? "none"
        }
        let memoryAfterDecoder = ProcessMemory.read()

        // The same for an Anthropic messages stream of the same size (event lines included).
        let anthropic = SyntheticStream.anthropicMessages(bytes: megabytes * 1_000_000)
        var anthropicEvents = 0
        var anthropicUsage = "none"
        let anthropicSeconds = try best(of: runs) {
            var parser = SSEParser()
            var decoder = StreamDecoder(format: .anthropicMessages)
            var events = 0
            try feed(anthropic, readSize: readSize) { chunk in
                try parser.parse(chunk) { event in
                    decoder.decode(event) { _ in events += 1 }
                }
            }
            parser.finish()
            anthropicEvents = events
            anthropicUsage = decoder.usage.map { "\($0.totalTokens)" } ?? "none"
        }

        let megabytesFed = Double(stream.count) / 1_000_000
        printLine([
            "suite": "stream", "case": "parser", "read_size": readSize, "bytes": stream.count,
            "events": parserEvents, "seconds": parserSeconds,
            "mb_per_s": (megabytesFed / parserSeconds).rounded(toPlaces: 1),
        ])
        printLine([
            "suite": "stream", "case": "block-reader", "read_size": readSize, "bytes": stream.count,
            "blocks": blocks, "seconds": blockSeconds,
            "mb_per_s": (megabytesFed / blockSeconds).rounded(toPlaces: 1),
        ])
        printLine([
            "suite": "stream", "case": "parser+openai-decoder", "read_size": readSize, "bytes": stream.count,
            "sse_events": parserEvents, "decoded_events": decodedEvents, "undecodable": undecodable,
            "usage_total_tokens": finalUsage, "seconds": decoderSeconds,
            "mb_per_s": (megabytesFed / decoderSeconds).rounded(toPlaces: 1),
        ])
        printLine([
            "suite": "stream", "case": "parser+anthropic-decoder", "read_size": readSize, "bytes": anthropic.count,
            "decoded_events": anthropicEvents, "usage_total_tokens": anthropicUsage, "seconds": anthropicSeconds,
            "mb_per_s": (Double(anthropic.count) / 1_000_000 / anthropicSeconds).rounded(toPlaces: 1),
        ])
        if foundationMegabytes > 0 {
            let sample = SyntheticStream.openAIChat(bytes: foundationMegabytes * 1_000_000)
            var decoded = 0
            let seconds = try best(of: 1) {
                var parser = SSEParser()
                let decoder = JSONDecoder()
                try parser.parse(sample) { event in
                    if let chunk = try? decoder.decode(FoundationChunk.self, from: Data(event.data)) {
                        decoded += chunk.choices.count
                    }
                }
            }
            printLine([
                "suite": "stream", "case": "parser+foundation-jsondecoder", "bytes": sample.count,
                "decoded_choices": decoded, "seconds": seconds,
                "mb_per_s": (Double(sample.count) / 1_000_000 / seconds).rounded(toPlaces: 1),
            ])
        }
        printLine([
            "suite": "stream", "case": "memory",
            "vmrss_kib_start": memoryBefore.residentKiB, "vmrss_kib_after_building_input": memoryAfterBuild.residentKiB,
            "vmrss_kib_after_parser": memoryAfterParser.residentKiB,
            "vmrss_kib_after_decoder": memoryAfterDecoder.residentKiB,
            "vmhwm_kib_after_building_input": memoryAfterBuild.peakKiB,
            "vmhwm_kib_end": memoryAfterDecoder.peakKiB,
        ])
    }

    /// Hands `stream` to `body` in reads of `readSize` bytes.
    private func feed(_ stream: [UInt8], readSize: Int, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        try stream.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let end = min(offset + readSize, all.count)
                try body(UnsafeRawBufferPointer(rebasing: all[offset..<end]))
                offset = end
            }
        }
    }

    /// The fastest of `runs` timings of `body`, in seconds.
    private func best(of runs: Int, _ body: () throws -> Void) throws -> Double {
        var fastest = Double.infinity
        for _ in 0..<max(1, runs) {
            let start = ContinuousClock.now
            try body()
            let elapsed = ContinuousClock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            fastest = min(fastest, seconds)
        }
        return fastest
    }
}

/// The chunk shape a Foundation `Codable` decoder would need, for the comparison run.
private struct FoundationChunk: Decodable {
    struct Choice: Decodable {
        struct Delta: Decodable {
            var role: String?
            var content: String?
        }
        var index: Int
        var delta: Delta?
        var finish_reason: String?
    }
    struct Usage: Decodable {
        var prompt_tokens: Int
        var completion_tokens: Int
    }
    var id: String
    var model: String
    var choices: [Choice]
    var usage: Usage?
}

/// Resident memory of this process, from /proc/self/status (zero where it is not available).
private struct ProcessMemory {
    var residentKiB = 0
    var peakKiB = 0

    static func read() -> ProcessMemory {
        var memory = ProcessMemory()
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return memory }
        for line in status.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, let value = Int(parts[1]) else { continue }
            if line.hasPrefix("VmRSS:") { memory.residentKiB = value }
            if line.hasPrefix("VmHWM:") { memory.peakKiB = value }
        }
        return memory
    }
}

/// Builders of synthetic provider streams.
private enum SyntheticStream {
    /// About `bytes` bytes of one OpenAI chat completions stream: a role chunk, content chunks of
    /// varied text (ASCII, accented, CJK, emoji, escapes), tool call chunks, a finish chunk, the
    /// usage chunk with empty `choices` and `[DONE]`.
    static func openAIChat(bytes: Int) -> [UInt8] {
        let pieces = [
            "Hello", " world", ", how", " are you", " today?", " The", " quick brown", " fox",
            " jumps", " over", " the lazy dog.", "\\n\\n", " Caf\u{e9}", " na\u{ef}ve", " \u{4f60}\u{597d}",
            " \u{1F600}", " \\\"quoted\\\"", " 42", " tokens", " per", " second", " \\u00e9t\\u00e9",
            " streaming", " is", " fun", ".",
        ]
        let prefix = #"data: {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4.1-2025-04-14","service_tier":"default","system_fingerprint":"fp_b376dfbbd5","choices":[{"index":0,"delta":{"content":""#
        let suffix = #""},"logprobs":null,"finish_reason":null}],"usage":null}"# + "\n\n"
        var out: [UInt8] = []
        out.reserveCapacity(bytes + 4096)
        out += Array((#"data: {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4.1-2025-04-14","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}],"usage":null}"# + "\n\n").utf8)
        let prefixBytes = Array(prefix.utf8)
        let suffixBytes = Array(suffix.utf8)
        let pieceBytes = pieces.map { Array($0.utf8) }
        let toolCall = Array((#"data: {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4.1-2025-04-14","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"location\": \"Par"}}]},"logprobs":null,"finish_reason":null}],"usage":null}"# + "\n\n").utf8)
        var counter = 0
        while out.count < bytes {
            if counter % 50 == 49 {
                out += toolCall
            } else {
                out += prefixBytes
                out += pieceBytes[counter % pieceBytes.count]
                out += suffixBytes
            }
            counter += 1
        }
        out += Array((#"data: {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4.1-2025-04-14","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}"# + "\n\n").utf8)
        out += Array((#"data: {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4.1-2025-04-14","choices":[],"usage":{"prompt_tokens":1117,"completion_tokens":46,"total_tokens":1163,"prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}"# + "\n\n").utf8)
        out += Array("data: [DONE]\n\n".utf8)
        return out
    }
}

extension SyntheticStream {
    /// About `bytes` bytes of one Anthropic messages stream: `message_start` with cache counts,
    /// a text block of varied deltas, `message_delta` with the cumulative output, `message_stop`.
    static func anthropicMessages(bytes: Int) -> [UInt8] {
        let pieces = [
            "Hello", " world", ", how", " are you", " today?", " Caf\u{e9}", " \u{4f60}\u{597d}", " \u{1F600}",
            " \\\"quoted\\\"", "\\n", " streaming", " is", " fun", ".",
        ]
        var out: [UInt8] = []
        out.reserveCapacity(bytes + 4096)
        out += Array((#"event: message_start"# + "\n" + #"data: {"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-sonnet-4-20250514","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":0,"cache_read_input_tokens":10240,"output_tokens":1}}}"# + "\n\n").utf8)
        out += Array((#"event: content_block_start"# + "\n" + #"data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"# + "\n\n").utf8)
        let prefix = Array((#"event: content_block_delta"# + "\n" + #"data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":""#).utf8)
        let suffix = Array((#""}}"# + "\n\n").utf8)
        let pieceBytes = pieces.map { Array($0.utf8) }
        var counter = 0
        while out.count < bytes {
            out += prefix
            out += pieceBytes[counter % pieceBytes.count]
            out += suffix
            counter += 1
        }
        out += Array((#"event: content_block_stop"# + "\n" + #"data: {"type":"content_block_stop","index":0}"# + "\n\n").utf8)
        out += Array((#"event: message_delta"# + "\n" + #"data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":\#(counter)}}"# + "\n\n").utf8)
        out += Array((#"event: message_stop"# + "\n" + #"data: {"type":"message_stop"}"# + "\n\n").utf8)
        return out
    }
}

/// Keeps a value alive so the optimiser cannot drop the work that made it.
@inline(never)
private func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}

/// Prints one JSON object on one line, keys sorted.
private func printLine(_ fields: [String: Any]) {
    if let data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]),
       let line = String(data: data, encoding: .utf8) {
        print(line)
    }
}

extension Double {
    fileprivate func rounded(toPlaces places: Int) -> Double {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (self * scale).rounded() / scale
    }
}
