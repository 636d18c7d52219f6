import Foundation
import PackagePlugin

/// Embeds a folder at the repository root into the target that uses this plugin, as a
/// generated Swift file, so a `tally` binary copied alone still carries its price tables
/// and migrations. `pricing/` goes into TallyPricing, `migrations/` into TallyLedger.
@main
struct EmbedFiles: BuildToolPlugin {
    /// Which repository folder, and which file extension, each target embeds.
    static let sources: [String: (folder: String, fileExtension: String)] = [
        "TallyPricing": ("pricing", "json"),
        "TallyLedger": ("migrations", "sql"),
    ]

    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        guard let source = Self.sources[target.name] else {
            Diagnostics.error("EmbedFiles has no folder configured for target \(target.name)")
            return []
        }
        let root = context.package.directoryURL.appending(path: source.folder)
        // The folders are inputs too: adding or removing a file changes a folder's modification
        // time, which reruns the tool, and the tool lists the folder itself.
        let inputs = Self.entries(under: root)
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedFiles.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(source.folder)/ into \(target.name)",
                executable: try context.tool(named: "embed-files").url,
                arguments: [output.path, root.path, source.fileExtension],
                inputFiles: [root] + inputs,
                outputFiles: [output]
            )
        ]
    }

    /// Every file and folder below `root`.
    static func entries(under root: URL) -> [URL] {
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var found: [URL] = []
        for case let url as URL in walker { found.append(url) }
        return found.sorted { $0.path < $1.path }
    }
}
