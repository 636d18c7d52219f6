import Testing
@testable import TallyPricing

struct CalendarDayTests {
    @Test func parsesRealDatesOnly() {
        #expect(CalendarDay("1970-01-01")?.daysSinceEpoch == 0)
        #expect(CalendarDay("2025-06-10")?.secondsSinceEpoch == 1_749_513_600)
        #expect(CalendarDay("2024-02-29") != nil)
        #expect(CalendarDay("2025-02-29") == nil)
        #expect(CalendarDay("2025-13-01") == nil)
        #expect(CalendarDay("2025-6-10") == nil)
        #expect(CalendarDay("2025-06-10T00:00:00Z") == nil)
    }

    @Test func printsWhatItParsed() {
        for text in ["1970-01-01", "2000-02-29", "2025-12-31", "1969-12-31", "2100-03-01"] {
            #expect(CalendarDay(text)?.description == text)
        }
        #expect(CalendarDay(secondsSinceEpoch: -1).description == "1969-12-31")
        #expect(CalendarDay(secondsSinceEpoch: 1_749_513_599).description == "2025-06-09")
    }
}
