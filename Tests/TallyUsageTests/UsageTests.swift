import Testing
import TallyUsage

/// Usages an upstream should never report: kept as reported, flagged implausible.
struct UsageTests {
    @Test func countsAboveTheBoundOrBelowZeroAreImplausible() {
        let absurd = [
            Usage(input: 1_000_000_000_000_000, output: 1_000_000_000_000_000),
            Usage(input: 600_000_000_000_000, output: 600_000_000_000_000),
            Usage(input: -1_000, output: -5),
            Usage.fromInclusive(prompt: 10, cached: 20, completion: 5, reasoning: 0),  // input comes out -10
            Usage(output: Usage.plausibleMaximum + 1),
            Usage(input: .max, cachedInput: .max, cacheWrite: .max, cacheWrite1h: .max, output: .max, reasoning: .max),
        ]
        for usage in absurd {
            #expect(!usage.isPlausible, "\(usage)")
            #expect(usage.recordedFlags.contains(.implausible), "\(usage)")
        }
    }

    @Test func countsAtTheBoundArePlausibleAndKeepTheirReportedFlags() {
        let edge = Usage(input: Usage.plausibleMaximum, output: Usage.plausibleMaximum, flags: .cacheExceedsPrompt)
        #expect(edge.isPlausible)
        #expect(edge.recordedFlags == .cacheExceedsPrompt)
    }

    @Test func anInclusiveReportIsSplitIntoDisjointClassesAndItsInconsistenciesFlagged() {
        let usage = Usage.fromInclusive(prompt: 100, cached: 30, cacheWrite: 10, completion: 50, reasoning: 20)
        #expect(usage == Usage(input: 60, cachedInput: 30, cacheWrite: 10, output: 30, reasoning: 20))
        #expect(usage.promptTokens == 100)
        #expect(usage.completionTokens == 50)
        #expect(usage.totalTokens == 150)
        let odd = Usage.fromInclusive(prompt: 10, cached: 20, completion: 5, reasoning: 9)
        #expect(odd.flags == [.cacheExceedsPrompt, .reasoningExceedsCompletion])
        #expect(Usage.fromInclusive(prompt: -1, cached: 0, completion: 0, reasoning: 0).flags.contains(.negativeCount))
    }

    @Test func addingUsagesAddsEachClassAndUnitesFlagsWithoutTrapping() {
        let sum = Usage(input: 1, output: 2, flags: .negativeCount) + Usage(cachedInput: 3, reasoning: 4, flags: .implausible)
        #expect(sum == Usage(input: 1, cachedInput: 3, output: 2, reasoning: 4, flags: [.negativeCount, .implausible]))
        let huge = Usage(input: .max) + Usage(input: 1)
        #expect(huge.input == .min)  // wraps, never traps; such a usage is implausible anyway
        #expect(!huge.isPlausible)
    }
}
