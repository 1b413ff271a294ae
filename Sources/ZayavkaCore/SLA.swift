import Foundation

/// What an SLA target measures (SPEC S2).
public enum SLAMetric: String, Sendable, CaseIterable, Codable {
    /// The first public reply of an agent.
    case firstResponse = "first_response"
    /// An agent's reply to each later customer message.
    case nextResponse = "next_response"
    /// Solving the ticket.
    case resolution
    /// The date and time of solution an agent promised the customer (SPEC T9): a commitment with
    /// a fixed deadline, tracked like a target.
    case promise
}

/// Who is told when a policy's target is missed (SPEC S3).
public enum SLANotify: String, Sendable, CaseIterable, Codable {
    /// The ticket's assignee.
    case assignee
    /// Every active member of the ticket's group.
    case group
    /// Every active dispatcher and manager.
    case supervisors
}

/// What a policy does when one of its targets is missed (SPEC S3): tell people, raise the
/// ticket's priority one step, hand the ticket to another group or person.
public struct SLAEscalation: Sendable, Equatable, Codable {
    public var notify: Set<SLANotify>
    public var raisePriority: Bool
    public var reassignGroupID: Int?
    public var reassignUserID: Int?

    /// Told: the assignee and the dispatchers and managers; nothing else changes.
    public static let standard = SLAEscalation(notify: [.assignee, .supervisors])

    public init(notify: Set<SLANotify>, raisePriority: Bool = false, reassignGroupID: Int? = nil, reassignUserID: Int? = nil) {
        self.notify = notify
        self.raisePriority = raisePriority
        self.reassignGroupID = reassignGroupID
        self.reassignUserID = reassignUserID
    }

    enum CodingKeys: String, CodingKey {
        case notify
        case raisePriority = "raise_priority", reassignGroupID = "reassign_group_id", reassignUserID = "reassign_user_id"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        notify = try c.decodeIfPresent(Set<SLANotify>.self, forKey: .notify) ?? Self.standard.notify
        raisePriority = try c.decodeIfPresent(Bool.self, forKey: .raisePriority) ?? false
        reassignGroupID = try c.decodeIfPresent(Int.self, forKey: .reassignGroupID)
        reassignUserID = try c.decodeIfPresent(Int.self, forKey: .reassignUserID)
    }

    /// The priority after the escalation: one step up, never past urgent.
    public func priority(after current: TicketPriority) -> TicketPriority {
        guard raisePriority else { return current }
        return TicketPriority(rank: current.rank + 1) ?? current
    }
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
    /// What a missed target sets off.
    public var escalation: SLAEscalation

    public init(key: String, name: String, conditions: SLAConditions = .init(), targets: [SLAMetric: Int], warnAtPercent: Int = 80,
                escalation: SLAEscalation = .standard) {
        self.key = key
        self.name = name
        self.conditions = conditions
        self.targets = targets
        self.warnAtPercent = warnAtPercent
        self.escalation = escalation
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
    public var targetMinutes: Int
    public var startedAt: Date
    public var pausedAt: Date?
    /// Working seconds spent paused in earlier pauses.
    public var pausedWorkingSeconds: TimeInterval
    public var stoppedAt: Date?
    /// A fixed deadline (a promise): due then whatever the calendar says, and never paused.
    public var deadline: Date?

    public init(metric: SLAMetric, targetMinutes: Int, startedAt: Date) {
        self.metric = metric
        self.targetMinutes = targetMinutes
        self.startedAt = startedAt
        self.pausedAt = nil
        self.pausedWorkingSeconds = 0
        self.stoppedAt = nil
        self.deadline = nil
    }

    /// A promise made at `madeAt` to solve by `deadline` (SPEC T9).
    public static func promise(madeAt: Date, deadline: Date) -> SLAClock {
        var clock = SLAClock(metric: .promise, targetMinutes: max(1, Int((deadline.timeIntervalSince(madeAt) / 60).rounded(.up))), startedAt: madeAt)
        clock.deadline = deadline
        return clock
    }

    /// When the target falls due; nil while paused (it depends on when the customer answers).
    public func dueAt(on calendar: BusinessCalendar) -> Date? {
        if let deadline { return deadline }
        guard pausedAt == nil else { return nil }
        return calendar.adding(workingSeconds: Double(targetMinutes) * 60 + pausedWorkingSeconds, to: startedAt)
    }

    /// When `percent` of the target will have passed; nil while paused.
    public func warnAt(percent: Int, on calendar: BusinessCalendar) -> Date? {
        if let deadline { return startedAt.addingTimeInterval(deadline.timeIntervalSince(startedAt) * Double(percent) / 100) }
        guard pausedAt == nil else { return nil }
        return calendar.adding(workingSeconds: Double(targetMinutes) * 60 * Double(percent) / 100 + pausedWorkingSeconds, to: startedAt)
    }

    /// Working seconds that counted against the target up to `now`.
    public func elapsedWorkingSeconds(at now: Date, on calendar: BusinessCalendar) -> TimeInterval {
        let end = [stoppedAt, pausedAt, now].compactMap { $0 }.min()!
        return max(0, calendar.workingSeconds(from: startedAt, to: end) - pausedWorkingSeconds)
    }

    public func state(at now: Date, on calendar: BusinessCalendar, warnAtPercent: Int) -> SLAState {
        if let deadline {
            if let stoppedAt { return stoppedAt <= deadline ? .achieved : .missed }
            if now >= deadline { return .breached }
            return now >= warnAt(percent: warnAtPercent, on: calendar)! ? .warning : .running
        }
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
        guard pausedAt == nil, stoppedAt == nil, deadline == nil else { return }
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

/// A ticket's clocks after its type or priority changed and another policy (or other targets)
/// now applies (SPEC S2). Time already spent counts against the new targets.
public enum SLAReplan {
    /// - `clocks`: the ticket's clocks now.
    /// - `targets`: the targets of the policy that matches now (empty when none does).
    /// - `createdAt`: when the ticket was filed — a target the new policy adds runs from then.
    /// - `firstResponseAt`: the first response, when it has been given (no first-response clock is added then).
    /// - `waitingSince`: when the ticket started waiting for the customer, if it is waiting now.
    ///
    /// Stopped clocks keep their outcome and promises stay as made; running clocks take the new
    /// target (keeping their start and pauses) or go when the new policy has none for them.
    public static func clocks(_ clocks: [SLAClock], targets: [SLAMetric: Int], createdAt: Date, firstResponseAt: Date?,
                              waitingSince: Date?) -> [SLAClock] {
        var result: [SLAClock] = []
        // The ticket's pauses so far, as the clocks that ran from its creation counted them.
        let sibling = clocks.first { $0.stoppedAt == nil && $0.deadline == nil && $0.startedAt == createdAt }
        for clock in clocks {
            if clock.stoppedAt != nil || clock.metric == .promise { result.append(clock); continue }
            guard let minutes = targets[clock.metric] else { continue }
            var changed = clock
            changed.targetMinutes = minutes
            result.append(changed)
        }
        for metric in [SLAMetric.firstResponse, .resolution] where !clocks.contains(where: { $0.metric == metric }) {
            guard let minutes = targets[metric], !(metric == .firstResponse && firstResponseAt != nil) else { continue }
            var clock = SLAClock(metric: metric, targetMinutes: minutes, startedAt: createdAt)
            if let sibling {
                clock.pausedWorkingSeconds = sibling.pausedWorkingSeconds
                clock.pausedAt = sibling.pausedAt
            } else {
                clock.pausedAt = waitingSince
            }
            result.append(clock)
        }
        return result
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
