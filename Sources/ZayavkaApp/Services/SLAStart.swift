import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import ZayavkaCore

/// Clocks to start for a new ticket: the first matching policy's first-response and resolution targets.
struct SLAStart: Sendable {
    let policyID: Int
    let calendarID: Int
    let warnPercent: Int
    let clocks: [SLAClock]
    let calendar: BusinessCalendar

    static func plan(for subject: SLASubject, at now: Date, setup: SLASetupCache.Setup) -> SLAStart? {
        guard let match = setup.policies.first(where: { $0.policy.conditions.matches(subject) }),
              let calendar = setup.calendars[match.calendarID] else { return nil }
        let clocks = [SLAMetric.firstResponse, .resolution].compactMap { metric in
            match.policy.targets[metric].map { SLAClock(metric: metric, targetMinutes: $0, startedAt: now) }
        }
        return clocks.isEmpty ? nil : SLAStart(policyID: match.id, calendarID: match.calendarID, warnPercent: match.policy.warnAtPercent,
                                               clocks: clocks, calendar: calendar)
    }

    var nextDue: Date? { clocks.compactMap { $0.dueAt(on: calendar) }.min() }
}
