import Foundation

/// A piece of a specialist's planned work (SPEC S4).
public struct WorkSlot: Sendable, Equatable, Codable {
    public let start: Date
    public let end: Date
    public let ticketNumber: Int?

    public init(start: Date, end: Date, ticketNumber: Int? = nil) {
        self.start = start
        self.end = end
        self.ticketNumber = ticketNumber
    }
}

/// Plans work into a specialist's calendar: the earliest stretch after `notBefore` that holds
/// `minutes` of working time without touching planned work (it may span nights and holidays, which
/// are not working time, but not another slot). Its end is the completion date promised to the
/// customer (seed 000: "we can tell you when it will be done").
public enum WorkloadPlanner {
    public static func earliestSlot(minutes: Int, notBefore: Date, calendar: BusinessCalendar, busy: [WorkSlot]) -> WorkSlot? {
        precondition(minutes > 0, "planned work takes time")
        let needed = Double(minutes) * 60
        let slots = busy.filter { $0.end > notBefore }.sorted { $0.start < $1.start }
        var candidate: Date?
        var gathered: TimeInterval = 0
        var slotIndex = 0
        for period in calendar.periods(from: notBefore) {
            var cursor = period.start
            while cursor < period.end {
                // Pass slots that end before the cursor; one that lies inside the stretch being gathered
                // (planned in non-working time between two periods) breaks it. The next slot bounds the stretch.
                while slotIndex < slots.count, slots[slotIndex].end <= cursor {
                    if let start = candidate, slots[slotIndex].end > start {
                        candidate = nil
                        gathered = 0
                    }
                    slotIndex += 1
                }
                if slotIndex < slots.count, slots[slotIndex].start <= cursor {
                    // Inside planned work: start again after it.
                    cursor = slots[slotIndex].end
                    candidate = nil
                    gathered = 0
                    continue
                }
                let freeEnd = slotIndex < slots.count ? min(period.end, slots[slotIndex].start) : period.end
                if candidate == nil { candidate = cursor }
                let available = freeEnd.timeIntervalSince(cursor)
                if gathered + available >= needed {
                    return WorkSlot(start: candidate!, end: cursor.addingTimeInterval(needed - gathered))
                }
                gathered += available
                cursor = freeEnd
                if slotIndex < slots.count, freeEnd == slots[slotIndex].start {
                    // The free stretch ran into planned work: the work cannot continue across it.
                    candidate = nil
                    gathered = 0
                }
            }
        }
        return nil
    }
}
