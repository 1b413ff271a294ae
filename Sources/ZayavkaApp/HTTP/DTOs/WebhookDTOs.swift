import Foundation
import Vapor
import ZayavkaCore

// Issue 19 (SPEC C6): webhooks.

struct WebhookInput: Content {
    var url: String?
    var description: String?
    var events: [String]?
    var active: Bool?
    /// A new signing secret, returned once in the answer.
    var rotateSecret: Bool?

    enum CodingKeys: String, CodingKey {
        case url, description, events, active
        case rotateSecret = "rotate_secret"
    }
}

struct WebhookDTO: Content {
    let id: Int
    let url: String
    let description: String
    let events: [String]
    let active: Bool
    /// Deliveries that failed for good in a row; at the limit the subscription turns itself off.
    let failures: Int
    let disabledAt: Date?
    let disabledReason: String?
    /// Only when the subscription is created or its secret rotated.
    let secret: String?
    let createdAt: Date
    let updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, url, description, events, active, failures, secret
        case disabledAt = "disabled_at", disabledReason = "disabled_reason", createdAt = "created_at", updatedAt = "updated_at"
    }
}

struct WebhookDeliveryDTO: Content {
    let id: Int
    let webhookId: Int
    let eventId: String
    let eventType: String
    /// queued, sending, delivered, failed
    let status: String
    let attempts: Int
    let nextAttemptAt: Date?
    let lastStatus: Int?
    let lastResponse: String?
    let lastError: String?
    let durationMs: Int?
    let createdAt: Date
    let deliveredAt: Date?
    /// The JSON body sent.
    let payload: String

    enum CodingKeys: String, CodingKey {
        case id, status, attempts, payload
        case webhookId = "webhook_id", eventId = "event_id", eventType = "event_type", nextAttemptAt = "next_attempt_at",
             lastStatus = "last_status", lastResponse = "last_response", lastError = "last_error", durationMs = "duration_ms",
             createdAt = "created_at", deliveredAt = "delivered_at"
    }
}
