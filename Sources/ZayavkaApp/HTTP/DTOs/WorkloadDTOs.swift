import Foundation
import SQLKit
import Vapor
import ZayavkaCore

struct WorkSlotDTO: Content {
    let id: Int
    let user: PersonRef
    let ticketNumber: Int?
    let subject: String?
    let startsAt: Date
    let endsAt: Date
    let minutes: Int
    let note: String?

    enum CodingKeys: String, CodingKey {
        case id, user, subject, minutes, note
        case ticketNumber = "ticket_number", startsAt = "starts_at", endsAt = "ends_at"
    }
}

struct WorkTaskDTO: Content {
    let number: Int
    let subject: String
    let dueAt: Date
    let status: String

    enum CodingKeys: String, CodingKey { case number, subject, status, dueAt = "due_at" }
}

struct PersonWorkloadDTO: Content {
    let user: PersonRef
    let calendar: String
    /// Working minutes of the person's calendar in the period, and how many of them are planned.
    let workingMinutes: Int
    let plannedMinutes: Int
    let slots: [WorkSlotDTO]
    let tasks: [WorkTaskDTO]

    enum CodingKeys: String, CodingKey {
        case user, calendar, slots, tasks
        case workingMinutes = "working_minutes", plannedMinutes = "planned_minutes"
    }
}

struct WorkloadDTO: Content {
    let from: Date
    let to: Date
    let people: [PersonWorkloadDTO]
}

struct PlanInput: Content {
    let minutes: Int
    let userId: Int?
    let notBefore: Date?
    /// Tell the customer the completion date as a promise (default true).
    let tellCustomer: Bool?
    let note: String?

    enum CodingKeys: String, CodingKey {
        case minutes, note
        case userId = "user_id", notBefore = "not_before", tellCustomer = "tell_customer"
    }
}

struct PlanDTO: Content {
    let user: PersonRef
    let startsAt: Date
    let endsAt: Date
    let minutes: Int
    /// The stored slot; nil for a proposal.
    let slotId: Int?
    /// The public reply that told the customer the date, when one was sent.
    let commentId: Int?

    enum CodingKeys: String, CodingKey {
        case user, minutes
        case startsAt = "starts_at", endsAt = "ends_at", slotId = "slot_id", commentId = "comment_id"
    }
}

struct SLAOutcomeDTO: Content {
    let policy: String?
    let metric: SLAMetric
    let achieved: Int
    let missed: Int
    /// Share achieved, in percent.
    let achievedPercent: Double

    enum CodingKeys: String, CodingKey { case policy, metric, achieved, missed, achievedPercent = "achieved_percent" }
}
