import Foundation
import Synchronization
import TallyLedger
import TallyPricing

/// Finds the spent budget that covers a request, if any. Each budget's standing is read from the
/// ledger's rollups and kept for a second, so a busy project costs one query a second.
final class BudgetGuard: Sendable {
    private let budgets: [Budget]
    private let reader: LedgerReader
    private let cache = Mutex<[Int: (standing: BudgetStanding, readAt: ContinuousClock.Instant)]>([:])
    private static let freshness: Duration = .seconds(1)

    init(budgets: [Budget], reader: LedgerReader) {
        self.budgets = budgets
        self.reader = reader
    }

    /// Whether no budget is configured, so nothing is ever refused.
    var isEmpty: Bool { budgets.isEmpty }

    /// The first budget covering `attribution` that is spent, with its standing; nil when the request may spend.
    func spentBudget(covering attribution: Attribution, now: Date = Date()) async throws -> BudgetStanding? {
        for (index, budget) in budgets.enumerated() where budget.covers(attribution) {
            let standing = try await standing(of: index, now: now)
            if standing.verdict == .spent { return standing }
        }
        return nil
    }

    /// Budget `index`'s standing, from the cache while it is fresh and of the current period.
    private func standing(of index: Int, now: Date) async throws -> BudgetStanding {
        let clock = ContinuousClock.now
        if let cached = cache.withLock({ $0[index] }), clock - cached.readAt < Self.freshness, cached.standing.period.contains(now) {
            return cached.standing
        }
        let standing = try await reader.standing(of: budgets[index], at: now)
        cache.withLock { $0[index] = (standing, clock) }
        return standing
    }
}
