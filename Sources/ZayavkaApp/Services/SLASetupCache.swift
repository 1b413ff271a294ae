import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import ZayavkaCore

/// Active SLA policies, and every calendar (clocks started under a policy since deactivated still
/// need theirs), cached briefly like the status catalogue.
final class SLASetupCache: Sendable {
    struct Policy: Sendable {
        let id: Int
        let policy: SLAPolicy
        let calendarID: Int
    }

    struct Setup: Sendable {
        let policies: [Policy]
        let calendars: [Int: BusinessCalendar]
    }

    private let cache = RefreshingCache<Setup>()

    func setup(_ sql: any SQLDatabase) async throws -> Setup {
        try await cache.value {
            let policies = try await sql.raw("""
                SELECT id, key, name, conditions, targets, warn_at_percent, calendar_id, escalation FROM sla_policies
                WHERE active = \(bind: true) ORDER BY position, id
                """).all().map { row in
                Policy(id: try row.decode(column: "id", as: Int.self),
                       policy: SLAPolicy(key: try row.decode(column: "key", as: String.self), name: try row.decode(column: "name", as: String.self),
                                         conditions: try WorkingTimeJSON.decode(SLAConditions.self, try row.decode(column: "conditions", as: String.self)),
                                         targets: try WorkingTimeJSON.decode(SLATargetsDTO.self, try row.decode(column: "targets", as: String.self)).metrics,
                                         warnAtPercent: try row.decode(column: "warn_at_percent", as: Int.self),
                                         escalation: try WorkingTimeJSON.escalation(try row.decode(column: "escalation", as: String?.self))),
                       calendarID: try row.decode(column: "calendar_id", as: Int.self))
            }
            let calendars = try await CalendarStore.load(where: "1 = 1", on: sql).map { ($0.id, $0.calendar) }
            return Setup(policies: policies, calendars: Dictionary(uniqueKeysWithValues: calendars))
        }
    }

    func invalidate() { cache.invalidate() }
}
