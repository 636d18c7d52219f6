/// A budget file (or the budgets of a server configuration) that could not be read: every
/// problem, each as "FILE: JSON path: what is wrong".
public struct BudgetFileError: Error, Sendable, Hashable, CustomStringConvertible {
    /// One line per problem.
    public var problems: [String]

    /// The problems, one per line.
    public var description: String { problems.joined(separator: "\n") }
}
