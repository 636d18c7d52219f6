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
    /// The tables at the given paths; a folder contributes every `.json` below it, in path order.
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
                    if relative.hasSuffix(".json"), !relative.hasSuffix("schema.json") {
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
}
