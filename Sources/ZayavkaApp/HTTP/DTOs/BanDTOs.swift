import Foundation
import Vapor
import ZayavkaCore

/// A ban (issue 19, SPEC X1) as managers see it.
struct BanDTO: Content {
    let id: Int
    let scope: String
    /// The banned customer (scope `customer`).
    let customer: PersonRef?
    /// The address or domain (for a customer: their address when banned).
    let value: String
    let reason: String
    let endsAt: Date?
    /// active | expired | lifted
    let state: String
    let createdBy: PersonRef?
    let createdAt: Date
    let updatedAt: Date
    let liftedAt: Date?
    let liftedBy: PersonRef?
    let liftReason: String?
    let requestId: Int?

    enum CodingKeys: String, CodingKey {
        case id, scope, customer, value, reason, state
        case endsAt = "ends_at", createdBy = "created_by", createdAt = "created_at", updatedAt = "updated_at"
        case liftedAt = "lifted_at", liftedBy = "lifted_by", liftReason = "lift_reason", requestId = "request_id"
    }
}

/// A new ban: a customer's account (`customer_id`, or `value` = the account's address), one address
/// or a domain (`value`), the reason, and when it ends by itself (none: until lifted).
struct BanInput: Content {
    var scope: String?
    var customerId: Int?
    var value: String?
    var reason: String?
    var endsAt: Date?

    enum CodingKeys: String, CodingKey {
        case scope, value, reason
        case customerId = "customer_id", endsAt = "ends_at"
    }
}

/// A change of a ban: its reason, its end (`ends_at`) or `permanent: true` to take the end away.
struct BanUpdate: Content {
    var reason: String?
    var endsAt: Date?
    var permanent: Bool?

    enum CodingKeys: String, CodingKey {
        case reason, permanent
        case endsAt = "ends_at"
    }
}

/// Why a ban is lifted, or a request declined.
struct BanDecisionNote: Content {
    var reason: String?
}

/// A ban request recorded by a conduct warning, waiting for (or settled by) a manager.
struct BanRequestDTO: Content {
    let id: Int
    let ticketNumber: Int
    let ticketSubject: String
    let customer: PersonRef
    let customerEmail: String
    /// Conduct warnings the customer has had in all.
    let warnings: Int
    let requestedBy: PersonRef?
    let requestedAt: Date
    /// pending | approved | declined
    let status: String
    let decidedBy: PersonRef?
    let decidedAt: Date?
    let decisionNote: String?
    let banId: Int?

    enum CodingKeys: String, CodingKey {
        case id, customer, warnings, status
        case ticketNumber = "ticket_number", ticketSubject = "ticket_subject", customerEmail = "customer_email"
        case requestedBy = "requested_by", requestedAt = "requested_at", decidedBy = "decided_by", decidedAt = "decided_at"
        case decisionNote = "decision_note", banId = "ban_id"
    }
}

/// Approving a request: the ban's reason (default: the repeat offence on the ticket) and end.
struct BanApproval: Content {
    var reason: String?
    var endsAt: Date?

    enum CodingKeys: String, CodingKey {
        case reason
        case endsAt = "ends_at"
    }
}
