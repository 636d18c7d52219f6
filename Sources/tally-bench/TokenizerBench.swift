import ArgumentParser
import Foundation
import TallyTokenizer

/// `tally-bench tokenizer`: single-thread encode throughput of both encodings on the test corpus,
/// side by side with tiktoken in the same run, plus load time and memory of a loaded encoding.
/// With `--encode-cases`, it only encodes the given strings (Scripts/peer/tiktoken-check uses it).
struct TokenizerBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenizer",
        abstract: "Tokenizer throughput against tiktoken, load time and memory (JSON lines)."
    )

    @Option(help: "The corpus folder (default: Tests/TallyTokenizerTests/Corpus of this checkout).")
    var corpus: String?

    @Option(help: "Size the corpus is repeated to, in MB.")
    var megabytes: Int = 4

    @Option(help: "Timed runs per implementation and encoding; the best is reported.")
    var runs: Int = 5

    @Flag(help: "Skip the tiktoken side (python3 with tiktoken installed).")
    var noTiktoken = false

    @Option(help: "Encode the strings of this JSON file ([{\"text\":…,\"special\":bool}]) with both encodings instead of benchmarking.")
    var encodeCases: String?

    @Option(help: "Where --encode-cases writes its ids ([{\"o200k_base\":[…],\"cl100k_base\":[…]}]).")
    var output: String?

    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func run() throws {
        if let encodeCases {
            try Self.encode(cases: encodeCases, output: output)
            return
        }
        try benchmark()
    }

    struct Case: Decodable {
        var text: String
        var special: Bool
    }

    static func encode(cases path: String, output: String?) throws {
        // JSONDecoder, not JSONSerialization: on Linux the latter drops a U+FEFF that follows an
        // escape sequence ("\\t\u{FEFF}"), which --all-scalars found.
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        let encodings = try Encoding.Name.allCases.map { try Encoding.named($0) }
        var results: [[String: [Int]]] = []
        for item in cases {
            let text = item.text
            let special: Encoding.SpecialTokens = item.special ? .all : .none
            var ids: [String: [Int]] = [:]
            for encoding in encodings {
                ids[encoding.name.rawValue] = encoding.encode(text, allowedSpecial: special)
            }
            results.append(ids)
        }
        let json = try JSONSerialization.data(withJSONObject: results)
        if let output {
            try json.write(to: URL(fileURLWithPath: output))
        } else {
            FileHandle.standardOutput.write(json)
        }
    }

    func benchmark() throws {
        let folder = corpus.map { URL(fileURLWithPath: $0) }
            ?? Self.repositoryRoot.appendingPathComponent("Tests/TallyTokenizerTests/Corpus")
        var sample = Data()
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        where file.hasSuffix(".txt") {
            sample.append(try Data(contentsOf: folder.appendingPathComponent(file)))
        }
        guard !sample.isEmpty else { throw ValidationError("no .txt files in \(folder.path)") }
        let target = megabytes * 1_000_000
        var corpusData = Data()
        while corpusData.count < target { corpusData.append(sample) }
        let text = String(decoding: corpusData, as: UTF8.self)
        let bytes = text.utf8.count

        // Load time and memory: a fresh, unshared copy of each encoding. The first load also
        // builds the per-process scalar class table that both encodings share.
        for (index, name) in Encoding.Name.allCases.enumerated() {
            let rssBefore = Self.residentBytes()
            let start = ContinuousClock.now
            let encoding = try Encoding.loadUncached(name)
            let seconds = Self.seconds(ContinuousClock.now - start)
            let rssAfter = Self.residentBytes()
            let delta = rssBefore.flatMap { before in rssAfter.map { $0 - before } }
            Self.emit([
                "suite": "tokenizer", "measure": "load", "encoding": name.rawValue,
                "load_ms": (seconds * 1000 * 10).rounded() / 10,
                "rss_delta_mb": delta.map { (Double($0) / 1_048_576 * 10).rounded() / 10 } as Any,
                "tokens": encoding.ordinaryTokenCount,
                "includes_scalar_table": index == 0,
            ])
        }

        // Tally and tiktoken run alternately (one tiktoken child kept alive), so that load from
        // other processes hits both sides alike; the best of `runs` of each is compared, and the
        // median of the ratios of adjacent pairs is reported too.
        let peer = noTiktoken ? nil : try TiktokenPeer(corpus: corpusData)
        defer { peer?.close() }
        for name in Encoding.Name.allCases {
            let encoding = try Encoding.named(name)
            var best = Double.infinity
            var peerBest = Double.infinity
            var peerTokens = 0
            var ratios: [Double] = []
            var tokens = 0
            for _ in 0..<runs {
                let start = ContinuousClock.now
                tokens = encoding.encode(text).count
                let seconds = Self.seconds(ContinuousClock.now - start)
                best = min(best, seconds)
                if let peer {
                    let (peerSeconds, count) = try peer.time(name.rawValue)
                    peerBest = min(peerBest, peerSeconds)
                    peerTokens = count
                    ratios.append(peerSeconds / seconds)
                }
            }
            var countBest = Double.infinity
            for _ in 0..<runs {
                let start = ContinuousClock.now
                _ = encoding.count(text)
                countBest = min(countBest, Self.seconds(ContinuousClock.now - start))
            }
            var line: [String: Any] = [
                "suite": "tokenizer", "measure": "throughput", "encoding": name.rawValue, "bytes": bytes,
                "tokens": tokens, "runs": runs,
                "tally_mb_per_s": Self.round(Double(bytes) / best / 1_000_000),
                "tally_tokens_per_s": Int(Double(tokens) / best),
                "tally_count_mb_per_s": Self.round(Double(bytes) / countBest / 1_000_000),
            ]
            if peer != nil {
                ratios.sort()
                line["tiktoken_mb_per_s"] = Self.round(Double(bytes) / peerBest / 1_000_000)
                line["tiktoken_tokens_per_s"] = Int(Double(peerTokens) / peerBest)
                line["tiktoken_tokens"] = peerTokens
                line["speedup_best"] = Self.round(peerBest / best)
                line["speedup_median_pair"] = Self.round(ratios[ratios.count / 2])
            }
            Self.emit(line)
        }
    }

    /// A python3 child with tiktoken that times `encode_ordinary` (single thread) on the same
    /// bytes, once per line naming an encoding that it reads on stdin.
    final class TiktokenPeer {
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        let file: URL
        var buffered = Data()

        static let script = """
        import json, struct, sys, time
        import tiktoken, tiktoken_ext.openai_public as op
        root, path = sys.argv[1], sys.argv[2]
        text = open(path, 'rb').read().decode('utf-8', errors='replace')
        encodings = {}
        for name in ('o200k_base', 'cl100k_base'):
            blob = open(f'{root}/Sources/CTallyVocab/{name}.tallyvocab', 'rb').read()
            (n,) = struct.unpack('<I', blob[8:12]); off = 12 + n; ranks = {}
            for r in range(n):
                ranks[blob[off:off + blob[12 + r]]] = r; off += blob[12 + r]
            op.load_tiktoken_bpe = lambda *a, **k: ranks
            encodings[name] = tiktoken.Encoding(**getattr(op, name)())
            encodings[name].encode_ordinary(text[:10000])
        print('ready', flush=True)
        for line in sys.stdin:
            enc = encodings[line.strip()]
            t = time.perf_counter(); ids = enc.encode_ordinary(text); t = time.perf_counter() - t
            print(json.dumps([t, len(ids)]), flush=True)
        """

        init(corpus: Data) throws {
            file = FileManager.default.temporaryDirectory.appendingPathComponent("tally-bench-tokenizer-\(getpid()).txt")
            try corpus.write(to: file)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", Self.script, TokenizerBench.repositoryRoot.path, file.path]
            process.standardInput = input
            process.standardOutput = output
            try process.run()
            guard try readLine() == "ready" else {
                throw ValidationError("tiktoken did not start (pip install tiktoken, or pass --no-tiktoken)")
            }
        }

        func readLine() throws -> String? {
            while true {
                if let newline = buffered.firstIndex(of: 0x0A) {
                    let line = String(decoding: buffered[buffered.startIndex..<newline], as: UTF8.self)
                    buffered = Data(buffered[(newline + 1)...])
                    return line
                }
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { return nil }
                buffered.append(chunk)
            }
        }

        func time(_ encoding: String) throws -> (seconds: Double, tokens: Int) {
            input.fileHandleForWriting.write(Data((encoding + "\n").utf8))
            guard let line = try readLine(),
                  let pair = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [Double], pair.count == 2 else {
                throw ValidationError("tiktoken run failed")
            }
            return (pair[0], Int(pair[1]))
        }

        func close() {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
            try? FileManager.default.removeItem(at: file)
        }
    }

    /// The process's resident set size, from /proc/self/statm (Linux), or nil.
    static func residentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func round(_ value: Double) -> Double { (value * 100).rounded() / 100 }

    static func emit(_ object: [String: Any]) {
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
            print(String(decoding: data, as: UTF8.self))
        }
    }
}
