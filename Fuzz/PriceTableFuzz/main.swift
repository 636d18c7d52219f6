// libFuzzer entry point for the price-table loader and the two importers. Built and run by
// Scripts/fuzz (not by SwiftPM: it needs -sanitize=fuzzer on every file).
//
// Each input is loaded as a user price table, and imported as LiteLLM's list and as the
// genai-prices data. None may crash; a table that loads must write back to JSON that loads
// to the same table. A difference is a finding, reported by trapping.
import Foundation
@testable import TallyPricing
import TallyUsage

@_cdecl("LLVMFuzzerTestOneInput")
public func priceTableFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let book = try? PriceBook(includingBundled: false, userTables: [PriceBook.Source(origin: "fuzz.json", bytes: bytes)]) {
        for table in book.tables {
            let again = try? PriceTableDecoder.decode(Array(PriceTableWriter.json(table).utf8), origin: table.origin)
            precondition(again?.models.map(\.prices) == table.models.map(\.prices), "a loaded table does not survive writing and reading")
            for model in table.models {
                _ = book.cost(of: Usage(input: 1_000, cachedInput: 10, cacheWrite: 5, output: 100, reasoning: 3), provider: table.provider, model: model.key, at: .now)
            }
        }
    }
    _ = try? LiteLLMImporter.tables(from: bytes, providers: ["openai", "acme"], source: "fuzz")
    _ = try? GenAIPricesImporter.tables(from: bytes, providers: ["acme"], source: "fuzz")
    return 0
}
