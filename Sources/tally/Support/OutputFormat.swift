import ArgumentParser

/// How a reading command prints its result.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Aligned columns for a person.
    case table
    /// A JSON document with exact amounts, for programs.
    case json
    /// Comma-separated values with a header row, for spreadsheets.
    case csv
}

/// The `--format` flag shared by every reading command.
struct FormatOptions: ParsableArguments {
    @Option(help: "Output format: table, json or csv.")
    var format: OutputFormat = .table
}
