/// One thing wrong in a price table: the file, the JSON path, and what is wrong.
public struct PriceTableProblem: Sendable, Hashable, CustomStringConvertible {
    /// The table's file (bundled path or user path).
    public var file: String
    /// The JSON path of the offending value (`$.models["gpt-4.1"].prices[0].output`).
    public var path: String
    /// What is wrong, and where it helps, what to write instead.
    public var message: String

    /// Creates a problem.
    public init(file: String, path: String, message: String) {
        self.file = file
        self.path = path
        self.message = message
    }

    /// "file: path: message", one line.
    public var description: String { "\(file): \(path): \(message)" }
}

/// Price tables that could not be loaded; nothing of them was loaded.
public struct PriceTableError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Every problem found, in file order.
    public var problems: [PriceTableProblem]

    /// Creates an error from its problems.
    public init(problems: [PriceTableProblem]) { self.problems = problems }

    /// One line per problem.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
