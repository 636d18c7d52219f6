// swift-tools-version: 6.1
import PackageDescription

/// One settings list for every target, so every re-export is deliberate and every
/// existential is spelled `any`.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "tally",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tally", targets: ["tally"]),
        .library(name: "TallyUsage", targets: ["TallyUsage"]),
        .library(name: "TallyJSON", targets: ["TallyJSON"]),
        .library(name: "TallyPricing", targets: ["TallyPricing"]),
        .library(name: "TallyLedger", targets: ["TallyLedger"]),
        .library(name: "TallyStream", targets: ["TallyStream"]),
        .library(name: "TallyTokenizer", targets: ["TallyTokenizer"]),
        .library(name: "TallyGateway", targets: ["TallyGateway"]),
        .library(name: "TallyServer", targets: ["TallyServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.70.0"),
        // The PostgreSQL ledger: postgres-nio speaks the wire protocol, swift-nio-ssl its TLS.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.27.0"),
    ],
    targets: [
        // The tokens of one request (`Usage`): the value type pricing, decoding and the ledger share. Pure, no dependencies.
        .target(name: "TallyUsage", swiftSettings: swiftSettings),
        // The one strict JSON reader (a pull reader; whole documents as `JSONValue`) and writer.
        // Pure, no dependencies: the price tables, stream decoders, tokenizer, gateway, proxy and
        // CLI all read JSON through it.
        .target(name: "TallyJSON", swiftSettings: swiftSettings),
        // Price tables, exact money, model resolution and the cost of a usage. Pure.
        .target(
            name: "TallyPricing",
            dependencies: ["TallyJSON", "TallyUsage"],
            swiftSettings: swiftSettings,
            plugins: ["EmbedFiles"]
        ),
        // The ledger: SQLite (embedded) and PostgreSQL stores, migrations, append, in-flight journal, report queries.
        .target(
            name: "TallyLedger",
            dependencies: [
                "TallyJSON",
                "TallyPricing",
                "TallyUsage",
                .product(name: "GRDB", package: "GRDB.swift"),
                // The SQLite C API GRDB links, for binding rows on the append path.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                // The PostgreSQL store, its TLS settings, and the connection errors it names.
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings,
            plugins: ["EmbedFiles"]
        ),
        // Incremental SSE parsing and wire decoders. Pure: no I/O.
        .target(
            name: "TallyStream",
            dependencies: ["TallyJSON", "TallyUsage"],
            swiftSettings: swiftSettings
        ),
        // tiktoken-compatible BPE. Pure.
        .target(
            name: "TallyTokenizer",
            dependencies: ["CTallyVocab", "TallyJSON"],
            swiftSettings: swiftSettings
        ),
        // The tokenizer's vocabularies embedded with `.incbin` (written by Scripts/convert-vocab),
        // and SHA-256 from the system libcrypto to check them at load.
        .target(
            name: "CTallyVocab",
            exclude: ["cl100k_base.tallyvocab", "o200k_base.tallyvocab"],
            linkerSettings: [.linkedLibrary("crypto", .when(platforms: [.linux]))]
        ),
        // libcurl, the system library, with typed wrappers for its variadic C functions.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // Transport (libcurl multi), retry policy, provider adapters and the metering Gateway.
        .target(
            name: "TallyGateway",
            dependencies: [
                "CCurl", "TallyJSON", "TallyPricing", "TallyStream", "TallyTokenizer", "TallyLedger", "TallyUsage",
                // Header fields as HTTPFields, the type Hummingbird and the server already speak.
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        // `tally demo`: a simulated provider on loopback (Hummingbird) and the demo's traffic.
        .target(
            name: "TallyDemo",
            dependencies: [
                "TallyGateway",
                "TallyJSON",
                "TallyLedger",
                "TallyPricing",
                "TallyStream",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test-only code shared by test targets and benchmarks: the fake upstream HTTP server
        // with fault injection. Never linked into `tally`.
        .target(
            name: "TallyTestSupport",
            // TallyJSON for its JSON string escaping; HTTPTypes for header fields written in tests.
            dependencies: ["TallyJSON", .product(name: "HTTPTypes", package: "swift-http-types")],
            swiftSettings: swiftSettings
        ),
        // The metering proxy: OpenAI- and Anthropic-compatible routes over Gateway (Hummingbird 2).
        .target(
            name: "TallyServer",
            dependencies: [
                "TallyGateway",
                "TallyJSON",
                "TallyLedger",
                "TallyPricing",
                "TallyStream",
                "TallyUsage",
                .product(name: "Hummingbird", package: "hummingbird"),
                // HTTP1Channel's configuration: a handler on each connection notices a client leave.
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // The command-line tool: parses, calls the modules, formats.
        .executableTarget(
            name: "tally",
            dependencies: [
                "TallyServer",
                "TallyJSON",
                "TallyPricing",
                "TallyLedger",
                "TallyStream",
                "TallyTokenizer",
                "TallyGateway",
                "TallyDemo",
                "TallyUsage",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // Benchmarks; each suite prints JSON lines. `swift run -c release tally-bench --help`.
        .executableTarget(
            name: "tally-bench",
            dependencies: [
                "CCurl",
                "TallyGateway",
                // `tally-bench serve` runs the proxy in process against the fake upstream.
                "TallyServer",
                "TallyTestSupport",
                // The one seeded generator.
                "TallyDemo",
                "TallyPricing",
                "TallyLedger",
                "TallyStream",
                "TallyTokenizer",
                "TallyUsage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // Test helper: a worker process the ledger's multi-process tests start and kill.
        .executableTarget(
            name: "tally-ledger-child",
            dependencies: ["TallyLedger", "TallyPricing", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Tests/LedgerChild",
            swiftSettings: swiftSettings
        ),
        // Build-time embedding of pricing/ and migrations/ (see Plugins/EmbedFiles).
        .executableTarget(name: "embed-files", swiftSettings: swiftSettings),
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["embed-files"]),
        .testTarget(name: "TallyUsageTests", dependencies: ["TallyUsage"], swiftSettings: swiftSettings),
        // TallyDemo for the one seeded generator, in the random-document and random-ledger tests.
        .testTarget(name: "TallyJSONTests", dependencies: ["TallyJSON", "TallyDemo"], swiftSettings: swiftSettings),
        .testTarget(name: "TallyPricingTests", dependencies: ["TallyJSON", "TallyPricing", "TallyUsage"], swiftSettings: swiftSettings),
        // TallyTestSupport for the throwaway PostgreSQL cluster the server-ledger tests start.
        .testTarget(name: "TallyLedgerTests", dependencies: ["TallyLedger", "TallyUsage", "TallyDemo", "TallyTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "TallyStreamTests",
            dependencies: ["TallyStream", "TallyTestSupport", "TallyDemo", "TallyUsage"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TallyTokenizerTests",
            dependencies: ["TallyTokenizer"],
            exclude: ["Corpus"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TallyServerTests",
            dependencies: [
                "TallyServer", "TallyGateway", "TallyLedger", "TallyPricing", "TallyTestSupport", "TallyUsage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TallyGatewayTests",
            dependencies: [
                "TallyGateway", "TallyJSON", "TallyTestSupport", "TallyDemo", "TallyLedger", "TallyPricing", "TallyStream", "TallyUsage",
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TallyDemoTests",
            dependencies: ["TallyDemo", "TallyGateway", "TallyLedger", "TallyPricing", .product(name: "HTTPTypes", package: "swift-http-types")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TallyCLITests",
            // TallyServer and Hummingbird's test client: the budget tests run `tally serve`'s proxy
            // beside `tally budget check`, to show that both judge a budget file alike.
            dependencies: [
                "tally", "TallyPricing", "TallyLedger", "TallyServer", "TallyGateway", "TallyTestSupport", "TallyUsage", "TallyDemo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
