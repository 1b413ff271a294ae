import Foundation
import Vapor
import ZayavkaCore

/// When a burst of matching requests is an outbreak, and what affected customers are told (SPEC P3).
struct OutbreakSettingsDTO: Content {
    let customers: Int
    let windowMinutes: Int
    let reminderMinutes: Int
    let textRu: String
    let textEn: String

    enum CodingKeys: String, CodingKey {
        case customers, windowMinutes = "window_minutes", reminderMinutes = "reminder_minutes", textRu = "text_ru", textEn = "text_en"
    }

    var rule: OutbreakRule { OutbreakRule(customers: customers, windowMinutes: windowMinutes, reminderMinutes: reminderMinutes) }
    func text(_ language: Language) -> String { language == .en ? textEn : textRu }
}

/// A change to the outbreak settings (admins); absent fields keep their value.
struct OutbreakSettingsInput: Content {
    var customers: Int?
    var windowMinutes: Int?
    var reminderMinutes: Int?
    var textRu: String?
    var textEn: String?

    enum CodingKeys: String, CodingKey {
        case customers, windowMinutes = "window_minutes", reminderMinutes = "reminder_minutes", textRu = "text_ru", textEn = "text_en"
    }
}

/// A request counted in an outbreak alert.
struct OutbreakTicketDTO: Content {
    let number: Int
    let subject: String
    let requester: PersonRef
    let organization: PersonRef?
    let channel: String
    let createdAt: Date

    enum CodingKeys: String, CodingKey { case number, subject, requester, organization, channel, createdAt = "created_at" }
}

/// An open outbreak alert: several customers report one failure kind; nobody has declared or dismissed it yet.
struct OutbreakAlertDTO: Content {
    let id: Int
    let failureKind: String
    let failureKindName: String
    let customers: Int
    let since: Date
    let openedAt: Date
    let acknowledgedBy: PersonRef?
    let acknowledgedAt: Date?
    let remindedAt: Date?
    /// The matching requests not linked to a problem yet, oldest first (at most 50).
    let tickets: [OutbreakTicketDTO]

    enum CodingKeys: String, CodingKey {
        case id, customers, since, tickets
        case failureKind = "failure_kind", failureKindName = "failure_kind_name", openedAt = "opened_at"
        case acknowledgedBy = "acknowledged_by", acknowledgedAt = "acknowledged_at", remindedAt = "reminded_at"
    }
}

/// An active mass incident as everyone signed in may see it: the number, what customers are told, the estimate.
struct ActiveIncidentDTO: Content {
    let number: Int
    let code: String
    let title: String
    /// The words for customers in the reader's language (seed 002's by default).
    let text: String
    let estimate: String?
    let since: Date
    // Staff only.
    let failureKind: String?
    let failureKindName: String?
    let tickets: Int?

    enum CodingKeys: String, CodingKey {
        case number, code, title, text, estimate, since, tickets
        case failureKind = "failure_kind", failureKindName = "failure_kind_name"
    }
}

/// What the agent pages' banner shows: open alerts and active incidents.
struct IncidentBoardDTO: Content {
    let alerts: [OutbreakAlertDTO]
    let active: [ActiveIncidentDTO]
}

/// Declaring a mass incident (staff): from an alert (`alert_id`) or by hand (`failure_kind`). Every
/// open request of that failure kind since the alert's first one (by hand: since `since`, default the
/// outbreak window) is linked, plus the numbers in `ticket_numbers`; every affected customer is told
/// `text_ru`/`text_en` (default: the outbreak settings' words).
struct IncidentInput: Content {
    var alertId: Int?
    var failureKind: String?
    var title: String?
    var textRu: String?
    var textEn: String?
    var since: Date?
    var ticketNumbers: [Int]?

    enum CodingKeys: String, CodingKey {
        case title, since
        case alertId = "alert_id", failureKind = "failure_kind", textRu = "text_ru", textEn = "text_en", ticketNumbers = "ticket_numbers"
    }
}
