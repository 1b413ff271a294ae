import Foundation
import ZayavkaCore

// `swift run -c release zayavka-bench`: how fast the working-time arithmetic is, the part of SLA
// work every ticket write and every timer scan repeats. Prints figures; asserts nothing.

/// A small deterministic generator, so runs are comparable.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func measure(_ label: String, count: Int, _ body: (Int) -> Int) {
    let start = DispatchTime.now().uptimeNanoseconds
    var checksum = 0
    for index in 0..<count { checksum &+= body(index) }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let rate = Double(count) / seconds
    let padded = label.padding(toLength: 60, withPad: " ", startingAt: 0)
    print(padded + String(format: "%12.0f /s  (%d in %.2f s, checksum %d)", rate, count, seconds, checksum))
}

/// The working-time figures (the default command).
func workingTimeBenchmark() {
    let calendar = SLATemplates.seed003Calendar
    let lunch = BusinessCalendar.fiveDay([WorkingHours(9 * 60, 13 * 60), WorkingHours(14 * 60, 18 * 60)], days: .russia)
    let berlin = BusinessCalendar.fiveDay([WorkingHours(8 * 60, 17 * 60)], timeZone: TimeZone(identifier: "Europe/Berlin")!)
    var rng = SplitMix64(state: 42)
    let year2026 = Date(timeIntervalSince1970: 1_767_214_800)  // 2026-01-01 00:00 Moscow
    let starts = (0..<200_000).map { _ in year2026.addingTimeInterval(Double(Int.random(in: 0..<(365 * 1440), using: &rng)) * 60) }
    let targets = (0..<200_000).map { _ in [30, 120, 240, 360, 960].randomElement(using: &rng)! }
    let subjects = (0..<200_000).map { _ in SLASubject(type: TicketType.allCases.randomElement(using: &rng)!) }

    print("Zayavka working-time arithmetic (release build, one core):")
    measure("due time, seed 003 calendar (9–18 MSK, RU holidays)", count: 200_000) { i in
        Int(calendar.adding(workingMinutes: targets[i], to: starts[i])!.timeIntervalSince1970)
    }
    measure("due time, two stretches a day (lunch break)", count: 200_000) { i in
        Int(lunch.adding(workingMinutes: targets[i], to: starts[i])!.timeIntervalSince1970)
    }
    measure("due time, Europe/Berlin (daylight saving)", count: 200_000) { i in
        Int(berlin.adding(workingMinutes: targets[i], to: starts[i])!.timeIntervalSince1970)
    }
    measure("working minutes between two instants (up to 1 week apart)", count: 200_000) { i in
        calendar.workingMinutes(from: starts[i], to: starts[i].addingTimeInterval(Double(targets[i]) * 630))
    }
    measure("policy match + due time (seed 003 templates)", count: 200_000) { i in
        guard let policy = SLAPolicy.firstMatch(in: SLATemplates.seed003, for: subjects[i]),
              let minutes = policy.targets[.firstResponse] else { return 0 }
        return Int(SLAClock(metric: .firstResponse, targetMinutes: minutes, startedAt: starts[i]).dueAt(on: calendar)!.timeIntervalSince1970)
    }
}
