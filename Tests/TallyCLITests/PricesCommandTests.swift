import Foundation
import Testing

let repositoryRoot = URL(filePath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The trimmed copies of the two price sources, kept in the repository (see their README).
let priceSources = repositoryRoot.appending(path: "Tests/Fixtures/price-sources")

struct PricesCommandTests {
    @Test func compareShowsTheRelaysSavingAgainstTheOfficialPrice() throws {
        let result = try TallyProcess.run(["prices", "compare", "gpt-4.1", "claude-sonnet-4.5"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.contains { $0.contains("holysheep") && $0.contains("$0.2812") && $0.hasSuffix("85.9%") })
        #expect(lines.contains { $0.contains("anthropic (official)") && $0.contains("$15.00") })
    }

    @Test func compareWritesExactAmountsAsJSON() throws {
        let result = try TallyProcess.run(["prices", "compare", "deepseek-v3.2", "--format", "json"])
        #expect(result.status == 0)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        let relay = try #require(rows.first { $0["provider"] as? String == "holysheep" })
        #expect((relay["usd"] as? [String: String])?["cached_input"] == "0.0039368")
        #expect((relay["saving_percent"] as? [String: String])?["output"] == "85.9")
        #expect(relay["official"] as? String == "deepseek/deepseek-v3.2")
    }

    @Test func compareFollowsAUserRateOverride() throws {
        let folder = try TallyProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: "rate.json")
        try Data("""
            { "provider": "holysheep", "kind": "relay", "source": "my rate", "billing": { "credit_usd": "0.5" }, "models": {} }
            """.utf8).write(to: file)
        let result = try TallyProcess.run(["prices", "compare", "gpt-4.1", "--format", "csv"], environment: ["TALLY_PRICING": file.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("holysheep,relay,gpt-4.1,openai/gpt-4.1,2.00,0.50,8.00,0.50,1.00,0.25,4.00,50.0,50.0,50.0"))
    }

    @Test func validateNamesEveryProblemAndExits65() throws {
        let folder = try TallyProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: "bad.json")
        try Data("""
            { "provider": "acme", "kind": "official", "source": "t", "models": {
              "m": { "prices": [{ "input": "-1", "ouput": "2" }, { "from": "2025-01-01", "input": "1", "output": "1" }, { "from": "2024-01-01", "input": "1", "output": "1" }] } } }
            """.utf8).write(to: file)
        let result = try TallyProcess.run(["prices", "validate", file.path])
        #expect(result.status == 65)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.split(separator: "\n").map(String.init) == [
            "tally: \(file.path): $.models.m.prices[0].ouput: unknown field \"ouput\"; did you mean \"output\"?",
            "tally: \(file.path): $.models.m.prices[0].input: price \"-1\" is negative",
            "tally: \(file.path): $.models.m.prices[0]: missing required price \"output\"",
            "tally: \(file.path): $.models.m.prices[2].from: date 2024-01-01 is before the previous entry's 2025-01-01; list entries oldest first",
        ])
    }

    @Test func everyCommandThatLoadsABadTableRefusesIt() throws {
        let folder = try TallyProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: "broken.json")
        try Data("{ \"provider\": ".utf8).write(to: file)
        for command in [["prices", "list"], ["prices", "compare", "gpt-4.1"], ["prices", "show", "gpt-4.1"]] {
            let result = try TallyProcess.run(command + ["--pricing", folder.path])
            #expect(result.status == 65, "\(command)")
            #expect(result.stderr == "tally: \(file.path): $: invalid JSON at line 1, column 15: unexpected end of input\n")
        }
    }

    @Test func validateAcceptsTheBundledTables() throws {
        let result = try TallyProcess.run(["prices", "validate"])
        #expect(result.status == 0)
        #expect(result.stdout == "ok: bundled tables valid; 7 providers, 358 models\n")
    }

    @Test func showListsEveryProviderOfASnapshotName() throws {
        let result = try TallyProcess.run(["prices", "show", "gpt-4.1-2025-04-14", "--format", "json"])
        #expect(result.status == 0)
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(rows.compactMap { $0["provider"] as? String } == ["openai", "holysheep"])
        #expect(rows.allSatisfy { $0["in_force"] as? Bool == true })
    }

    @Test func refusesUnknownProvidersModelsAndFormats() throws {
        let provider = try TallyProcess.run(["prices", "list", "--provider", "nobody"])
        #expect(provider.status == 64)
        #expect(provider.stderr.hasPrefix("tally: --provider nobody: no such provider (known: anthropic, deepseek"))
        let model = try TallyProcess.run(["prices", "show", "no-such-model"])
        #expect(model.status == 65)
        let format = try TallyProcess.run(["prices", "list", "--format", "xml"])
        #expect(format.status == 64)
        #expect(format.stderr.contains("--format"))
        let date = try TallyProcess.run(["prices", "list", "--at", "2025-02-30"])
        #expect(date.status == 64)
    }

    @Test func importRegeneratesTheBundledOfficialTables() throws {
        let folder = try TallyProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let reference = priceSources.appending(path: "litellm-model-prices-1.110.2.json")
        let genAI = priceSources.appending(path: "genai-prices-0.2.3.json")
        let result = try TallyProcess.run([
            "prices", "import", "official", "--litellm", reference.path, "--genai-prices", genAI.path,
            "--overrides", repositoryRoot.appending(path: "pricing/overrides.json").path,
            "--output", folder.path, "--updated", "2026-11-25",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("| anthropic | claude-sonnet-4-5 | tier above 200000 input - / 6.00;"))
        #expect(result.stdout.contains("| genai-prices | override: Anthropic billed prompts over 200k tokens"))
        for provider in ["openai", "anthropic", "gemini", "deepseek", "xai", "mistral"] {
            let written = try Data(contentsOf: folder.appending(path: "\(provider).json"))
            let shipped = try Data(contentsOf: repositoryRoot.appending(path: "pricing/official/\(provider).json"))
            #expect(written == shipped, "\(provider).json")
        }
    }

    @Test func diffExitsOneOnDifferencesAndZeroWithout() throws {
        let same = try TallyProcess.run(["prices", "diff", "bundled", repositoryRoot.appending(path: "pricing").path])
        #expect(same.status == 0, "\(same.stdout)\(same.stderr)")
        #expect(same.stdout == "no differences\n")
        let reference = priceSources
        let different = try TallyProcess.run([
            "prices", "diff", "litellm:" + reference.appending(path: "litellm-model-prices-1.110.2.json").path,
            "genai-prices:" + reference.appending(path: "genai-prices-0.2.3.json").path, "--at", "2026-11-25", "--only-changed", "--format", "csv",
        ])
        #expect(different.status == 1)
        #expect(different.stdout.contains("\ndeepseek,deepseek-chat,,input,0.28,0.135\n"))
    }

    @Test func diffComparesRealUSDSoACreditRateChangeIsADifference() throws {
        let folder = try TallyProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func relay(_ name: String, rate: String) throws -> String {
            let file = folder.appending(path: name)
            try Data("""
                { "provider": "r", "kind": "relay", "source": "t", "billing": { "credit_usd": "\(rate)" },
                  "models": { "m": { "prices": [{ "input": "2.00", "output": "8.00" }] } } }
                """.utf8).write(to: file)
            return file.path
        }
        let result = try TallyProcess.run(["prices", "diff", try relay("a.json", rate: "0.1406"), try relay("b.json", rate: "0.15"), "--format", "csv"])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("\nr,m,,input,0.2812,0.30\n"))
        #expect(result.stdout.contains("\nr,m,,output,1.1248,1.20\n"))
    }

    @Test func diffChecksARelayFileAgainstTheBundledTablesAsValidateDoes() throws {
        let folder = try TallyProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: "relay.json")
        try Data("""
            { "provider": "holysheep", "kind": "relay", "source": "t", "billing": { "credit_usd": "0.15" },
              "models": { "gpt-4.1": { "official": "openai/gpt-4.1", "prices": [{ "input": "2.00", "cached_input": "0.50", "output": "8.00" }] } } }
            """.utf8).write(to: file)
        let validate = try TallyProcess.run(["prices", "validate", file.path])
        #expect(validate.status == 0, "\(validate.stderr)")
        let result = try TallyProcess.run(["prices", "diff", "bundled", file.path, "--only-changed", "--format", "csv"])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout.contains("\nholysheep,gpt-4.1,,input,0.2812,0.30\n"))
    }

    @Test func theDisagreementsInPricingREADMEAreCurrent() throws {
        let folder = try TallyProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try TallyProcess.run([
            "prices", "import", "official", "--litellm", priceSources.appending(path: "litellm-model-prices-1.110.2.json").path,
            "--genai-prices", priceSources.appending(path: "genai-prices-0.2.3.json").path,
            "--overrides", repositoryRoot.appending(path: "pricing/overrides.json").path,
            "--output", folder.path, "--updated", "2026-11-25",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let start = try #require(result.stdout.range(of: "| provider | model |"))
        let end = try #require(result.stdout.range(of: "\n\n", range: start.upperBound..<result.stdout.endIndex))
        let table = String(result.stdout[start.lowerBound..<end.lowerBound])
        let readme = try String(contentsOf: repositoryRoot.appending(path: "pricing/README.md"), encoding: .utf8)
        #expect(readme.contains(table), "regenerate the disagreements table in pricing/README.md with the command shown there")
    }

    @Test func importWritesNothingFromABadFile() throws {
        let folder = try TallyProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let bad = folder.appending(path: "bad.json")
        try Data("[1, 2".utf8).write(to: bad)
        let output = folder.appending(path: "out")
        let result = try TallyProcess.run(["prices", "import", "litellm", bad.path, "--output", output.path])
        #expect(result.status == 65)
        #expect(!FileManager.default.fileExists(atPath: output.path))
        let missing = try TallyProcess.run(["prices", "import", "litellm", folder.appending(path: "none.json").path])
        #expect(missing.status == 74)
    }

    @Test func aPriceTooLargeToHoldSaysSoRatherThanNotANumber() throws {
        let folder = try TallyProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appending(path: "big.json")
        try Data("""
            { "provider": "acme", "kind": "official", "source": "t", "models": {
              "m": { "prices": [{ "from": "2025-01-01", "input": "9999999999", "output": "1" }] } } }
            """.utf8).write(to: file)
        let result = try TallyProcess.run(["prices", "validate", file.path])
        #expect(result.status == 65)
        #expect(result.stderr == "tally: \(file.path): $.models.m.prices[0].input: price \"9999999999\" is above the largest price Tally holds (9223372036.854775807 USD per million tokens)\n")
    }

    @Test func showAndCompareSuggestTheModelAUserMeant() throws {
        for arguments in [["prices", "show", "gpt4.1"], ["prices", "compare", "gpt4.1"]] {
            let result = try TallyProcess.run(arguments)
            #expect(result.status == 65, "\(arguments)")
            #expect(result.stderr.contains("'gpt4.1' (did you mean gpt-4.1?)"), "\(arguments): \(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1)
        }
    }
}
