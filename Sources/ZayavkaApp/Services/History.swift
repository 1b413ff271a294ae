import Foundation
import SQLKit
import ZayavkaCore

/// Writes history events: all of one change in a single multi-row INSERT.
enum History {
    static func record(_ events: [NewEvent], on sql: any SQLDatabase) async throws {
        guard !events.isEmpty else { return }
        let rows: [SQLQueryString] = events.map { e in
            "(\(bind: e.ticketID), \(bind: e.actorID), \(bind: e.kind.rawValue), \(bind: e.field), \(bind: e.before), \(bind: e.after), \(bind: e.commentID), \(bind: e.isPublic), \(bind: e.at), \(bind: e.reason))"
        }
        let statement: SQLQueryString = """
            INSERT INTO ticket_events (ticket_id, actor_id, kind, field, "before", "after", comment_id, is_public, created_at, reason) VALUES
            """
        try await sql.raw(statement + " " + rows.joined(separator: ", ")).run()
    }

    /// The event for one field change; staff-only fields make staff-only events.
    static func event(for change: FieldChange, ticketID: Int, actorID: Int?, intake: [IntakeFieldDefinition], at now: Date) -> NewEvent {
        let kind: EventKind = switch change.field {
        case "status": .statusChanged
        case "assignee_id": .assigned
        default: .fieldChanged
        }
        var isPublic = !Visibility.staffOnlyFields.contains(change.field) || change.field == "assignee_id"
        if change.field.hasPrefix("fields.") {
            isPublic = intake.first(where: { "fields." + $0.key == change.field })?.customerVisible ?? false
        }
        return NewEvent(ticketID: ticketID, actorID: actorID, kind: kind, field: change.field, before: change.before,
                        after: change.after, isPublic: isPublic, at: now)
    }
}
