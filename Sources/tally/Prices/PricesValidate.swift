import ArgumentParser
import TallyPricing

/// `tally prices validate [FILE…]`: checks price tables without using them.
struct PricesValidate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check the bundled price tables, or the given files and folders on top of them.",
        discussion: "Prints one line per problem (file, JSON path, what is wrong) and exits 65 when any is found."
    )

    @Argument(help: "Price table files or folders; none checks the bundled tables and those of --pricing and TALLY_PRICING.")
    var files: [String] = []

    @OptionGroup var pricing: PricingOptions

    func run() async throws {
        try await reportingFailures {
            let sources = try PriceTableFiles.sources(at: pricing.allPaths + files)
            let book = try PriceTableFiles.book(userTables: sources)
            let models = book.tables.reduce(0) { $0 + $1.models.count }
            let checked = files.isEmpty && pricing.allPaths.isEmpty ? "bundled tables" : "\(sources.count) file(s) on top of the bundled tables"
            write("ok: \(checked) valid; \(book.tables.count) providers, \(models) models\n")
        }
    }
}
