import Foundation
import Testing

struct EstimateCommandTests {
    @Test func countsPlainTextExactlyAndPricesEveryProvider() throws {
        // "Hello, world!" is 4 tokens in o200k_base: [13225, 11, 2375, 0].
        let result = try TallyProcess.run(
            ["estimate", "--model", "gpt-4.1", "--output-tokens", "1000000", "--format", "csv"], input: "Hello, world!"
        )
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        // 4 × $2 + 1,000,000 × $8 per million tokens = $8.000008; the relay pays 0.1406 of it.
        #expect(lines.contains("openai,gpt-4.1,4,1000000,exact (o200k_base),8.000008,8.000008,0.00"))
        #expect(lines.contains("holysheep,gpt-4.1,4,1000000,exact (o200k_base),1.124801125,8.000008,6.875206875"))
    }

    @Test func countsAChatRequestByOpenAIsRules() throws {
        let body = #"{"model":"gpt-4o","messages":[{"role":"user","content":"Hello, world!"}]}"#
        let result = try TallyProcess.run(["estimate", "--model", "gpt-4o", "--providers", "openai", "--format", "json"], input: body)
        #expect(result.status == 0, "\(result.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        // 3 per message + "user" (1) + "Hello, world!" (4) + 3 to prime the reply.
        #expect(rows.first?["input_tokens"] as? Int == 11)
    }

    @Test func marksModelsWithoutAPublicTokenizerAsEstimates() throws {
        let result = try TallyProcess.run(["estimate", "--model", "claude-sonnet-4-5"], input: "Hello, world!")
        #expect(result.status == 0)
        #expect(result.stdout.contains("Input tokens are an estimate: o200k_base stands in for the tokenizer of claude"))
    }

    @Test func refusesAModelNobodySells() throws {
        let result = try TallyProcess.run(["estimate", "--model", "no-such-model"], input: "x")
        #expect(result.status == 65)
        #expect(result.stderr.hasPrefix("tally: --model no-such-model: no provider has a price for it"))
    }

    @Test func refusesAnOutputCountNoRequestCouldHaveInsteadOfASaturatedPrice() throws {
        let result = try TallyProcess.run(["estimate", "--model", "gpt-4.1", "--output-tokens", "2000000000000000"], input: "x")
        #expect(result.status == 64)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("--output-tokens 2000000000000000 is above 1000000000"))
        #expect(!result.stderr.contains("9,223,372,036"))
    }

    @Test func takesAnAtTimeWithFractionalSeconds() throws {
        let result = try TallyProcess.run(
            ["estimate", "--model", "gpt-4.1", "--providers", "openai", "--at", "2026-12-01T21:30:48.700Z", "--format", "csv"], input: "Hello"
        )
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func aFileThatIsNotTheRequestKindAskedForSaysSoOnOneLine() throws {
        let folder = try TallyProcess.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = folder.appending(path: "text.txt")
        try Data("Hello, world!".utf8).write(to: text)
        let result = try TallyProcess.run(["estimate", "--model", "gpt-4.1", "--request", "openai-chat", text.path])
        #expect(result.status == 65)
        #expect(result.stderr.hasPrefix("tally: \(text.path): not a JSON request body, which --request openai-chat reads (line 1, column 1"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(!result.stderr.contains("could not be completed"))
        let directory = try TallyProcess.run(["estimate", "--model", "gpt-4.1", folder.path])
        #expect(directory.stderr == "tally: \(folder.path): cannot read the prompt: is a directory\n")
    }

    @Test func theTableShowsExactAmountsSoProvidersCanBeCompared() throws {
        let result = try TallyProcess.run(["estimate", "--model", "gpt-4.1", "--output-tokens", "1000000"], input: "Hello, world!")
        #expect(result.status == 0, "\(result.stderr)")
        // $8.000008 and $1.124801125 would both lose their last digits when rounded to cents.
        #expect(result.stdout.split(separator: "\n").contains { $0.hasPrefix("openai ") && $0.contains("$8.000008") })
        #expect(result.stdout.split(separator: "\n").contains { $0.hasPrefix("holysheep ") && $0.contains("$1.124801125") })
    }

    @Test func theClaudeNoteSaysItsTokenizerIsNotPublicOnce() throws {
        let body = #"{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"Hello, world!"}]}"#
        let result = try TallyProcess.run(["estimate", "--model", "claude-sonnet-4-5", "--request", "anthropic"], input: body)
        #expect(result.status == 0, "\(result.stderr)")
        let note = try #require(result.stdout.split(separator: "\n").last.map(String.init))
        #expect(note.components(separatedBy: "stands in").count == 2, "\(note)")
        #expect(note.components(separatedBy: "not public").count == 2, "\(note)")
    }

    @Test func anUnknownModelGetsADidYouMean() throws {
        let result = try TallyProcess.run(["estimate", "--model", "gpt4.1"], input: "x")
        #expect(result.status == 65)
        #expect(result.stderr.contains("(did you mean gpt-4.1?)"))
    }
}
