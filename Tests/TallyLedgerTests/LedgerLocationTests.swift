import Testing
import TallyLedger

struct LedgerLocationTests {
    @Test func anExplicitPathWinsOverTheEnvironment() {
        #expect(LedgerLocation.resolve(explicit: "/a.sqlite", environment: ["TALLY_LEDGER": "/b.sqlite"]) == "/a.sqlite")
    }

    @Test func theEnvironmentVariableWinsOverTheDataDirectory() {
        #expect(LedgerLocation.resolve(explicit: nil, environment: ["TALLY_LEDGER": "/b.sqlite", "XDG_DATA_HOME": "/x"]) == "/b.sqlite")
    }

    @Test func theDataDirectoryFollowsXDGAndFallsBackToTheHomeDirectory() {
        #expect(LedgerLocation.resolve(explicit: nil, environment: ["XDG_DATA_HOME": "/x", "HOME": "/h"]) == "/x/tally/ledger.sqlite")
        #expect(LedgerLocation.resolve(explicit: nil, environment: ["XDG_DATA_HOME": "relative", "HOME": "/h"]) == "/h/.local/share/tally/ledger.sqlite")
        #expect(LedgerLocation.resolve(explicit: "", environment: ["HOME": "/h"]) == "/h/.local/share/tally/ledger.sqlite")
    }
}
