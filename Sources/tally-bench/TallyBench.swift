import ArgumentParser

/// `tally-bench`: the benchmark suites. Each prints one JSON object per line.
@main
struct TallyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tally-bench",
        abstract: "Tally's benchmarks; run with `swift run -c release tally-bench SUITE`.",
        subcommands: [
            StreamBench.self,
            TokenizerBench.self,
            TransportBench.self,
            GatewayBench.self,
            ServeBench.self,
            LedgerBench.self,
        ]
    )
}
