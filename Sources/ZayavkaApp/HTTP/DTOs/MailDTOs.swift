import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore
import ZayavkaMail

struct InboundMailDTO: Content {
    let id: Int
    let messageId: String?
    let from: String?
    let envelopeFrom: String
    let subject: String?
    let status: String
    let reason: String?
    let automatic: Bool
    let size: Int
    let ticketNumber: Int?
    let receivedAt: Date
    let processedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, from, subject, status, reason, automatic, size
        case messageId = "message_id", envelopeFrom = "envelope_from", ticketNumber = "ticket_number", receivedAt = "received_at",
             processedAt = "processed_at"
    }
}

struct OutboxMailDTO: Content {
    let id: Int
    let kind: String
    let to: String
    let subject: String
    let status: String
    let attempts: Int
    let lastError: String?
    let ticketNumber: Int?
    let messageId: String
    let createdAt: Date
    let sentAt: Date?
    let nextAttemptAt: Date

    enum CodingKeys: String, CodingKey {
        case id, kind, to, subject, status, attempts
        case lastError = "last_error", ticketNumber = "ticket_number", messageId = "message_id", createdAt = "created_at",
             sentAt = "sent_at", nextAttemptAt = "next_attempt_at"
    }
}

struct MailStatsDTO: Content {
    let inbound: [String: Int]
    let outbox: [String: Int]
    let relayConfigured: Bool

    enum CodingKeys: String, CodingKey { case inbound, outbox, relayConfigured = "relay_configured" }
}

struct MailTemplateDTO: Content {
    let kind: String
    let language: String
    let subject: String
    let body: String
    let customized: Bool
    let placeholders: [String]
}

struct MailTemplateInput: Content {
    let subject: String
    let body: String
}

struct PasswordResetInput: Content { let email: String }

struct PasswordSetInput: Content {
    let token: String
    let password: String
}
