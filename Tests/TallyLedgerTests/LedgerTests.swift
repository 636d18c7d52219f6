import Foundation
import GRDB
import Testing
import TallyLedger
import TallyPricing
import TallyUsage
import TallyTestSupport
#if canImport(Glibc)
import Glibc
#endif

struct LedgerTests {
    @Test func aNewLedgerFileAndItsLogAreReadableByTheOwnerOnly() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ledger = try Ledger(path: directory.path + "/nested/dir/ledger.sqlite")
        try await ledger.append(sampleEntry(at: utc("2025-05-01T10:00:00Z")))
        for suffix in ["", "-wal"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: ledger.location + suffix)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600, "\(suffix)")
        }
    }

    @Test(arguments: LedgerBackend.allCases)
    func appendedRowsReadBackExactlyAndSumToTheExactTotals(_ backend: LedgerBackend) async throws {
        let fresh = try FreshLedger(backend)
        defer { fresh.remove() }
        try await withLedger(fresh) { ledger in
            var expectedCost: Int64 = 0
            var expectedList: Int64 = 0
            var expectedListed: Int64 = 0
            var unpriced: Int64 = 0
            var tokens = Usage()
            var entries: [LedgerEntry] = []
            for index in 0..<600 {
                let cost: Int64? = index % 7 == 0 ? nil : Int64(index) * 1_000_003 + 999_999_999
                let list: Int64? = index % 5 == 0 ? nil : Int64(index) * 2_000_001
                var entry = sampleEntry(
                    id: "row-\(index)", at: utc("2025-03-01T00:00:00Z").addingTimeInterval(Double(index) * 3_601),
                    model: "model-\(index % 3)",
                    usage: Usage(input: Int64(index), cachedInput: 3, cacheWrite: 2, cacheWrite1h: 1, output: 7, reasoning: Int64(index % 4)),
                    cost: cost, listCost: list,
                    attribution: Attribution(project: "p\(index % 4)", user: "u\(index % 9)", tags: index % 2 == 0 ? ["even"] : [])
                )
                entry.latencyMs = Int64(index)
                entries.append(entry)
                tokens = tokens + entry.usage
                if let cost { expectedCost += cost } else { unpriced += 1 }
                if let cost, let list {
                    expectedList += list
                    expectedListed += cost
                }
            }
            // Half one awaited append at a time, half in one batch.
            for entry in entries[..<300] { try await ledger.append(entry) }
            let seqs = try await ledger.append(contentsOf: Array(entries[300...]))
            #expect(seqs.count == 300)

            let stored = try await ledger.reader.entries()
            #expect(stored.map(\.entry) == entries)

            let summary = try await ledger.reader.summary(range: utc("2025-01-01T00:00:00Z")..<utc("2026-01-01T00:00:00Z"))
            #expect(summary.total.requests == 600)
            #expect(summary.total.cost.nanoUSD == expectedCost)
            #expect(summary.total.listCost.nanoUSD == expectedList)
            #expect(summary.total.costWithListPrice.nanoUSD == expectedListed)
            #expect(summary.total.savings == Money(nanoUSD: expectedList - expectedListed))
            #expect(summary.total.unpricedRows == unpriced)
            #expect(summary.total.usage.input == tokens.input)
            #expect(summary.total.usage.reasoning == tokens.reasoning)
            #expect(summary.total.usage.cacheWrite1h == 600)
            #expect(summary.unpriced.map(\.rows).reduce(0, +) == unpriced)
            #expect(try await ledger.reader.verify().isConsistent)
        }
    }

    /// Text a store must keep byte for byte, whichever way it writes a row (PostgreSQL takes a
    /// few rows as one INSERT and more with COPY, whose text format escapes some of these).
    static let awkwardText = [
        "tab\there", "line\nbreak", "carriage\rreturn", "back\\slash", "\\N", "\\.", "", " ",
        "trailing\\", "naïve ☕️ 请求", "quote'\"double", "\u{1F}unit separator", "\u{7F}del",
    ]
    /// The same without control characters, which attribution refuses.
    static let awkwardAttribution = awkwardText.filter { !$0.unicodeScalars.contains { $0.properties.generalCategory == .control } }

    @Test(arguments: LedgerBackend.allCases, [3, 40])
    func textWithEscapesAndExtremeNumbersReadBackExactlyInSmallAndLargeBatches(_ backend: LedgerBackend, batch: Int) async throws {
        let fresh = try FreshLedger(backend)
        defer { fresh.remove() }
        try await withLedger(fresh) { ledger in
            var entries: [LedgerEntry] = []
            for index in 0..<batch {
                let text = Self.awkwardText[index % Self.awkwardText.count]
                let name = Self.awkwardAttribution[index % Self.awkwardAttribution.count]
                var entry = sampleEntry(
                    id: "id-\(index)-\(text)", at: utc("2025-03-01T00:00:00Z").addingTimeInterval(Double(index) * 61),
                    provider: "relay \(text)", model: "model\t\(index % 3)",
                    usage: Usage(input: index == 0 ? 123_456_789 : Int64(index), output: 1),
                    cost: index == 1 ? -9_223_372_036_854_775_807 : Int64(index) * 7,
                    listCost: index % 4 == 0 ? nil : Int64.max,
                    attribution: Attribution(
                        project: index % 5 == 0 ? nil : "project \(name)", user: index % 6 == 0 ? "" : "user\\\(index % 2)",
                        tags: index % 3 == 0 ? [] : ["a\\second", "tag \(name)"]
                    )
                )
                entry.modelReturned = index % 2 == 0 ? nil : "returned\r\n\(text)"
                entry.latencyMs = index % 7 == 0 ? nil : Int64(index)
                entries.append(entry)
            }
            let seqs = try await ledger.append(contentsOf: entries)
            #expect(seqs.count == batch)
            let stored = try await ledger.reader.entries()
            #expect(stored.map(\.entry) == entries)
            #expect(try await ledger.reader.verify().isConsistent)
        }
    }

    @Test(arguments: LedgerBackend.allCases)
    func batchesReachingBackBeforeAndAcrossEarlierBucketsAddToTheirRollupsExactly(_ backend: LedgerBackend) async throws {
        let fresh = try FreshLedger(backend)
        defer { fresh.remove() }
        try await withLedger(fresh) { ledger in
            func batch(_ name: String, from start: String, count: Int, step: Double) -> [LedgerEntry] {
                (0..<count).map { (index: Int) -> LedgerEntry in
                    let tags: [String] = index % 2 == 0 ? ["t"] : []
                    let attribution = Attribution(project: "p\(index % 2)", user: "u\(index % 3)", tags: tags)
                    let time = utc(start).addingTimeInterval(Double(index) * step)
                    return sampleEntry(id: "\(name)-\(index)", at: time, model: "model-\(index % 3)", cost: Int64(index + 1) * 1_000, attribution: attribution)
                }
            }
            // March; then a batch from February (before every bucket) across March (the same
            // buckets and keys) into April (after every bucket); then one inside March alone.
            let march = batch("march", from: "2025-03-01T00:00:00Z", count: 120, step: 20_000)
            let wide = batch("wide", from: "2025-02-10T00:00:00Z", count: 120, step: 60_000)
            let inside = batch("inside", from: "2025-03-05T00:07:00Z", count: 40, step: 900)
            for rows in [march, wide, inside] { try await ledger.append(contentsOf: rows) }
            #expect(try await ledger.reader.verify().isConsistent)
            let all = march + wide + inside
            let summary = try await ledger.reader.summary(range: utc("2025-01-01T00:00:00Z")..<utc("2026-01-01T00:00:00Z"))
            #expect(summary.total.requests == Int64(all.count))
            #expect(summary.total.cost.nanoUSD == all.compactMap(\.cost?.nanoUSD).reduce(0, +))
            let inMarch = all.filter { $0.timestampMs >= 1_740_787_200_000 && $0.timestampMs < 1_743_465_600_000 }
            let march2025 = try await ledger.reader.summary(range: utc("2025-03-01T00:00:00Z")..<utc("2025-04-01T00:00:00Z"))
            #expect(march2025.total.requests == Int64(inMarch.count))
            #expect(march2025.total.cost.nanoUSD == inMarch.compactMap(\.cost?.nanoUSD).reduce(0, +))
        }
    }

    @Test(arguments: LedgerBackend.allCases)
    func aLargeBatchWithSeveralTagsPerRowReadsBackWholeAndItsRollupsMatchItsRows(_ backend: LedgerBackend) async throws {
        let fresh = try FreshLedger(backend)
        defer { fresh.remove() }
        try await withLedger(fresh) { ledger in
            try await ledger.append(sampleEntry(id: "before", at: utc("2025-02-28T00:00:00Z")))
            // Past the size whose rollup sums are added up on another thread, and not a multiple
            // of the rows or tags per statement.
            let entries = (0..<5_003).map { index in
                sampleEntry(
                    id: "row-\(index)", at: utc("2025-03-01T00:00:00Z").addingTimeInterval(Double(index) * 397),
                    model: "model-\(index % 7)", cost: Int64(index) * 1_001,
                    attribution: Attribution(project: "p\(index % 5)", user: "u\(index % 11)", tags: (0..<(index % 4)).map { "tag-\($0)" }))
            }
            let seqs = try await ledger.append(contentsOf: entries)
            #expect(seqs == 2..<5_005)

            let stored = try await ledger.reader.entries()
            #expect(stored.map(\.seq) == Array(1..<5_005))
            #expect(stored.dropFirst().map(\.entry) == entries)
            #expect(try await ledger.reader.verify().isConsistent)
            let summary = try await ledger.reader.summary(range: utc("2025-01-01T00:00:00Z")..<utc("2026-01-01T00:00:00Z"))
            #expect(summary.total.requests == 5_004)
            let batchCost: Int64 = (0..<5_003).reduce(0) { $0 + Int64($1) * 1_001 }
            #expect(summary.total.cost.nanoUSD == 1_000 + batchCost)
        }
    }

    @Test(arguments: LedgerBackend.allCases)
    func anAdjustmentAddsToTheTotalsAndPointsAtItsRow(_ backend: LedgerBackend) async throws {
        let fresh = try FreshLedger(backend)
        defer { fresh.remove() }
        try await withLedger(fresh) { ledger in
            let at = utc("2025-06-01T12:00:00Z")
            let seq = try await ledger.append(sampleEntry(at: at, cost: 5_000, listCost: 9_000))
            let adjustment = LedgerEntry.adjustment(
                of: seq, timestamp: at.addingTimeInterval(60), provider: "openai", model: "gpt-4.1",
                cost: Money(nanoUSD: -1_250), listCost: Money(nanoUSD: 0)
            )
            try await ledger.append(adjustment)
            let total = try await ledger.reader.summary(range: at..<at.addingTimeInterval(3_600)).total
            #expect(total.requests == 1)
            #expect(total.adjustments == 1)
            #expect(total.cost == Money(nanoUSD: 3_750))
            #expect(try await ledger.reader.entries().last?.entry.adjusts == seq)
            var orphan = adjustment
            orphan.adjusts = nil
            await #expect(throws: LedgerError.self) { try await ledger.append(orphan) }
            var dangling = adjustment
            dangling.adjusts = 999
            await #expect(throws: LedgerError.self) {
                try await ledger.append(contentsOf: [sampleEntry(id: "with-dangling", at: at), dangling])
            }
            #expect(try await ledger.reader.entries().count == 2)
            #expect(try await ledger.reader.verify().isConsistent)
        }
    }

    @Test(arguments: LedgerBackend.allCases)
    func writtenRowsCanNeitherBeUpdatedNorDeleted(_ backend: LedgerBackend) async throws {
        let fresh = try FreshLedger(backend)
        defer { fresh.remove() }
        try await withLedger(fresh) { ledger in
            try await ledger.append(sampleEntry(at: utc("2025-06-01T12:00:00Z"), attribution: Attribution(tags: ["a"])))
            for sql in ["UPDATE ledger_rows SET cost_nano = 0", "DELETE FROM ledger_rows", "DELETE FROM ledger_tags", "UPDATE ledger_tags SET tag = 'b'"] {
                #expect(throws: (any Error).self, "\(sql)") { try fresh.execute(sql) }
            }
            #expect(try await ledger.reader.entries().count == 1)
        }
    }

    @Test(arguments: LedgerBackend.allCases)
    func aFinishedRequestLeavesTheJournalAndCannotBeFinishedTwice(_ backend: LedgerBackend) async throws {
        let fresh = try FreshLedger(backend)
        defer { fresh.remove() }
        try await withLedger(fresh) { ledger in
            let at = utc("2025-06-01T12:00:00Z")
            let ticket = try await ledger.begin(InFlightRequest(
                id: "r1", timestamp: at, provider: "openai", model: "gpt-4.1", endpoint: "chat/completions", estimatedInputTokens: 40
            ))
            #expect(try await ledger.reader.info().journalRows == 1)
            try await ledger.append(completing: ticket, with: sampleEntry(id: "r1", at: at))
            #expect(try await ledger.reader.info().journalRows == 0)
            await #expect(throws: LedgerError.self) { try await ledger.append(completing: ticket, with: sampleEntry(id: "r1", at: at)) }
            #expect(try await ledger.reader.entries().map(\.entry.id) == ["r1"])
        }
    }

    @Test func aSmallWriteThatFindsTheFileLockedWaitsForTheLockAndIsWritten() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let ledger = try Ledger(path: directory.ledgerPath)
        let other = try rawDatabase(directory.ledgerPath)
        let at = utc("2025-06-01T12:00:00Z")
        // Another connection (as another process would) holds the write lock for 300 ms, on a
        // thread of its own so the blocked thread is not one the test's tasks need.
        let (locked, lockTaken) = AsyncStream.makeStream(of: Void.self)
        let (released, lockReleased) = AsyncThrowingStream.makeStream(of: ContinuousClock.Instant.self)
        Thread {
            do {
                var releasedAt = ContinuousClock.now
                try other.inTransaction(.immediate) { _ in
                    lockTaken.yield()
                    Thread.sleep(forTimeInterval: 0.3)
                    releasedAt = .now
                    return .commit
                }
                lockReleased.yield(releasedAt)
                lockReleased.finish()
            } catch {
                lockReleased.finish(throwing: error)
            }
        }.start()
        for await _ in locked { break }
        let ticket = try await ledger.begin(InFlightRequest(
            id: "r1", timestamp: at, provider: "openai", model: "gpt-4.1", endpoint: "chat/completions", estimatedInputTokens: 40
        ))
        let begunAt = ContinuousClock.now
        var releasedAt: ContinuousClock.Instant?
        for try await instant in released { releasedAt = instant }
        #expect(releasedAt.map { begunAt > $0 } == true, "the begin waited for the other connection's lock")
        try await ledger.append(completing: ticket, with: sampleEntry(id: "r1", at: at))
        #expect(try await allEntries(directory.ledgerPath).map(\.entry.id) == ["r1"])
        #expect(try await ledger.reader.info().journalRows == 0)
    }

    @Test(arguments: LedgerBackend.allCases)
    func requestsInFlightOfALiveProcessAreNotRecoveredUntilItIsGone(_ backend: LedgerBackend) async throws {
        let fresh = try FreshLedger(backend)
        defer { fresh.remove() }
        try await withLedger(fresh) { _ in }
        let child = try startChild(["--ledger", fresh.argument, "--prefix", "held", "--begin", "5", "--hold"])
        try waitForLine("begun", from: child.output)
        try await withLedger(fresh) { ledger in
            #expect(ledger.recoveredAtOpen.isEmpty)
            #expect(try await ledger.recover().isEmpty)
            #expect(try await ledger.reader.info().journalRows == 5)
            kill(child.process.processIdentifier, SIGKILL)
            child.process.waitUntilExit()
            let recovered = try await ledger.recover()
            #expect(Set(recovered.map(\.entry.id)) == Set((0..<5).map { "held-\($0)" }))
            #expect(try await ledger.reader.info().journalRows == 0)
        }
    }

    @Test(arguments: LedgerBackend.allCases)
    func aKilledProcessLosesNoBegunRequestAndLeavesNoPartialBatch(_ backend: LedgerBackend) async throws {
        let fresh = try FreshLedger(backend)
        defer { fresh.remove() }
        let begun = 40
        let child = try startChild(["--ledger", fresh.argument, "--prefix", "k", "--begin", "\(begun)", "--forever"])
        try waitForLine("appending", from: child.output)
        // Let it finish some requests and append batches, then kill it in the middle of that.
        try await Task.sleep(for: .milliseconds(150))
        kill(child.process.processIdentifier, SIGKILL)
        child.process.waitUntilExit()
        #expect(child.process.terminationReason == .uncaughtSignal)

        let table = #"{"provider": "openai", "kind": "official", "source": "a test table", "models": {"gpt-4.1": {"prices": [{"input": "2.00", "output": "8.00"}]}}}"#
        let prices = try PriceBook(includingBundled: false, userTables: [PriceBook.Source(origin: "openai.json", bytes: Array(table.utf8))])
        try await withLedger(fresh, prices: prices) { ledger in
            let entries = try await ledger.reader.entries()
            var counts: [String: Int] = [:]
            for stored in entries { counts[stored.entry.id, default: 0] += 1 }
            for index in 0..<begun {
                #expect(counts["k-\(index)"] == 1, "k-\(index)")
            }
            let interrupted = entries.filter { $0.entry.outcome == .interrupted }
            #expect(interrupted.count >= begun / 2)
            #expect(interrupted.count == ledger.recoveredAtOpen.count)
            for stored in interrupted {
                #expect(stored.entry.usageSource == .estimated)
                #expect(stored.entry.usage.input == 1000)
                #expect(stored.entry.cost == Money(nanoUSD: 2_000_000))
                #expect(stored.entry.attribution == Attribution(project: "child", tags: ["killed"]))
            }
            let batchRows = entries.filter { $0.entry.id.hasPrefix("k-batch-") }.count
            #expect(batchRows % 500 == 0)
            #expect(try await ledger.reader.info().journalRows == 0)
            #expect(try await ledger.reader.verify().isConsistent)
        }
    }

    @Test(arguments: LedgerBackend.allCases)
    func fourProcessesAppendingAtOnceLoseNoRow(_ backend: LedgerBackend) async throws {
        let fresh = try FreshLedger(backend)
        defer { fresh.remove() }
        try await withLedger(fresh) { _ in }
        let perProcess = 250
        let children = try (0..<4).map { index in
            try startChild(["--ledger", fresh.argument, "--prefix", "p\(index)", "--append", "\(perProcess)"])
        }
        for child in children {
            child.process.waitUntilExit()
            #expect(child.process.terminationStatus == 0)
        }
        let reader = try fresh.reader()
        let stored = try await reader.entries()
        let ids = stored.map(\.entry.id)
        #expect(ids.count == 4 * perProcess)
        #expect(Set(ids) == Set((0..<4).flatMap { process in (0..<perProcess).map { "p\(process)-row-\($0)" } }))
        #expect(stored.map(\.seq) == Array(1...Int64(4 * perProcess)), "sequence numbers without gaps")
        #expect(try await reader.verify().isConsistent)
        let total = try await reader.summary(range: Date(timeIntervalSince1970: 0)..<Date(timeIntervalSince1970: 4e9)).total
        #expect(total.requests == Int64(4 * perProcess))
    }

    @Test func aFullDiskFailsTheWholeBatchAndTheLedgerStillWorks() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pages = try { () throws -> Int in
            _ = try Ledger(path: directory.ledgerPath)
            return try rawDatabase(directory.ledgerPath).read { try Int.fetchOne($0, sql: "PRAGMA page_count") ?? 0 }
        }()
        let ledger = try Ledger(path: directory.ledgerPath, migrations: Migration.sqlite, prices: nil, maximumPageCount: pages + 40)
        let at = utc("2025-06-01T12:00:00Z")
        try await ledger.append(sampleEntry(id: "before", at: at))
        let big = (0..<20_000).map { sampleEntry(id: "big-\($0)", at: at.addingTimeInterval(Double($0))) }
        await #expect {
            try await ledger.append(contentsOf: big)
        } throws: { error in
            guard let error = error as? LedgerError else { return false }
            return error.code == .io && error.message.contains("disk full") && error.location == directory.ledgerPath
        }
        try await ledger.append(sampleEntry(id: "after", at: at))
        #expect(try await allEntries(directory.ledgerPath).map(\.entry.id) == ["before", "after"])
        #expect(try await ledger.reader.verify().isConsistent)
    }

    @Test func aDirectoryIsRefusedAsAnIOErrorNamingThePath() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        #expect {
            _ = try Ledger(path: directory.path)
        } throws: { error in
            guard let error = error as? LedgerError else { return false }
            return error.code == .io && error.description.hasPrefix(directory.path + ":") && !error.description.contains("\n")
        }
    }

    @Test func aPathThatCannotBeCreatedIsAnIOError() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.path + "/plain-file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        #expect {
            _ = try Ledger(path: file + "/ledger.sqlite")
        } throws: { error in
            (error as? LedgerError)?.code == .io
        }
        #expect {
            _ = try LedgerReader(path: directory.path + "/missing.sqlite")
        } throws: { error in
            (error as? LedgerError)?.code == .io
        }
    }

    @Test(.enabled(if: geteuid() != 0, "root may write any file"))
    func aReadOnlyFileIsRefusedForWriting() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        _ = try Ledger(path: directory.ledgerPath)
        chmod(directory.ledgerPath, 0o400)
        #expect {
            _ = try Ledger(path: directory.ledgerPath)
        } throws: { error in
            (error as? LedgerError)?.code == .io
        }
    }

    @Test func aFileThatIsNotSQLiteIsADataError() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        try Data(String(repeating: "not a database at all. ", count: 400).utf8).write(to: URL(fileURLWithPath: directory.ledgerPath))
        for open in [{ _ = try Ledger(path: directory.ledgerPath) }, { _ = try LedgerReader(path: directory.ledgerPath) }] {
            #expect {
                try open()
            } throws: { error in
                guard let error = error as? LedgerError else { return false }
                return error.code == .notALedger && error.isDataError && error.location == directory.ledgerPath
            }
        }
    }

    @Test func aCorruptedLedgerIsReportedAndNeverCrashes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        do {
            let ledger = try Ledger(path: directory.ledgerPath)
            try await ledger.append(contentsOf: (0..<3_000).map {
                sampleEntry(at: utc("2025-06-01T12:00:00Z").addingTimeInterval(Double($0)), attribution: Attribution(project: "p\($0 % 10)"))
            })
        }
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: directory.ledgerPath))
        let size = try handle.seekToEnd()
        for offset in stride(from: UInt64(8192), to: size, by: 16_384) {
            try handle.seek(toOffset: offset)
            handle.write(Data(repeating: 0xA5, count: 2_000))
        }
        try handle.close()
        do {
            let reader = try LedgerReader(path: directory.ledgerPath)
            let verification = try await reader.verify()
            #expect(!verification.isConsistent)
        } catch let error as LedgerError {
            #expect(error.isDataError)
            #expect(error.location == directory.ledgerPath)
        }
    }

    @Test(arguments: LedgerBackend.allCases)
    func aControlCharacterInAttributionIsRefusedBeforeWriting(_ backend: LedgerBackend) async throws {
        let fresh = try FreshLedger(backend)
        defer { fresh.remove() }
        try await withLedger(fresh) { ledger async throws in
            let entry = sampleEntry(at: utc("2025-06-01T12:00:00Z"), attribution: Attribution(tags: ["a\u{1F}b"]))
            await #expect(throws: LedgerError.self) { try await ledger.append(entry) }
            #expect(try await ledger.reader.entries().isEmpty)
        }
    }
}
