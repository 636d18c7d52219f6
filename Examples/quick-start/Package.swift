// swift-tools-version: 6.1
import PackageDescription

// The library documentation's first example, as an app outside the Tally package would build it:
// only Tally's public API is reachable from here. `Scripts/check-example` builds and runs it.
let package = Package(
    name: "quick-start",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "tally", path: "../..")],
    targets: [
        .executableTarget(
            name: "quick-start",
            dependencies: [
                .product(name: "TallyGateway", package: "tally"),
                .product(name: "TallyLedger", package: "tally"),
                .product(name: "TallyPricing", package: "tally"),
            ]
        ),
    ]
)
