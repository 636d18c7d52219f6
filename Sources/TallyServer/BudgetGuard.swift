import Foundation
import Synchronization
import TallyLedger
import TallyPricing

/// Refuses a project's requests once its spend this period reaches its budget. Spend is read
/// from the ledger's rollups and kept for a second, so a busy project costs one query a second.
final class BudgetGuard: Sendable {
    private let budgets: [String: ServerConfiguration.ProjectBudget]
    private let reader: LedgerReader
    private let cache = Mutex<[String: (spend: Money, readAt: ContinuousClock.Instant)]>([:])
    private static let freshness: Duration = .seconds(1)

    init(budgets: [ServerConfiguration.ProjectBudget], reader: LedgerReader) {
        self.budgets = Dictionary(budgets.map { ($0.project, $0) }, uniquingKeysWith: { $1 })
        self.reader = reader
    }

    /// The budget a project is over, with its spend; nil when it may spend.
    func exceeded(project: String?) async throws -> (budget: ServerConfiguration.ProjectBudget, spend: Money)? {
        guard let project, let budget = budgets[project] else { return nil }
        let now = ContinuousClock.now
        if let cached = cache.withLock({ $0[project] }), now - cached.readAt < Self.freshness {
            return cached.spend >= budget.limit ? (budget, cached.spend) : nil
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        let interval = calendar.dateInterval(of: budget.period == "day" ? .day : .month, for: Date())
        let range = (interval?.start ?? Date())..<(interval?.end ?? Date())
        let summary = try await reader.summary(range: range, filter: Report.Filter(project: project))
        cache.withLock { $0[project] = (summary.total.cost, now) }
        return summary.total.cost >= budget.limit ? (budget, summary.total.cost) : nil
    }
}
