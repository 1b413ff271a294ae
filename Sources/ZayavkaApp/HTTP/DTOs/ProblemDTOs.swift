import Foundation
import Vapor
import ZayavkaCore

/// A known problem. Customers get the number, title, public summary, status and versions; the
/// internal description, owner, tracker link and popularity are staff-only and left out.
struct ProblemDTO: Content {
    let number: Int
    /// The number as people say it: «P-101».
    let code: String
    let kind: ProblemKind
    let title: String
    let publicSummary: String
    let status: ProblemStatus
    let statusName: String
    let targetVersion: String?
    let targetDate: String?
    let fixedVersion: String?
    let reason: String?
    let estimate: String?
    let incidentActive: Bool
    let updatedAt: Date
    // Staff only.
    let description: String?
    let group: PersonRef?
    let owner: PersonRef?
    let trackerUrl: String?
    let failureKind: String?
    let popularity: ProblemPopularity?
    let createdAt: Date?

    enum CodingKeys: String, CodingKey {
        case number, code, kind, title, status, reason, estimate, description, group, owner, popularity
        case publicSummary = "public_summary", statusName = "status_name", targetVersion = "target_version", targetDate = "target_date"
        case fixedVersion = "fixed_version", incidentActive = "incident_active", updatedAt = "updated_at", trackerUrl = "tracker_url"
        case failureKind = "failure_kind", createdAt = "created_at"
    }
}

/// A new problem. With `ticket_number` the ticket is linked at once (an agent creating it from a ticket).
struct ProblemInput: Content {
    var kind: ProblemKind?
    var title: String?
    var description: String?
    var publicSummary: String?
    var groupId: Int?
    var ownerId: Int?
    var trackerUrl: String?
    var ticketNumber: Int?

    enum CodingKeys: String, CodingKey {
        case kind, title, description
        case publicSummary = "public_summary", groupId = "group_id", ownerId = "owner_id", trackerUrl = "tracker_url", ticketNumber = "ticket_number"
    }
}

/// A change to a problem. A new status, a new estimate or a `note` is a public update: every
/// interested party gets one mail and every linked open ticket a public reply. `solve_tickets`
/// (with status fixed, or to end an outage) solves the linked open tickets too.
struct ProblemPatchInput: Content {
    var kind: ProblemKind?
    var title: String?
    var description: String?
    var publicSummary: String?
    var groupId: Int??
    var ownerId: Int??
    var trackerUrl: String??
    var status: ProblemStatus?
    var targetVersion: String?
    var targetDate: String?
    var fixedVersion: String?
    var reason: String?
    var estimate: String?
    var note: String?
    var solveTickets: Bool?

    enum CodingKeys: String, CodingKey {
        case kind, title, description, status, reason, estimate, note
        case publicSummary = "public_summary", groupId = "group_id", ownerId = "owner_id", trackerUrl = "tracker_url"
        case targetVersion = "target_version", targetDate = "target_date", fixedVersion = "fixed_version", solveTickets = "solve_tickets"
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        kind = try c.decodeIfPresent(ProblemKind.self, forKey: .kind)
        title = try c.decodeIfPresent(String.self, forKey: .title)
        description = try c.decodeIfPresent(String.self, forKey: .description)
        publicSummary = try c.decodeIfPresent(String.self, forKey: .publicSummary)
        groupId = try c.patch(Int.self, forKey: .groupId)
        ownerId = try c.patch(Int.self, forKey: .ownerId)
        trackerUrl = try c.patch(String.self, forKey: .trackerUrl)
        status = try c.decodeIfPresent(ProblemStatus.self, forKey: .status)
        targetVersion = try c.decodeIfPresent(String.self, forKey: .targetVersion)
        targetDate = try c.decodeIfPresent(String.self, forKey: .targetDate)
        fixedVersion = try c.decodeIfPresent(String.self, forKey: .fixedVersion)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        estimate = try c.decodeIfPresent(String.self, forKey: .estimate)
        note = try c.decodeIfPresent(String.self, forKey: .note)
        solveTickets = try c.decodeIfPresent(Bool.self, forKey: .solveTickets)
    }
}

/// Linking a ticket to a problem, by the problem's number (101 or "P-101").
struct ProblemLinkInput: Content {
    var problem: String

    init(problem: String) { self.problem = problem }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if let number = try? c.decode(Int.self, forKey: .problem) { problem = String(number) } else { problem = try c.decode(String.self, forKey: .problem) }
    }

    enum CodingKeys: String, CodingKey { case problem }
}

/// A linked ticket as the problem's page lists it (staff).
struct ProblemTicketDTO: Content {
    let number: Int
    let subject: String
    let status: String
    let requester: PersonRef
    let organization: PersonRef?
    let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case number, subject, status, requester, organization
        case createdAt = "created_at"
    }
}

/// One entry of a problem's history (staff).
struct ProblemEventDTO: Content {
    let id: Int
    let kind: String
    let field: String?
    let before: String?
    let after: String?
    let actor: PersonRef?
    let isPublic: Bool
    let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, kind, field, before, after, actor
        case isPublic = "is_public", createdAt = "created_at"
    }
}
