import Fluent
import Foundation
import SQLKit
import ZayavkaCore

/// A validated ticket, ready to be written.
struct TicketDraft: Sendable {
    let subject: String
    let body: String
    let requesterID: Int
    let organizationID: Int?
    let channel: TicketChannel
    let type: TicketType
    let priority: TicketPriority
    let urgency: Int?
    let responsibility: String?
    let cause: String?
    let status: String
    let assigneeID: Int?
    let groupID: Int?
    let dueAt: Date?
    let createdByID: Int
    let fields: [String: String]
    let uploads: [AttachmentRecord]
    let at: Date
    /// The clocks the first matching SLA policy starts, if any.
    let sla: SLAStart?
    /// The received message this ticket comes from: marked processed in the same transaction.
    var mail: MailLink? = nil
    /// The critical-problem rules the request matched (SPEC T4): recorded, and the dispatchers told.
    var critical: [CriticalRule] = []
    /// The failure kind the request matched (SPEC P3): counted by outbreak detection, and linked on
    /// arrival to the active mass incident of that kind.
    var failureKind: String? = nil
    /// The client's `Idempotency-Key`: recorded with the ticket, in its transaction.
    var idempotency: IdempotencyKey? = nil
}
