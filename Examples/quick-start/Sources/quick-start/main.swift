// One metered call: open the ledger with the bundled prices, make a Gateway for an upstream,
// call it. Set OPENAI_API_KEY (and OPENAI_BASE_URL for a relay); the row goes to TALLY_LEDGER
// or ./ledger.sqlite.
import Foundation
import TallyGateway
import TallyLedger
import TallyPricing

let environment = ProcessInfo.processInfo.environment
var upstream = Upstream.openAI(apiKey: environment["OPENAI_API_KEY"])
if let baseURL = environment["OPENAI_BASE_URL"] { upstream.baseURL = baseURL }
let body = #"{"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "Say hello."}]}"#

let ledger = try Ledger(path: environment["TALLY_LEDGER"] ?? "ledger.sqlite", prices: PriceBook())
let gateway = try Gateway(upstream: upstream, ledger: ledger)
let reply = try await gateway.send(GatewayRequest(endpoint: .chatCompletions, json: body))

print(String(decoding: reply.body, as: UTF8.self))
print("usage: \(reply.usage.input) in, \(reply.usage.output) out; cost: \(reply.charge.map { "\($0.cost)" } ?? "unknown"); ledger row \(reply.ledgerSequence)")
