import Foundation
import Testing
@testable import TallyLedger

struct RequestIDTests {
    @Test func aNewIDIsAVersion4UUIDInUpperCaseText() throws {
        for _ in 0..<1000 {
            let id = RequestID.random()
            let parsed = try #require(UUID(uuidString: id), "\(id) is not a UUID")
            #expect(parsed.uuidString == id, "upper case, as UUID().uuidString")
            let bytes = parsed.uuid
            #expect(bytes.6 >> 4 == 4, "version 4 in \(id)")
            #expect(bytes.8 >> 6 == 0b10, "RFC 4122 variant in \(id)")
        }
    }

    @Test func idsDoNotRepeat() {
        let ids = (0..<10_000).map { _ in RequestID.random() }
        #expect(Set(ids).count == ids.count)
    }
}
