import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import TallyGateway
import Synchronization
import TallyLedger
import TallyPricing
import TallyServer

/// `tally serve`: the metering proxy.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the metering proxy: OpenAI- and Anthropic-compatible routes that meter every call into the ledger.",
        discussion: """
            Point an app's base URL at http://127.0.0.1:8787/v1 (OpenAI SDKs) or http://127.0.0.1:8787 \
            (Anthropic SDKs). Without --config, one OpenAI upstream comes from OPENAI_BASE_URL and \
            OPENAI_API_KEY and one Anthropic upstream from ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY. \
            An upstream base URL (these variables, or base_url in --config) with no path is the host's \
            /v1, so both SDK conventions work: https://api.anthropic.com (as the Anthropic SDK \
            writes it) and https://api.anthropic.com/v1 both send POST /v1/messages, and \
            https://api.openai.com/v1 (as the OpenAI SDK writes it) and https://api.openai.com both \
            send POST /v1/chat/completions; any other path is kept as given. \
            SIGTERM or SIGINT stops accepting, lets streams finish up to --shutdown-timeout, writes every \
            ledger row and exits 0.
            """
    )

    @Option(help: ArgumentHelp("Where to listen (loopback unless told otherwise).", valueName: "host:port"))
    var listen: String?

    @Option(help: "A JSON configuration file: upstreams, gateway keys, budgets, CORS origins (see the README).")
    var config: String?

    @Option(name: .customLong("cors-origin"), help: "An origin to answer CORS requests from (repeatable).")
    var corsOrigins: [String] = []

    @Option(help: "Seconds to let streams finish on SIGTERM/SIGINT before cancelling them.")
    var shutdownTimeout: Int = 30

    @Option(help: "Seconds an upstream may send no byte before its request fails (a slow client pauses it instead).")
    var idleTimeout: Int = 300

    @Option(help: "Seconds to wait for a connection to an upstream.")
    var connectTimeout: Int = 10

    func validate() throws {
        guard idleTimeout > 0, connectTimeout > 0, shutdownTimeout >= 0 else {
            throw ValidationError("--idle-timeout and --connect-timeout must be positive, --shutdown-timeout not negative")
        }
        if spool != nil, noSpool {
            throw ValidationError("--spool and --no-spool: pass one or the other")
        }
    }

    @Option(help: ArgumentHelp(
        "Meter into this local SQLite spool and ship its rows to --ledger in the background.",
        discussion: "Requests then never wait on the ledger's server, and go on being metered while it is down; the spool's rows ship (each exactly once) within a second, or as soon as the server is back. Budgets count this spool's spend only. Default with a postgres:// ledger: $XDG_STATE_HOME/tally/spool-HASH.sqlite (~/.local/state/tally/…), one per ledger.",
        valueName: "path"
    ))
    var spool: String?

    @Flag(name: .customLong("no-spool"), help: "Write a postgres:// ledger straight through, a round trip per request, and refuse to start without its server.")
    var noSpool = false

    @OptionGroup var pricing: PricingOptions
    @OptionGroup var ledger: LedgerOptions

    func run() async throws {
        try await reportingLedgerFailures {
            var configuration: ServerConfiguration
            if let config {
                let data = try PriceTableFiles.read(config, what: "the server configuration")
                do {
                    configuration = try ServerConfiguration.load(data, file: config)
                } catch let error as ServerConfigurationError {
                    throw Failure(lines: error.problems, status: ExitStatus.data)
                }
            } else {
                configuration = .fromEnvironment()
            }
            if let listen { configuration.listen = listen }
            configuration.corsOrigins += corsOrigins
            let (host, port) = try Self.hostAndPort(configuration.listen)

            let book = try pricing.loadBook()
            let transport: Transport
            do {
                transport = try Transport(configuration: .init(
                    connectTimeout: .seconds(connectTimeout), idleTimeout: .seconds(idleTimeout)
                ))
            } catch {
                throw Failure("cannot start libcurl: \(error)", status: ExitStatus.io)
            }
            // Nothing is created (the ledger, its folder) before the address is known to be free.
            if let reason = ListenCheck.failure(host: host, port: port) {
                throw Failure("cannot listen on \(configuration.listen): \(reason) (--listen)", status: ExitStatus.unavailable)
            }
            let location = try ledger.location()
            var logger = Logger(label: "tally.serve")
            logger.logLevel = .info
            // With a spool, the requests are metered into it and the shared ledger is only shipped
            // to, so a server that is down at start does not keep the proxy from starting.
            let spoolFile: String?
            if let spool {
                spoolFile = try spoolPath(spool, shippingTo: location)
            } else if case .postgres = location, !noSpool {
                spoolFile = LedgerLocation.defaultSpoolPath(for: location)
            } else {
                spoolFile = nil
            }
            let opened = try await Ledger.open(spoolFile.map { .file($0) } ?? location, prices: book)
            if !ProxyServer.isLoopback(host), configuration.gatewayKeys.isEmpty {
                logger.warning("listening on \(host), which is not loopback, without gateway keys: anyone who can reach this port can spend through it. Add gateway_keys to the configuration.")
            }
            for entry in configuration.upstreams where entry.upstream.apiKey == nil && !configuration.allowClientKeys {
                logger.warning("upstream \(entry.name) has no API key\(entry.apiKeyEnvironment.map { " (\($0) is not set)" } ?? "")")
            }
            let server = try ProxyServer(configuration: configuration, ledger: opened, prices: book, transport: transport, logger: logger)
            let upstreams = configuration.upstreams.map { "\($0.name) → \($0.upstream.apiRoot)" }.joined(separator: ", ")
            let app = server.application(host: host, port: port) { boundPort in
                let ledgers = spoolFile.map { "spool \($0), shipped to \(location)" } ?? "ledger \(opened.location)"
                FileHandle.standardError.write(Data("tally serve: listening on http://\(host):\(boundPort) (\(ledgers); upstreams: \(upstreams))\n".utf8))
            }
            // A server ledger's connections are a service listed first, so closed last: rows of
            // requests still finishing during a graceful shutdown are written before they close.
            var services: [any Service] = [app]
            let shippingService = spoolFile.map { _ in
                var shipping = SpoolShipping(spool: opened, target: location) { message in
                    FileHandle.standardError.write(Data("tally serve: \(message)\n".utf8))
                }
                shipping.observeBacklog = { server.recordSpoolBacklog($0) }
                return ShippingService(shipping: shipping)
            }
            if let shippingService {
                services.insert(shippingService, at: 0)
            } else if case .postgres = location {
                services.insert(LedgerService(ledger: opened), at: 0)
            }
            var groupConfiguration = ServiceGroupConfiguration(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            groupConfiguration.maximumGracefulShutdownDuration = .seconds(max(0, shutdownTimeout))
            do {
                try await ServiceGroup(configuration: groupConfiguration).run()
            } catch {
                guard let reason = ProxyServer.listenFailure(error) else { throw error }
                throw Failure("cannot listen on \(configuration.listen): \(reason) (--listen)", status: ExitStatus.unavailable)
            }
            if let shippingService, let spoolFile {
                let left = shippingService.unshipped.withLock { $0 }
                let shipped = left == 0 ? "every row shipped to \(location)" : "\(left.map { "\($0)" } ?? "some") row(s) wait in it for the next start or `tally ledger ship`"
                FileHandle.standardError.write(Data("tally serve: stopped; every ledger row written to the spool \(spoolFile), \(shipped)\n".utf8))
            } else {
                FileHandle.standardError.write(Data("tally serve: stopped; every ledger row written\n".utf8))
            }
        }
    }

    /// "127.0.0.1:8787", "[::1]:8787" or ":8787" (loopback).
    static func hostAndPort(_ text: String) throws -> (String, Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw Failure("--listen \(text): expected HOST:PORT such as 127.0.0.1:8787", status: ExitStatus.usage)
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }
}

/// A server ledger's connections as a service of `tally serve`'s group: closed when the group
/// shuts down, after the HTTP server (which is listed after it) has finished its requests.
private struct LedgerService: Service {
    let ledger: Ledger

    func run() async {
        await cancelWhenGracefulShutdown { await ledger.run() }
    }
}

/// A spool's shipping as a service of `tally serve`'s group, listed first so it stops last: on
/// a graceful shutdown, after the HTTP server has finished its requests, it makes a last pass.
private final class ShippingService: Service, Sendable {
    let shipping: SpoolShipping
    let stop = ShippingStop()
    /// The spool's rows the ledger lacked at the end (nil: unknown).
    let unshipped = Mutex<Int64?>(nil)

    init(shipping: SpoolShipping) {
        self.shipping = shipping
    }

    func run() async {
        let left = await withGracefulShutdownHandler {
            await shipping.run(until: stop)
        } onGracefulShutdown: { [stop] in
            stop.raise()
        }
        unshipped.withLock { $0 = left }
    }
}
