import Hummingbird
import Logging
import TallyLedger
import TallyPricing

/// Refuses a request while a budget that covers its attribution is spent: 429 in the route's
/// wire format, `rate_limit_error` with code `budget_exceeded`, as SDKs show a provider's limits.
struct BudgetMiddleware: RouterMiddleware {
    typealias Context = ProxyRequestContext
    let budgets: BudgetGuard
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !budgets.isEmpty else { return try await next(request, context) }
        let spent: BudgetStanding?
        do {
            spent = try await budgets.spentBudget(covering: context.attribution)
        } catch {
            let id = context.requestID ?? ""
            logger.error("request \(id) failed: \(error)")
            throw WireError(dialect: context.dialect, status: .internalServerError, type: "api_error",
                            message: "tally serve could not handle request \(id); its log says why", code: nil, requestID: context.requestID)
        }
        if let spent {
            throw WireError(dialect: context.dialect, status: .tooManyRequests, type: "rate_limit_error",
                            message: Self.message(spent), code: "budget_exceeded", requestID: context.requestID)
        }
        return try await next(request, context)
    }

    /// "project alpha is over its month budget: spent $0.2812 of $0.10", with the budget's name
    /// when it is not the project's.
    static func message(_ standing: BudgetStanding) -> String {
        let budget = standing.budget
        var scope: [String] = []
        if let project = budget.project { scope.append("project \(project)") }
        if let user = budget.user { scope.append("user \(user)") }
        let who = scope.isEmpty ? "this gateway" : scope.joined(separator: ", ")
        let name = budget.name.flatMap { $0 == budget.project ? nil : " \"\($0)\"" } ?? ""
        return "\(who) is over its \(budget.period.unit.rawValue) budget\(name): spent $\(standing.spend.decimalString) of $\(budget.limit.decimalString)"
    }
}
