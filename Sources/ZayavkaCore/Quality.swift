import Foundation

// Quality (SPEC Q1–Q3, V6; issue 18): what a solved ticket tells the customer, when the customer is
// asked to rate the support, and how conversations are sampled and scored. Pure rules; the app
// layer stores what they decide.

/// The parts of a resolution report (seed 000: "what was fixed and how, and what to do to prevent it";
/// seed 004: what the customer should check).
public enum ResolutionPart: String, Sendable, CaseIterable, Codable {
    case fixed, how, prevention, check
}

/// What an agent writes when solving a ticket.
public struct ResolutionReport: Sendable, Equatable {
    public static let maxLength = 10_000

    public var fixed: String
    public var how: String
    public var prevention: String
    public var check: String

    public init(fixed: String = "", how: String = "", prevention: String = "", check: String = "") {
        self.fixed = fixed.trimmingCharacters(in: .whitespacesAndNewlines)
        self.how = how.trimmingCharacters(in: .whitespacesAndNewlines)
        self.prevention = prevention.trimmingCharacters(in: .whitespacesAndNewlines)
        self.check = check.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public func text(_ part: ResolutionPart) -> String {
        switch part {
        case .fixed: fixed
        case .how: how
        case .prevention: prevention
        case .check: check
        }
    }

    public var isEmpty: Bool { ResolutionPart.allCases.allSatisfy { text($0).isEmpty } }

    /// The problems with this report when the type requires `required` parts (`resolution.<part>` fields).
    public func problems(required: Set<ResolutionPart>) -> [FieldError] {
        var errors: [FieldError] = []
        for part in ResolutionPart.allCases {
            let value = text(part)
            if value.isEmpty, required.contains(part) { errors.append(FieldError("resolution.\(part.rawValue)", .required)) }
            if value.isOver(Self.maxLength) { errors.append(FieldError("resolution.\(part.rawValue)", .tooLong, String(Self.maxLength))) }
            if value.unicodeScalars.contains(where: { $0.value == 0 }) { errors.append(FieldError("resolution.\(part.rawValue)", .controlCharacters)) }
        }
        return errors
    }
}

/// The customer's answer to the survey (seed 003: "two links, Good or Bad").
public enum SatisfactionRating: String, Sendable, CaseIterable, Codable {
    case good, bad
}

/// The team's quality settings, stored as text keys; every key has a default, so a desk with no
/// settings works as seed 003 describes.
public struct QualitySettings: Sendable, Equatable {
    /// Whether satisfaction surveys are sent at all.
    public var surveyEnabled = true
    /// How long after solving the survey goes out (seed 003: 24 hours).
    public var surveyDelayMinutes = 24 * 60
    /// At most one survey per ticket even if it is solved again; otherwise one per solution.
    public var surveyOncePerTicket = true
    /// How long the survey's links work (and the rating may be changed).
    public var surveyValidDays = 14
    /// Which parts of the resolution report a type requires when it is solved (none by default).
    public var resolutionRequired: [TicketType: Set<ResolutionPart>] = [:]
    /// Conversations sampled per agent per week for review (SPEC Q2).
    public var reviewsPerAgentPerWeek = 5

    public init() {}

    public static let keys = ["survey.enabled", "survey.delay_minutes", "survey.once_per_ticket", "survey.valid_days",
                              "review.per_agent_per_week"] + TicketType.allCases.map { "resolution.required.\($0.rawValue)" }

    /// Reads stored values over the defaults; an unreadable stored value keeps its default.
    public init(stored: [String: String]) {
        self.init()
        try? apply(stored)
    }

    /// Applies `values` (only keys given), checking every one; throws all problems together.
    public mutating func apply(_ values: [String: String]) throws {
        var next = self
        var errors: [FieldError] = []
        func int(_ key: String, _ range: ClosedRange<Int>) -> Int? {
            guard let raw = values[key] else { return nil }
            guard let value = Int(raw.trimmingCharacters(in: .whitespaces)), range.contains(value) else {
                errors.append(FieldError(key, .invalid, "\(range.lowerBound)…\(range.upperBound)"))
                return nil
            }
            return value
        }
        func bool(_ key: String) -> Bool? {
            guard let raw = values[key] else { return nil }
            switch raw.lowercased() {
            case "true", "1", "on": return true
            case "false", "0", "off": return false
            default:
                errors.append(FieldError(key, .invalid, "true, false"))
                return nil
            }
        }
        if let value = bool("survey.enabled") { next.surveyEnabled = value }
        if let value = int("survey.delay_minutes", 0...(60 * 24 * 60)) { next.surveyDelayMinutes = value }
        if let value = bool("survey.once_per_ticket") { next.surveyOncePerTicket = value }
        if let value = int("survey.valid_days", 1...365) { next.surveyValidDays = value }
        if let value = int("review.per_agent_per_week", 0...100) { next.reviewsPerAgentPerWeek = value }
        for type in TicketType.allCases {
            let key = "resolution.required.\(type.rawValue)"
            guard let raw = values[key] else { continue }
            var parts = Set<ResolutionPart>()
            for piece in raw.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !piece.isEmpty {
                if let part = ResolutionPart(rawValue: piece), part != .check { parts.insert(part) } else {
                    errors.append(FieldError(key, .unknownValue, "fixed, how, prevention"))
                }
            }
            next.resolutionRequired[type] = parts.isEmpty ? nil : parts
        }
        for key in values.keys.sorted() where !Self.keys.contains(key) { errors.append(FieldError(key, .unknownValue)) }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        self = next
    }

    /// Every key with its value as stored.
    public var stored: [String: String] {
        var result = ["survey.enabled": String(surveyEnabled), "survey.delay_minutes": String(surveyDelayMinutes),
                      "survey.once_per_ticket": String(surveyOncePerTicket), "survey.valid_days": String(surveyValidDays),
                      "review.per_agent_per_week": String(reviewsPerAgentPerWeek)]
        for type in TicketType.allCases {
            result["resolution.required.\(type.rawValue)"] = ResolutionPart.allCases.filter { required(for: type).contains($0) }.map(\.rawValue)
                .joined(separator: ",")
        }
        return result
    }

    public func required(for type: TicketType) -> Set<ResolutionPart> { resolutionRequired[type] ?? [] }
}

/// What the survey job knows about one ticket whose survey time has come.
public struct SurveyFacts: Sendable {
    public var requesterIsCustomer: Bool
    public var requesterActive: Bool
    /// The address is one the desk may write to (not erased, not a placeholder).
    public var requesterReachable: Bool
    /// The ticket was opened by an automatic message (auto-reply, bulk mail, bounce).
    public var fromAutomaticMail: Bool
    /// Earlier surveys of this ticket: whether any was sent, and whether the customer rated one.
    public var surveyedBefore: Bool
    public var ratedBefore: Bool

    public init(requesterIsCustomer: Bool, requesterActive: Bool, requesterReachable: Bool, fromAutomaticMail: Bool,
                surveyedBefore: Bool, ratedBefore: Bool) {
        self.requesterIsCustomer = requesterIsCustomer
        self.requesterActive = requesterActive
        self.requesterReachable = requesterReachable
        self.fromAutomaticMail = fromAutomaticMail
        self.surveyedBefore = surveyedBefore
        self.ratedBefore = ratedBefore
    }
}

/// Whether a solved ticket's requester gets the survey (SPEC Q1).
public enum SurveyRules {
    public enum Decision: Sendable, Equatable {
        case send
        /// Recorded with the reason, so nobody asks again and an admin sees why.
        case skip(reason: String)
        /// Nothing to record: an earlier survey answers for this ticket.
        case none
    }

    public static func decide(_ facts: SurveyFacts, settings: QualitySettings) -> Decision {
        if facts.ratedBefore { return .none }
        if facts.surveyedBefore && settings.surveyOncePerTicket { return .none }
        if facts.fromAutomaticMail { return .skip(reason: "automatic_mail") }
        if !facts.requesterIsCustomer { return .skip(reason: "staff_requester") }
        if !facts.requesterActive { return .skip(reason: "blocked_customer") }
        if !facts.requesterReachable { return .skip(reason: "no_address") }
        return .send
    }
}

/// A criterion of the review scorecard (SPEC Q2).
public struct ReviewCriterion: Sendable, Equatable {
    public let key: String
    public let nameRu: String
    public let nameEn: String
    public let weight: Int

    public init(key: String, nameRu: String, nameEn: String, weight: Int) {
        self.key = key
        self.nameRu = nameRu
        self.nameEn = nameEn
        self.weight = weight
    }

    /// The seeds' principles (001, 000, 002): business tone, expertise, no false promises, the regulation's times.
    public static let defaults: [ReviewCriterion] = [
        ReviewCriterion(key: "tone", nameRu: "Деловой и вежливый тон", nameEn: "Business-like, polite tone", weight: 25),
        ReviewCriterion(key: "expertise", nameRu: "Компетентность, верное решение", nameEn: "Expertise, a correct solution", weight: 30),
        ReviewCriterion(key: "no_false_promises", nameRu: "Нет ложных обещаний о доработках и сроках",
                        nameEn: "No false promises about features or dates", weight: 25),
        ReviewCriterion(key: "regulation_times", nameRu: "Сроки регламента соблюдены", nameEn: "The regulation's times met", weight: 20),
    ]
}

/// Review scoring: each criterion is scored 0–5; the review's total is the weighted share of the
/// maximum, 0–100.
public enum ReviewScoring {
    public static let maxScore = 5

    public static func total(_ scores: [(weight: Int, score: Int)]) -> Double? {
        let weights = scores.reduce(0) { $0 + max(0, $1.weight) }
        guard weights > 0 else { return nil }
        let points = scores.reduce(0.0) { $0 + Double(max(0, $1.weight)) * Double(min(max($1.score, 0), maxScore)) }
        return (points / Double(weights * maxScore) * 1000).rounded() / 10
    }
}

/// The weekly sample of conversations to review: every agent with solved tickets gets up to `perAgent`
/// of them, chosen uniformly at random among that agent's own (so a busy agent does not crowd out a
/// quiet one).
public enum ReviewSampling {
    public static func sample<G: RandomNumberGenerator>(_ candidates: [Int: [Int]], perAgent: Int, using generator: inout G) -> [Int: [Int]] {
        var result: [Int: [Int]] = [:]
        for agent in candidates.keys.sorted() {
            let tickets = Array(Set(candidates[agent] ?? [])).sorted()
            guard perAgent > 0, !tickets.isEmpty else { continue }
            result[agent] = Array(tickets.shuffled(using: &generator).prefix(perAgent)).sorted()
        }
        return result
    }
}

/// Weeks as the reviews count them: Monday 00:00 Moscow time.
public enum ReviewWeek {
    public static let moscow = TimeZone(identifier: "Europe/Moscow") ?? TimeZone(secondsFromGMT: 3 * 3600)!

    /// The Monday (a local date) of the week `date` falls in.
    public static func monday(of date: Date) -> LocalDate {
        let local = LocalDate(containing: date, in: moscow)
        return local.adding(days: -local.weekdayIndex)
    }

    /// Midnight of `day` in Moscow (UTC+3 all year since 2014).
    public static func start(of day: LocalDate) -> Date {
        let guess = Date(timeIntervalSince1970: TimeInterval(day.daysSinceEpoch) * 86_400)
        return guess.addingTimeInterval(-TimeInterval(moscow.secondsFromGMT(for: guess)))
    }

    /// The week's bounds as moments: [Monday 00:00, next Monday 00:00) Moscow time.
    public static func bounds(_ monday: LocalDate) -> (start: Date, end: Date) {
        (start(of: monday), start(of: monday.adding(days: 7)))
    }
}
