import ArgumentParser
import Foundation
import TallyGateway
import TallyLedger
import TallyPricing
import TallyDemo

/// `tally demo`: meters simulated traffic end to end, with no network and no API key.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Send simulated LLM traffic through a real Gateway and show the month's spend and savings.",
        discussion: """
            Starts a simulated provider on 127.0.0.1 inside this process (nothing leaves the machine,
            no key is needed, nothing is billed), sends streamed and non-streamed requests for several
            models and projects through a metering Gateway over libcurl, with a few failures and a
            cancellation, writes them to a fresh ledger, and prints the month's spend, list cost and
            savings read back from it.
            """
    )

    @Option(help: ArgumentHelp("Where to write the demo ledger; it must not exist yet. Default: a new temporary folder.", valueName: "path"))
    var ledger: String?

    @Option(help: "How many successful requests to send (the failures and the cancellation come on top).")
    var requests: Int = 36

    @OptionGroup var pricing: PricingOptions

    func validate() throws {
        guard (1...10_000).contains(requests) else { throw ValidationError("--requests must be between 1 and 10000") }
    }

    func run() async throws {
        try await reportingLedgerFailures {
            let path = try ledgerPath()
            let prices = try pricing.loadBook()
            let simulation = try DemoSimulation(ledgerPath: path, prices: prices)
            let outcome = try await simulation.run(requests: requests)
            try await DemoReport(ledger: simulation.ledger, path: path, outcome: outcome).print()
        }
    }

    private func ledgerPath() throws -> String {
        if let ledger {
            guard !FileManager.default.fileExists(atPath: ledger) else {
                throw Failure("\(ledger) already exists: the demo writes a fresh ledger, give a new path", status: ExitStatus.usage)
            }
            return ledger
        }
        let directory = NSTemporaryDirectory() + "tally-demo-" + UUID().uuidString.prefix(8).lowercased()
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw Failure("cannot create \(directory): \(error.localizedDescription)", status: ExitStatus.io)
        }
        return directory + "/ledger.sqlite"
    }
}
