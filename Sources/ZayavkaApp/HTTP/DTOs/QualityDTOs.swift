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

/// A report (SPEC Q4) over a period with filters: totals, a series per day, week or month, breakdowns,
/// SLA outcomes, agents, urgent requests per month, the latest rating comments.
struct ReportDTO: Content {
    struct Totals: Content {
        let created: Int
        let solved: Int
        let responded: Int
        /// Open at the end of the period.
        let backlog: Int
        /// Working minutes (the desk's default calendar), read from 21 buckets by interpolation.
        let firstResponseMedian: Double?
        let firstResponseP90: Double?
        let resolutionMedian: Double?
        let resolutionP90: Double?
        let good: Int
        let bad: Int
        /// Share of "Good" among ratings, percent.
        let satisfaction: Double?

        enum CodingKeys: String, CodingKey {
            case created, solved, responded, backlog, good, bad, satisfaction
            case firstResponseMedian = "first_response_median", firstResponseP90 = "first_response_p90"
            case resolutionMedian = "resolution_median", resolutionP90 = "resolution_p90"
        }
    }

    struct Point: Content {
        /// The first day of the bucket.
        let start: String
        let created: Int
        let solved: Int
        let backlog: Int
        let firstResponseMedian: Double?
        let resolutionMedian: Double?
        let good: Int
        let bad: Int
        let channels: [String: Int]
        let types: [String: Int]

        enum CodingKeys: String, CodingKey {
            case start, created, solved, backlog, good, bad, channels, types
            case firstResponseMedian = "first_response_median", resolutionMedian = "resolution_median"
        }
    }

    struct Cause: Content {
        let cause: String
        let created: Int
    }

    struct SLA: Content {
        let policyId: Int
        let policy: String
        let metric: String
        let metricName: String
        let met: Int
        let missed: Int
        let share: Double?

        enum CodingKeys: String, CodingKey {
            case policy, metric, met, missed, share
            case policyId = "policy_id", metricName = "metric_name"
        }
    }

    struct Agent: Content {
        /// Null: not assigned.
        let agent: PersonRef?
        let created: Int
        let solved: Int
        let openNow: Int?
        let reviewScore: Double?

        enum CodingKeys: String, CodingKey {
            case agent, created, solved
            case openNow = "open_now", reviewScore = "review_score"
        }
    }

    struct Month: Content {
        let month: String
        let count: Int
    }

    struct Comment: Content {
        let ticketNumber: Int
        let rating: SatisfactionRating
        let comment: String
        let ratedAt: Date?

        enum CodingKeys: String, CodingKey {
            case rating, comment
            case ticketNumber = "ticket_number", ratedAt = "rated_at"
        }
    }

    let from: String
    let to: String
    let granularity: String
    let totals: Totals
    let series: [Point]
    let channels: [String: Int]
    let types: [String: Int]
    let priorities: [String: Int]
    let urgencies: [String: Int]
    let responsibilities: [String: Int]
    let causes: [Cause]
    let sla: [SLA]
    let agents: [Agent]
    let urgentByMonth: [Month]
    let comments: [Comment]

    enum CodingKeys: String, CodingKey {
        case from, to, granularity, totals, series, channels, types, priorities, urgencies, responsibilities, causes, sla, agents, comments
        case urgentByMonth = "urgent_by_month"
    }
}

struct ReportRefreshDTO: Content {
    /// Days recomputed.
    let days: Int
}
