import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

// MARK: DTOs

struct CallDTO: Content {
    let id: Int
    let ticketNumber: Int?
    let direction: String
    let number: String
    let startedAt: Date
    let durationSeconds: Int
    let outcome: CallOutcome
    let note: String?
    let agent: PersonRef?
    let callbackId: Int?

    enum CodingKeys: String, CodingKey {
        case id, direction, number, outcome, note, agent
        case ticketNumber = "ticket_number", startedAt = "started_at", durationSeconds = "duration_seconds", callbackId = "callback_id"
    }
}

struct CallTicketInput: Content {
    let subject: String
    let body: String
    let requesterId: Int?
    let requesterEmail: String?
    let requesterName: String?
    let groupId: Int?
    let fields: [String: String]?

    enum CodingKeys: String, CodingKey {
        case subject, body, fields
        case requesterId = "requester_id", requesterEmail = "requester_email", requesterName = "requester_name", groupId = "group_id"
    }
}

struct CallInput: Content {
    var number: String
    var direction: String?
    var startedAt: Date?
    var durationSeconds: Int?
    var outcome: CallOutcome?
    var note: String?
    var ticketNumber: Int?
    var newTicket: CallTicketInput?
    /// When to call back (the customer's best time, Moscow time on the form): schedules a callback.
    var callbackAt: Date?

    enum CodingKeys: String, CodingKey {
        case number, direction, outcome, note
        case startedAt = "started_at", durationSeconds = "duration_seconds", ticketNumber = "ticket_number", newTicket = "new_ticket",
             callbackAt = "callback_at"
    }
}

struct CallbackDTO: Content {
    let id: Int
    let ticketNumber: Int
    let subject: String
    let number: String
    let dueAt: Date
    let assignee: PersonRef?
    let busyCount: Int
    /// pending, done, customer_told, cancelled
    let state: String
    let note: String?
    let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, subject, number, assignee, state, note
        case ticketNumber = "ticket_number", dueAt = "due_at", busyCount = "busy_count", createdAt = "created_at"
    }
}

struct CallbackInput: Content {
    var dueAt: Date
    var number: String?
    var note: String?
    var assigneeId: Int?

    enum CodingKeys: String, CodingKey { case number, note, dueAt = "due_at", assigneeId = "assignee_id" }
}

struct CallbackAttemptInput: Content {
    var outcome: CallOutcome
    var durationSeconds: Int?
    var note: String?

    enum CodingKeys: String, CodingKey { case outcome, note, durationSeconds = "duration_seconds" }
}

struct CallbackAttemptDTO: Content {
    let call: CallDTO
    /// done (got through), retry (a new callback is scheduled), customer_told (the rule's message was posted).
    let next: String
    let callback: CallbackDTO
    let retry: CallbackDTO?
    let commentId: Int?

    enum CodingKeys: String, CodingKey { case call, next, callback, retry, commentId = "comment_id" }
}

struct CallbackRuleDTO: Content {
    var retryMinutes: Int
    var busyRetries: Int
    var messageRu: String
    var messageEn: String

    enum CodingKeys: String, CodingKey {
        case retryMinutes = "retry_minutes", busyRetries = "busy_retries", messageRu = "message_ru", messageEn = "message_en"
    }

    var rule: CallbackRule { CallbackRule(retryMinutes: retryMinutes, busyRetries: busyRetries, messageRu: messageRu, messageEn: messageEn) }
}

struct CallbackRuleInput: Content {
    var retryMinutes: Int?
    var busyRetries: Int?
    var messageRu: String?
    var messageEn: String?

    enum CodingKeys: String, CodingKey {
        case retryMinutes = "retry_minutes", busyRetries = "busy_retries", messageRu = "message_ru", messageEn = "message_en"
    }
}
