import Foundation
import TallyStream

/// Recorded-shape provider streams and bodies under Tests/TallyStreamTests/Fixtures.
enum Fixture {
    struct Missing: Error, CustomStringConvertible {
        var name: String
        var description: String { "fixture \(name) is missing from the test bundle" }
    }

    /// The bytes of a fixture file.
    static func bytes(_ name: String) throws -> [UInt8] {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
            throw Missing(name: name)
        }
        return Array(try Data(contentsOf: url))
    }

    /// Every event of a fixture stream, fed through the parser in `chunkSize` reads.
    static func sseEvents(_ name: String, chunkSize: Int = 4096) throws -> [SSEEvent] {
        let stream = try bytes(name)
        var parser = SSEParser()
        var events: [SSEEvent] = []
        var offset = 0
        while offset < stream.count {
            let end = min(offset + chunkSize, stream.count)
            try parser.parse(stream[offset..<end]) { events.append($0) }
            offset = end
        }
        _ = parser.finish()
        return events
    }

    /// The typed events of a fixture stream and the decoder that read them.
    static func decoded(
        _ name: String, format: WireFormat, usageConvention: UsageConvention = .standard, chunkSize: Int = 4096
    ) throws -> (events: [StreamEvent], decoder: StreamDecoder) {
        var decoder = StreamDecoder(format: format, usageConvention: usageConvention)
        var events: [StreamEvent] = []
        for event in try sseEvents(name, chunkSize: chunkSize) {
            decoder.decode(event) { events.append($0) }
        }
        return (events, decoder)
    }
}
