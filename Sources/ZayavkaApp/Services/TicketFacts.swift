import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// A ticket as stored, before deciding what a viewer may see of it.
struct TicketFacts {
    let number: Int
    let subject: String
    let status: String
    let type: TicketType
    let priority: TicketPriority
    let urgency: Int?
    let channel: TicketChannel
    let responsibility: Responsibility?
    let cause: String?
    let requester: PersonRef
    let organization: PersonRef?
    let assignee: PersonRef?
    let group: PersonRef?
    let dueAt: Date?
    let fields: [String: String]
    let createdAt: Date
    let updatedAt: Date
    let solvedAt: Date?
    let closedAt: Date?
    let nextDueAt: Date?

    /// The one place that decides what of a ticket a viewer sees: customers get neither the
    /// staff-only fields (SPEC V1, X3) nor the answers to intake questions hidden from them.
    func dto(for viewer: Viewer, catalog: CatalogCache.Snapshot, language: Language) -> TicketDTO {
        let staff = viewer.role.isStaff
        let visibleFields = staff ? fields : fields.filter { key, _ in
            catalog.intake.first(where: { $0.key == key })?.customerVisible ?? false
        }
        return TicketDTO(
            number: number, subject: subject, status: status,
            statusName: catalog.workflow.definition(status)?.name(language, forStaff: staff) ?? status,
            type: type, priority: priority, urgency: urgency, channel: channel,
            responsibility: staff ? responsibility : nil, cause: staff ? cause : nil,
            requester: requester, organization: organization, assignee: assignee, group: staff ? group : nil,
            dueAt: dueAt, fields: visibleFields, createdAt: createdAt, updatedAt: updatedAt,
            solvedAt: solvedAt, closedAt: closedAt, nextDueAt: staff ? nextDueAt : nil)
    }
}
