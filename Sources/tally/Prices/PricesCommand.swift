import ArgumentParser

/// `tally prices`: price tables, side by side.
struct PricesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prices",
        abstract: "List, compare, validate and import price tables.",
        subcommands: [PricesList.self, PricesShow.self, PricesCompare.self, PricesValidate.self, PricesDiff.self, PricesImport.self]
    )
}
