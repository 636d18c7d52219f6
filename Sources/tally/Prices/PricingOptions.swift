import ArgumentParser
import Foundation
import TallyPricing

/// The `--pricing` flag: the user's own price tables on top of the bundled ones.
struct PricingOptions: ParsableArguments {
    @Option(
        name: .customLong("pricing"),
        help: ArgumentHelp(
            "A price table file, or a folder of them, overriding and extending the bundled tables (repeatable).",
            discussion: "Tables from TALLY_PRICING (paths separated by ':') load first, then these.",
            valueName: "path"
        )
    )
    var paths: [String] = []

    /// Every user table path: TALLY_PRICING's, then the flags'.
    var allPaths: [String] {
        let environment = ProcessInfo.processInfo.environment["TALLY_PRICING"] ?? ""
        return environment.split(separator: ":").map(String.init) + paths
    }

    /// Loads the bundled tables and the user's; on any problem, a `Failure` listing each (exit 65).
    func loadBook() throws -> PriceBook {
        let sources = try PriceTableFiles.sources(at: allPaths)
        return try PriceTableFiles.book(userTables: sources)
    }
}

/// Reads price table files and folders into `PriceBook` sources.
enum PriceTableFiles {
    /// The names of `pricing/`'s own files that are not price tables, skipped in a folder.
    static let notTables = ["schema.json", "overrides.json"]

    /// The tables at the given paths; a folder contributes every `.json` below it except
    /// `schema.json` and `overrides.json`, in path order.
    static func sources(at paths: [String]) throws -> [PriceBook.Source] {
        var sources: [PriceBook.Source] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw Failure("\(path): no such price table file or folder", status: ExitStatus.io)
            }
            let files: [String]
            if isDirectory.boolValue {
                let walker = FileManager.default.enumerator(atPath: path)
                var found: [String] = []
                while let relative = walker?.nextObject() as? String {
                    if relative.hasSuffix(".json"), !notTables.contains((relative as NSString).lastPathComponent) {
                        found.append((path as NSString).appendingPathComponent(relative))
                    }
                }
                files = found.sorted()
            } else {
                files = [path]
            }
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw Failure("\(file): cannot read the price table", status: ExitStatus.io)
                }
                sources.append(PriceBook.Source(origin: file, bytes: Array(data)))
            }
        }
        return sources
    }

    /// A price book of the bundled tables and these; every problem becomes a line of the failure.
    static func book(includingBundled: Bool = true, userTables: [PriceBook.Source]) throws -> PriceBook {
        do {
            return try PriceBook(includingBundled: includingBundled, userTables: userTables)
        } catch {
            throw Failure(lines: error.problems.map(\.description), status: ExitStatus.data)
        }
    }

    /// A file's bytes, or a failure naming it (exit 74).
    static func read(_ path: String, what: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard !(FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue),
              let data = FileManager.default.contents(atPath: path) else {
            throw Failure("\(path): cannot read \(what): \(FileProblem.reason(path: path))", status: ExitStatus.io)
        }
        return data
    }

    /// A `YYYY-MM-DD` flag value, today when absent.
    static func day(_ text: String?, flag: String) throws -> CalendarDay {
        guard let text else { return CalendarDay(secondsSinceEpoch: Int64(Date().timeIntervalSince1970)) }
        guard let day = CalendarDay(text) else {
            throw Failure("\(flag) \(text): not a date of the form YYYY-MM-DD", status: ExitStatus.usage)
        }
        return day
    }

    /// Imports a LiteLLM price list; its problems become the failure's lines (exit 65).
    static func importLiteLLM(_ path: String, providers: [String] = LiteLLMImporter.defaultProviders, updated: CalendarDay) throws -> LiteLLMImporter.Result {
        let data = try read(path, what: "the LiteLLM price list")
        do {
            return try LiteLLMImporter.tables(from: data, providers: providers, source: "LiteLLM \(URL(filePath: path).lastPathComponent)", updated: updated)
        } catch {
            throw Failure(lines: error.problems.map(\.description), status: ExitStatus.data)
        }
    }

    /// Imports a genai-prices file; its problems become the failure's lines (exit 65).
    static func importGenAIPrices(_ path: String, providers: [String], updated: CalendarDay) throws -> GenAIPricesImporter.Result {
        let data = try read(path, what: "the genai-prices data")
        do {
            return try GenAIPricesImporter.tables(
                from: data, providers: providers, source: "genai-prices \(URL(filePath: path).lastPathComponent)", updated: updated
            )
        } catch {
            throw Failure(lines: error.problems.map(\.description), status: ExitStatus.data)
        }
    }

    /// Writes tables as `<provider>.json` into a folder, after checking that every one of them
    /// reads back; nothing is written when any fails. Returns the paths written.
    static func write(_ tables: [PriceTable], to folder: String) throws -> [String] {
        var outputs: [(path: String, text: String)] = []
        for table in tables {
            let text = PriceTableWriter.json(table)
            let path = (folder as NSString).appendingPathComponent("\(table.provider).json")
            _ = try book(includingBundled: false, userTables: [PriceBook.Source(origin: path, bytes: Array(text.utf8))])
            outputs.append((path, text))
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw Failure("\(folder): cannot create the output folder: \(error.localizedDescription)", status: ExitStatus.io)
        }
        for (path, text) in outputs {
            do {
                try Data(text.utf8).write(to: URL(filePath: path), options: .atomic)
            } catch {
                throw Failure("\(path): cannot write: \(error.localizedDescription)", status: ExitStatus.io)
            }
        }
        return outputs.map(\.path)
    }
}
