import Foundation

/// What an SLA target measures (SPEC S2).
public enum SLAMetric: String, Sendable, CaseIterable, Codable {
    /// The first public reply of an agent.
    case firstResponse = "first_response"
    /// An agent's reply to each later customer message.
    case nextResponse = "next_response"
    /// Solving the ticket.
    case resolution
}

/// A customer's plan (seed 002: some routes and targets are for paying customers only).
public enum CustomerPlan: String, Sendable, CaseIterable, Codable { case paid, free }

/// The facts about a ticket that policies are chosen by.
public struct SLASubject: Sendable, Equatable {
    public var type: TicketType
    public var priority: TicketPriority
    public var urgency: Int?
    public var plan: CustomerPlan?
    public var organizationID: Int?
    public var channel: TicketChannel
    public var groupID: Int?
    public var fields: [String: String]

    public init(type: TicketType, priority: TicketPriority = .normal, urgency: Int? = nil, plan: CustomerPlan? = nil,
                organizationID: Int? = nil, channel: TicketChannel = .api, groupID: Int? = nil, fields: [String: String] = [:]) {
        self.type = type
        self.priority = priority
        self.urgency = urgency
        self.plan = plan
        self.organizationID = organizationID
        self.channel = channel
        self.groupID = groupID
        self.fields = fields
    }
}

/// When a policy applies: every condition given must hold; an absent condition holds for all.
public struct SLAConditions: Sendable, Equatable, Codable {
    public var types: Set<TicketType>?
    public var priorities: Set<TicketPriority>?
    public var urgencies: Set<Int>?
    public var plans: Set<CustomerPlan>?
    public var organizationIDs: Set<Int>?
    public var channels: Set<TicketChannel>?
    public var groupIDs: Set<Int>?
    /// Intake answers that must be given exactly, e.g. ["request_kind": "product_registration"].
    public var fields: [String: String]?

    enum CodingKeys: String, CodingKey {
        case types, priorities, urgencies, plans, channels, fields
        case organizationIDs = "organization_ids", groupIDs = "group_ids"
    }

    public init(types: Set<TicketType>? = nil, priorities: Set<TicketPriority>? = nil, urgencies: Set<Int>? = nil,
                plans: Set<CustomerPlan>? = nil, organizationIDs: Set<Int>? = nil, channels: Set<TicketChannel>? = nil,
                groupIDs: Set<Int>? = nil, fields: [String: String]? = nil) {
        self.types = types
        self.priorities = priorities
        self.urgencies = urgencies
        self.plans = plans
        self.organizationIDs = organizationIDs
        self.channels = channels
        self.groupIDs = groupIDs
        self.fields = fields
    }

    public func matches(_ s: SLASubject) -> Bool {
        func holds<T>(_ allowed: Set<T>?, _ value: T?) -> Bool {
            guard let allowed else { return true }
            guard let value else { return false }
            return allowed.contains(value)
        }
        return holds(types, s.type) && holds(priorities, s.priority) && holds(urgencies, s.urgency) && holds(plans, s.plan)
            && holds(organizationIDs, s.organizationID) && holds(channels, s.channel) && holds(groupIDs, s.groupID)
            && (fields ?? [:]).allSatisfy { s.fields[$0.key] == $0.value }
    }
}

/// A policy: conditions → targets in working minutes on a calendar. Policies are ordered; the
/// first that matches applies.
public struct SLAPolicy: Sendable, Equatable, Codable {
    public var key: String
    public var name: String
    public var conditions: SLAConditions
    public var targets: [SLAMetric: Int]
    /// Warn when this share of a target has passed (SPEC S3), in percent.
    public var warnAtPercent: Int

    public init(key: String, name: String, conditions: SLAConditions = .init(), targets: [SLAMetric: Int], warnAtPercent: Int = 80) {
        self.key = key
        self.name = name
        self.conditions = conditions
        self.targets = targets
        self.warnAtPercent = warnAtPercent
    }

    /// The first policy that matches, in order.
    public static func firstMatch(in policies: [SLAPolicy], for subject: SLASubject) -> SLAPolicy? {
        policies.first { $0.conditions.matches(subject) }
    }
}

/// The seeds' own figures, ready to use (SPEC S2).
public enum SLATemplates {
    /// Seed 002: react to a request, a customer's reply or a chat message within 30 minutes.
    public static let seed002: [SLAPolicy] = [
        SLAPolicy(key: "reaction_30m", name: "Реакция на заявку и ответ клиента — 30 минут",
                  targets: [.firstResponse: 30, .nextResponse: 30]),
    ]

    /// Seed 000: within two working hours a solution, a promised date and time, or a reasoned refusal.
    public static let seed000: [SLAPolicy] = [
        SLAPolicy(key: "answer_2h", name: "Ответ в течение двух рабочих часов", targets: [.firstResponse: 120]),
    ]

    /// Seed 003 (9:00–18:00 Moscow time, Monday to Friday): reaction by type; product registration
    /// (an incident with request_kind = product_registration) in 2 hours, checked first.
    public static let seed003: [SLAPolicy] = [
        SLAPolicy(key: "product_registration_2h", name: "Регистрация продукта — 2 часа",
                  conditions: SLAConditions(fields: ["request_kind": "product_registration"]), targets: [.firstResponse: 120]),
        SLAPolicy(key: "question_4h", name: "Вопрос — 4 часа", conditions: SLAConditions(types: [.question]), targets: [.firstResponse: 240]),
        SLAPolicy(key: "suggestion_16h", name: "Предложение — 16 часов", conditions: SLAConditions(types: [.suggestion]),
                  targets: [.firstResponse: 960]),
        SLAPolicy(key: "problem_6h", name: "Проблема — 6 часов", conditions: SLAConditions(types: [.problem]), targets: [.firstResponse: 360]),
        SLAPolicy(key: "incident_4h", name: "Инцидент — 4 часа", conditions: SLAConditions(types: [.incident]), targets: [.firstResponse: 240]),
    ]

    /// The calendar seed 003 states: 9:00–18:00 Moscow time, Monday to Friday, Russian production calendar.
    public static let seed003Calendar = BusinessCalendar.russianFiveDay(from: 9 * 60, to: 18 * 60)
}

/// Where a clock stands (SPEC S3).
public enum SLAState: String, Sendable, Codable, CaseIterable {
    case running, warning, breached, paused, achieved, missed
}

/// One target on one ticket. The clock runs in the calendar's working time, pauses while the
/// ticket waits for the customer (working time spent paused moves the due time), and stops when
/// the target is met.
public struct SLAClock: Sendable, Equatable, Codable {
    public let metric: SLAMetric
    public let targetMinutes: Int
    public var startedAt: Date
    public var pausedAt: Date?
    /// Working seconds spent paused in earlier pauses.
    public var pausedWorkingSeconds: TimeInterval
    public var stoppedAt: Date?

    public init(metric: SLAMetric, targetMinutes: Int, startedAt: Date) {
        self.metric = metric
        self.targetMinutes = targetMinutes
        self.startedAt = startedAt
        self.pausedAt = nil
        self.pausedWorkingSeconds = 0
        self.stoppedAt = nil
    }

    /// When the target falls due; nil while paused (it depends on when the customer answers).
    public func dueAt(on calendar: BusinessCalendar) -> Date? {
        guard pausedAt == nil else { return nil }
        return calendar.adding(workingSeconds: Double(targetMinutes) * 60 + pausedWorkingSeconds, to: startedAt)
    }

    /// When `percent` of the target will have passed; nil while paused.
    public func warnAt(percent: Int, on calendar: BusinessCalendar) -> Date? {
        guard pausedAt == nil else { return nil }
        return calendar.adding(workingSeconds: Double(targetMinutes) * 60 * Double(percent) / 100 + pausedWorkingSeconds, to: startedAt)
    }

    /// Working seconds that counted against the target up to `now`.
    public func elapsedWorkingSeconds(at now: Date, on calendar: BusinessCalendar) -> TimeInterval {
        let end = [stoppedAt, pausedAt, now].compactMap { $0 }.min()!
        return max(0, calendar.workingSeconds(from: startedAt, to: end) - pausedWorkingSeconds)
    }

    public func state(at now: Date, on calendar: BusinessCalendar, warnAtPercent: Int) -> SLAState {
        let target = Double(targetMinutes) * 60
        if let stoppedAt {
            return elapsedWorkingSeconds(at: stoppedAt, on: calendar) <= target ? .achieved : .missed
        }
        let elapsed = elapsedWorkingSeconds(at: now, on: calendar)
        if elapsed >= target { return .breached }
        if pausedAt != nil { return .paused }
        return elapsed >= target * Double(warnAtPercent) / 100 ? .warning : .running
    }

    public mutating func pause(at instant: Date) {
        guard pausedAt == nil, stoppedAt == nil else { return }
        pausedAt = instant
    }

    public mutating func resume(at instant: Date, on calendar: BusinessCalendar) {
        guard let since = pausedAt else { return }
        pausedWorkingSeconds += calendar.workingSeconds(from: since, to: instant)
        pausedAt = nil
    }

    public mutating func stop(at instant: Date, on calendar: BusinessCalendar) {
        guard stoppedAt == nil else { return }
        if pausedAt != nil { resume(at: instant, on: calendar) }
        stoppedAt = instant
    }
}

/// What a first answer says (SPEC T9, seed 000): a solution, a promised date and time, or a
/// reasoned refusal.
public enum FirstAnswer: Sendable, Equatable {
    case solution
    case promise(Date)
    case refusal(reason: String)

    /// Throws `.validation` when the promise is not in the future or the refusal gives no reason.
    public func validate(now: Date) throws {
        switch self {
        case .solution: return
        case .promise(let date):
            if date <= now { throw ZayavkaError.validation([FieldError("promised_at", .mustBeInFuture)]) }
        case .refusal(let reason):
            if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw ZayavkaError.validation([FieldError("refusal_reason", .required)])
            }
        }
    }
}
