import ArgumentParser
import Foundation
import TallyLedger

/// `--tz ZONE`: the time zone of month and day boundaries, read by one rule for every command;
/// `Default` says which zone a command takes when the flag is left out.
struct TimeZoneOption<Default: DefaultTimeZone>: ParsableArguments {
    @Option(help: ArgumentHelp("The time zone of month and day boundaries, e.g. Asia/Bangkok or UTC (default: \(Default.help)).", valueName: "zone"))
    var tz: String?

    /// The zone, or a usage failure naming the flag.
    func timeZone() throws(Failure) -> TimeZone {
        guard let tz else { return Default.zone }
        guard let zone = BudgetPeriod.timeZone(named: tz) else {
            throw Failure("--tz \(tz): unknown time zone (\(BudgetPeriod.zoneNameHint))", status: ExitStatus.usage)
        }
        return zone
    }

    /// The zone's name as given (`UTC` stays `UTC`, which Foundation may call `GMT`).
    var zoneName: String { tz ?? Default.name }
}

/// The zone a command's boundaries are in when `--tz` is left out.
protocol DefaultTimeZone {
    /// The zone.
    static var zone: TimeZone { get }
    /// Its name, as reports show it.
    static var name: String { get }
    /// The default, as `--help` says it.
    static var help: String { get }
}

/// Reports: the local zone, as a person reading a report counts months.
enum LocalTimeZone: DefaultTimeZone {
    static var zone: TimeZone { .current }
    static var name: String { TimeZone.current.identifier }
    static var help: String { "the local zone" }
}

/// Budgets: UTC, the zone `tally serve` takes a budget's period in, so both agree on every machine.
enum BudgetTimeZone: DefaultTimeZone {
    static var zone: TimeZone { BudgetPeriod.utc }
    static var name: String { "UTC" }
    static var help: String { "UTC, as tally serve; a budget file's own \"tz\" wins" }
}
