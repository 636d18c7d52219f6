import Foundation
import Testing
@testable import TallyLedger
import TallyUsage

/// Shipping a spool (a SQLite ledger) into a shared ledger on either store: every row once, in
/// order, with its tags, rollups and adjustments, however often or by however many it is run.
@Suite struct LedgerShipperTests {
    /// `count` rows a minute apart from `start`, every third tagged.
    static func rows(_ prefix: String, count: Int, from start: String = "2025-03-01T00:00:00Z") -> [LedgerEntry] {
        (0..<count).map { (index: Int) -> LedgerEntry in
            let tags: [String] = index % 3 == 0 ? ["t\(index % 2)"] : []
            let attribution = Attribution(project: "p\(index % 2)", user: "u\(index % 3)", tags: tags)
            let at = utc(start).addingTimeInterval(Double(index) * 60)
            return sampleEntry(id: "\(prefix)-\(index)", at: at, model: "m\(index % 3)", cost: Int64(1_000 + index), attribution: attribution)
        }
    }

    /// An adjustment of the spool's row `seq` by `costNano`.
    static func adjustment(_ id: String, of seq: Int64, costNano: Int64) -> LedgerEntry {
        var entry = sampleEntry(id: id, at: utc("2025-03-02T00:00:00Z"), usage: Usage(), cost: costNano, listCost: nil)
        entry.kind = .adjustment
        entry.adjusts = seq
        return entry
    }

    @Test(arguments: LedgerBackend.allCases)
    func shipsEveryRowOnceWithItsTagsRollupsAndAdjustmentsAndAgainOnlyWhatIsNew(_ backend: LedgerBackend) async throws {
        let spoolPlace = try FreshLedger(.sqlite)
        let targetPlace = try FreshLedger(backend)
        defer { spoolPlace.remove(); targetPlace.remove() }
        try await withLedger(spoolPlace) { spool in
            try await withLedger(targetPlace) { target in
                // A row written to the target directly first, so its numbers and the spool's differ.
                try await target.append(sampleEntry(id: "direct", at: utc("2025-02-01T00:00:00Z")))
                try await spool.append(contentsOf: Self.rows("a", count: 20))
                try await spool.append(Self.adjustment("adj-3", of: 3, costNano: -500))
                try await spool.append(contentsOf: Self.rows("b", count: 9, from: "2025-03-03T00:00:00Z"))
                // An adjustment of a row in its own batch: the batch must end before it.
                try await spool.append(Self.adjustment("adj-25", of: 25, costNano: 77))

                let before = try await LedgerShipper.backlog(spool: spool.reader, target: target.reader)
                #expect(before.instance == nil && before.rows == 31 && before.oldest == utc("2025-03-01T00:00:00Z"))

                var shipper = LedgerShipper(spool: spool, target: target)
                shipper.batchRows = 7
                let first = try await shipper.run()
                #expect(first.shipped == 31 && first.through == 31)

                let stored = try await target.reader.entries()
                #expect(stored.count == 32)
                let shipped = Array(stored.dropFirst())
                let sent = try await spool.reader.entries()
                #expect(shipped.map(\.entry.id) == sent.map(\.entry.id))
                // Adjustments name the target's rows, the same rows they named in the spool.
                let seqOfID = Dictionary(uniqueKeysWithValues: stored.map { ($0.entry.id, $0.seq) })
                for (here, there) in zip(shipped, sent) {
                    var expected = there.entry
                    expected.adjusts = there.entry.adjusts.map { local in seqOfID[sent[Int(local) - 1].entry.id] ?? -1 }
                    #expect(here.entry == expected)
                }
                #expect(try await target.reader.verify().isConsistent)
                let march = utc("2025-03-01T00:00:00Z")..<utc("2025-04-01T00:00:00Z")
                let spent = try await spool.reader.summary(range: march)
                let arrived = try await target.reader.summary(range: march)
                #expect(arrived.total == spent.total)
                #expect(arrived.rows == spent.rows)

                // Again: nothing. Then only what the spool gained.
                #expect(try await shipper.run().shipped == 0)
                try await spool.append(contentsOf: Self.rows("c", count: 5, from: "2025-03-04T00:00:00Z"))
                let again = try await shipper.run()
                #expect(again.shipped == 5 && again.through == 36 && again.instance == first.instance)
                let after = try await LedgerShipper.backlog(spool: spool.reader, target: target.reader)
                #expect(after == LedgerShipper.Backlog(instance: first.instance, through: 36, rows: 0, oldest: nil))
                #expect(try await target.reader.entries().count == 37)
            }
        }
    }

    @Test(arguments: LedgerBackend.allCases)
    func aBatchSentTwiceOrByTwoShippersAtOnceIsWrittenOnce(_ backend: LedgerBackend) async throws {
        let spoolPlace = try FreshLedger(.sqlite)
        let targetPlace = try FreshLedger(backend)
        defer { spoolPlace.remove(); targetPlace.remove() }
        try await withLedger(spoolPlace) { spool in
            try await withLedger(targetPlace) { target in
                try await spool.append(contentsOf: Self.rows("r", count: 300))
                let instance = try await spool.makeInstanceID()
                #expect(try await spool.makeInstanceID() == instance)
                // A retry after a lost answer sends the same rows again: they are written once.
                let batch = try await spool.reader.entries(after: 0, limit: 100)
                #expect(try await target.ship(batch, from: instance).count == 100)
                #expect(try await target.ship(batch, from: instance).isEmpty)
                // Overlapping the shipped rows: only the new ones go in.
                let overlapping = try await spool.reader.entries(after: 50, limit: 100)
                #expect(try await target.ship(overlapping, from: instance).count == 50)

                var one = LedgerShipper(spool: spool, target: target)
                one.batchRows = 13
                var other = one
                other.batchRows = 29
                async let a = one.run()
                async let b = other.run()
                let (ranA, ranB) = try await (a, b)
                #expect(ranA.shipped + ranB.shipped == 150)
                let ids = try await target.reader.entries().map(\.entry.id)
                #expect(ids == (0..<300).map { "r-\($0)" })
                #expect(try await target.reader.verify().isConsistent)
            }
        }
    }

    @Test(arguments: LedgerBackend.allCases)
    func shippingWhileTheSpoolIsWrittenLosesAndDoublesNothing(_ backend: LedgerBackend) async throws {
        let spoolPlace = try FreshLedger(.sqlite)
        let targetPlace = try FreshLedger(backend)
        defer { spoolPlace.remove(); targetPlace.remove() }
        try await withLedger(spoolPlace) { spool in
            try await withLedger(targetPlace) { target in
                var shipper = LedgerShipper(spool: spool, target: target)
                shipper.batchRows = 37
                let written = ShippingStop()
                let writing = Task {
                    defer { written.raise() }
                    for batch in 0..<20 {
                        try await spool.append(contentsOf: Self.rows("w\(batch)", count: 25))
                        for index in 0..<5 { try await spool.append(sampleEntry(id: "one-\(batch)-\(index)", at: utc("2025-03-05T00:00:00Z"))) }
                    }
                }
                var shippedWhileWriting: Int64 = 0
                repeat {
                    shippedWhileWriting += try await shipper.run().shipped
                } while !written.isRaised
                try await writing.value
                let rest = try await shipper.run().shipped
                #expect(shippedWhileWriting + rest == 600)
                let sent = try await spool.reader.entries().map(\.entry.id)
                #expect(sent.count == 600)
                #expect(try await target.reader.entries().map(\.entry.id) == sent)
                #expect(try await target.reader.verify().isConsistent)
            }
        }
    }

    @Test(arguments: LedgerBackend.allCases)
    func anAdjustmentOfARowNotShippedFailsItsBatchAndWritesNothing(_ backend: LedgerBackend) async throws {
        let spoolPlace = try FreshLedger(.sqlite)
        let targetPlace = try FreshLedger(backend)
        defer { spoolPlace.remove(); targetPlace.remove() }
        try await withLedger(spoolPlace) { spool in
            try await withLedger(targetPlace) { target in
                try await spool.append(contentsOf: Self.rows("r", count: 3))
                try await spool.append(Self.adjustment("adj", of: 2, costNano: 10))
                let rows = try await spool.reader.entries()
                // Rows 3 and 4 without rows 1 and 2: the adjustment's row never arrived.
                let error = await #expect(throws: LedgerError.self) {
                    try await target.ship(Array(rows.suffix(2)), from: "some-instance")
                }
                #expect(error?.code == .invalidValue)
                #expect(error?.message.contains("has not been shipped") == true)
                #expect(try await target.reader.entries().isEmpty)
            }
        }
    }
}
