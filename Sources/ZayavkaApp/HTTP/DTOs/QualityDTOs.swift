import Foundation
import Vapor
import ZayavkaCore

// Issue 18: resolution reports, satisfaction surveys, service feedback, conversation reviews.

/// The resolution report sent with a change that solves a ticket (`resolution` of a patch or reply).
struct ResolutionInput: Content, Equatable {
    var fixed: String?
    var how: String?
    var prevention: String?
    var check: String?

    var report: ResolutionReport { ResolutionReport(fixed: fixed ?? "", how: how ?? "", prevention: prevention ?? "", check: check ?? "") }
}

struct ResolutionDTO: Content {
    let id: Int
    let fixed: String
    let how: String
    let prevention: String
    let check: String
    let author: PersonRef?
    let createdAt: Date
    /// The customer's answer: works, not_working; null before they answer.
    let outcome: String?
    let outcomeAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, fixed, how, prevention, check, author, outcome
        case createdAt = "created_at", outcomeAt = "outcome_at"
    }
}

/// `POST /quality/links/resolution`: the customer's answer to a solved mail's link.
struct ResolutionAnswerInput: Content {
    let token: String
    /// works | not_working
    let answer: String
    /// What still does not work (required with not_working): posted as the customer's reply, which reopens the ticket.
    var text: String?
}

struct SurveyDTO: Content {
    let id: Int
    let ticketNumber: Int
    let subject: String
    let requester: PersonRef
    let assignee: PersonRef?
    /// sent | skipped
    let status: String
    /// Why it was not sent (staff only): automatic_mail, staff_requester, blocked_customer, no_address, surveyed_before, rated_before.
    let reason: String?
    let solvedAt: Date
    let sentAt: Date?
    let expiresAt: Date?
    let rating: SatisfactionRating?
    let comment: String?
    let ratedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, subject, requester, assignee, status, reason, rating, comment
        case ticketNumber = "ticket_number", solvedAt = "solved_at", sentAt = "sent_at", expiresAt = "expires_at", ratedAt = "rated_at"
    }
}

/// `POST /quality/links/survey`: a rating (and comment) through the survey mail's link, without signing in.
struct SurveyRatingInput: Content {
    let token: String
    var rating: SatisfactionRating?
    var comment: String?
}

struct FeedbackInput: Content {
    var name: String?
    var contact: String?
    let body: String
}

struct FeedbackPatchInput: Content {
    var status: String?
    var note: String?
}

struct FeedbackDTO: Content {
    let id: Int
    let name: String
    let contact: String
    let body: String
    let userId: Int?
    let status: String
    let note: String
    let handledBy: PersonRef?
    let createdAt: Date
    let updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, contact, body, status, note
        case userId = "user_id", handledBy = "handled_by", createdAt = "created_at", updatedAt = "updated_at"
    }
}

/// `POST /feedback`: the number the remark got.
struct FeedbackReceiptDTO: Content {
    let id: Int
}

struct QualitySettingsDTO: Content {
    let surveyEnabled: Bool
    let surveyDelayMinutes: Int
    let surveyOncePerTicket: Bool
    let surveyValidDays: Int
    let reviewsPerAgentPerWeek: Int
    /// Type → the report parts its solution requires.
    let resolutionRequired: [String: [String]]

    init(_ settings: QualitySettings) {
        surveyEnabled = settings.surveyEnabled
        surveyDelayMinutes = settings.surveyDelayMinutes
        surveyOncePerTicket = settings.surveyOncePerTicket
        surveyValidDays = settings.surveyValidDays
        reviewsPerAgentPerWeek = settings.reviewsPerAgentPerWeek
        resolutionRequired = Dictionary(uniqueKeysWithValues: TicketType.allCases.map { type in
            (type.rawValue, ResolutionPart.allCases.filter { settings.required(for: type).contains($0) }.map(\.rawValue))
        })
    }

    enum CodingKeys: String, CodingKey {
        case surveyEnabled = "survey_enabled", surveyDelayMinutes = "survey_delay_minutes", surveyOncePerTicket = "survey_once_per_ticket"
        case surveyValidDays = "survey_valid_days", reviewsPerAgentPerWeek = "reviews_per_agent_per_week", resolutionRequired = "resolution_required"
    }
}

/// `PATCH /quality/settings`: only the keys given change.
struct QualitySettingsInput: Content {
    var surveyEnabled: Bool?
    var surveyDelayMinutes: Int?
    var surveyOncePerTicket: Bool?
    var surveyValidDays: Int?
    var reviewsPerAgentPerWeek: Int?
    var resolutionRequired: [String: [String]]?

    enum CodingKeys: String, CodingKey {
        case surveyEnabled = "survey_enabled", surveyDelayMinutes = "survey_delay_minutes", surveyOncePerTicket = "survey_once_per_ticket"
        case surveyValidDays = "survey_valid_days", reviewsPerAgentPerWeek = "reviews_per_agent_per_week", resolutionRequired = "resolution_required"
    }

    /// As stored keys; an unknown type is reported as such.
    var values: [String: String] {
        var result: [String: String] = [:]
        if let surveyEnabled { result["survey.enabled"] = String(surveyEnabled) }
        if let surveyDelayMinutes { result["survey.delay_minutes"] = String(surveyDelayMinutes) }
        if let surveyOncePerTicket { result["survey.once_per_ticket"] = String(surveyOncePerTicket) }
        if let surveyValidDays { result["survey.valid_days"] = String(surveyValidDays) }
        if let reviewsPerAgentPerWeek { result["review.per_agent_per_week"] = String(reviewsPerAgentPerWeek) }
        for (type, parts) in resolutionRequired ?? [:] { result["resolution.required.\(type)"] = parts.joined(separator: ",") }
        return result
    }
}

struct CriterionDTO: Content {
    let id: Int
    let key: String
    let nameRu: String
    let nameEn: String
    let weight: Int
    let position: Int
    let active: Bool

    enum CodingKeys: String, CodingKey {
        case id, key, weight, position, active
        case nameRu = "name_ru", nameEn = "name_en"
    }
}

struct CriterionInput: Content {
    var key: String?
    var nameRu: String?
    var nameEn: String?
    var weight: Int?
    var position: Int?
    var active: Bool?

    enum CodingKeys: String, CodingKey {
        case key, weight, position, active
        case nameRu = "name_ru", nameEn = "name_en"
    }
}

struct ReviewScoreDTO: Content {
    let criterion: String
    let score: Int
    let comment: String
}

struct ReviewDTO: Content {
    let id: Int
    let ticketNumber: Int
    let subject: String
    let agent: PersonRef
    /// The Monday of the sampled week (Moscow time).
    let week: String
    /// pending | done
    let status: String
    let reviewer: PersonRef?
    /// The weighted share of the maximum, 0–100.
    let total: Double?
    let comment: String
    let scores: [ReviewScoreDTO]
    let createdAt: Date
    let reviewedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, subject, agent, week, status, reviewer, total, comment, scores
        case ticketNumber = "ticket_number", createdAt = "created_at", reviewedAt = "reviewed_at"
    }
}

struct ReviewScoreInput: Content {
    struct Item: Content {
        let criterion: String
        let score: Int
        var comment: String?
    }

    let scores: [Item]
    var comment: String?
}

/// `POST /reviews/sample`: the week (any day of it; default: last week).
struct ReviewSampleInput: Content {
    var week: String?
}

struct ReviewSampleDTO: Content {
    let week: String
    let added: Int
}

struct ReviewSummaryDTO: Content {
    let agent: PersonRef
    let week: String
    /// A criterion's key, or "total" for the weighted total (0–100).
    let criterion: String
    let average: Double
    let reviews: Int
}
