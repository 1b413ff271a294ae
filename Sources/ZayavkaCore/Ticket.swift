import Foundation

/// The editable facts of a ticket, as the rules see them. The app loads it from a record,
/// lets `TicketRules` decide, and persists the result and the changes.
public struct TicketState: Sendable, Equatable {
    public var subject: String
    public var type: TicketType
    public var priority: TicketPriority
    public var urgency: Urgency?
    public var responsibility: Responsibility?
    public var cause: String?
    public var status: String
    public var assigneeID: Int?
    public var groupID: Int?
    public var requesterID: Int
    public var organizationID: Int?
    public var dueAt: Date?
    public var fields: [String: String]

    public init(subject: String, type: TicketType = .question, priority: TicketPriority = .normal,
                urgency: Urgency? = nil, responsibility: Responsibility? = nil, cause: String? = nil,
                status: String = "new", assigneeID: Int? = nil, groupID: Int? = nil,
                requesterID: Int, organizationID: Int? = nil, dueAt: Date? = nil, fields: [String: String] = [:]) {
        self.subject = subject
        self.type = type
        self.priority = priority
        self.urgency = urgency
        self.responsibility = responsibility
        self.cause = cause
        self.status = status
        self.assigneeID = assigneeID
        self.groupID = groupID
        self.requesterID = requesterID
        self.organizationID = organizationID
        self.dueAt = dueAt
        self.fields = fields
    }
}

/// A requested change; nil leaves a field alone, `.some(nil)` clears a clearable one.
public struct TicketPatch: Sendable, Equatable {
    public var subject: String?
    public var type: TicketType?
    public var priority: TicketPriority?
    public var urgency: Urgency??
    public var responsibility: Responsibility??
    public var cause: String??
    public var status: String?
    public var assigneeID: Int??
    public var groupID: Int??
    public var dueAt: Date??
    public var fields: [String: String?]

    public init(subject: String? = nil, type: TicketType? = nil, priority: TicketPriority? = nil,
                urgency: Urgency?? = nil, responsibility: Responsibility?? = nil, cause: String?? = nil,
                status: String? = nil, assigneeID: Int?? = nil, groupID: Int?? = nil,
                dueAt: Date?? = nil, fields: [String: String?] = [:]) {
        self.subject = subject
        self.type = type
        self.priority = priority
        self.urgency = urgency
        self.responsibility = responsibility
        self.cause = cause
        self.status = status
        self.assigneeID = assigneeID
        self.groupID = groupID
        self.dueAt = dueAt
        self.fields = fields
    }

    public var isEmpty: Bool { self == TicketPatch() }
}

/// One field's before and after, which becomes an immutable history event (SPEC V7).
public struct FieldChange: Sendable, Equatable {
    public let field: String
    public let before: String?
    public let after: String?

    public init(_ field: String, _ before: String?, _ after: String?) {
        self.field = field
        self.before = before
        self.after = after
    }
}

/// Limits shared by every channel.
public enum TicketLimits {
    public static let subjectMaxLength = 250
    public static let bodyMaxLength = 100_000
    public static let causeMaxLength = 2_000
    public static let fieldValueMaxLength = 2_000
}

/// The rules for creating and changing tickets; pure functions of their inputs.
public enum TicketRules {
    /// Checks a new ticket; throws `.validation` with every problem at once.
    public static func validateNew(subject: String, body: String, type: TicketType, dueAt: Date?,
                                   fields: [String: String], intake: [IntakeFieldDefinition],
                                   checkRequiredFields: Bool, now: Date) throws {
        var errors: [FieldError] = []
        errors += validateSubject(subject)
        if body.isBlank {
            errors.append(FieldError("body", .required))
        } else if body.isOver(TicketLimits.bodyMaxLength) {
            errors.append(FieldError("body", .tooLong, String(TicketLimits.bodyMaxLength)))
        }
        if type == .task, dueAt == nil { errors.append(FieldError("due_at", .required)) }
        if type != .task, dueAt != nil { errors.append(FieldError("due_at", .notAllowed)) }
        errors += IntakeFieldDefinition.validate(values: fields, against: intake, requireAll: checkRequiredFields)
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
    }

    static func validateSubject(_ subject: String) -> [FieldError] {
        let trimmed = subject.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return [FieldError("subject", .required)] }
        if trimmed.isOver(TicketLimits.subjectMaxLength) {
            return [FieldError("subject", .tooLong, String(TicketLimits.subjectMaxLength))]
        }
        return []
    }

    /// Applies `patch` for a staff member (customers change tickets only through comments and
    /// solve/reopen, which go through `StatusWorkflow`). Returns the new state and what changed,
    /// in a stable field order; throws without changing anything when any part is invalid.
    public static func apply(_ patch: TicketPatch, to state: TicketState, workflow: StatusWorkflow,
                             intake: [IntakeFieldDefinition], actor: ActorKind) throws -> (TicketState, [FieldChange]) {
        var next = state
        var errors: [FieldError] = []

        if let subject = patch.subject {
            errors += validateSubject(subject)
            next.subject = subject.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let type = patch.type { next.type = type }
        if let priority = patch.priority { next.priority = priority }
        if let urgency = patch.urgency { next.urgency = urgency }
        if let responsibility = patch.responsibility { next.responsibility = responsibility }
        if let cause = patch.cause {
            let trimmed = cause?.trimmingCharacters(in: .whitespacesAndNewlines)
            if let trimmed, trimmed.isOver(TicketLimits.causeMaxLength) {
                errors.append(FieldError("cause", .tooLong, String(TicketLimits.causeMaxLength)))
            }
            next.cause = (trimmed?.isEmpty ?? true) ? nil : trimmed
        }
        if let assignee = patch.assigneeID { next.assigneeID = assignee }
        if let group = patch.groupID { next.groupID = group }
        if let due = patch.dueAt { next.dueAt = due }
        if next.type == .task, next.dueAt == nil { errors.append(FieldError("due_at", .required)) }
        if next.type != .task, next.dueAt != nil {
            // Changing a task into another type drops its due date rather than refusing.
            if patch.dueAt == nil { next.dueAt = nil } else { errors.append(FieldError("due_at", .notAllowed)) }
        }
        for (key, value) in patch.fields {
            if let value, !value.isEmpty { next.fields[key] = value } else { next.fields[key] = nil }
        }
        let changedFields = patch.fields.compactMapValues { $0 }.filter { !$0.value.isEmpty }
        errors += IntakeFieldDefinition.validate(values: changedFields, against: intake, requireAll: false)
        for key in patch.fields.keys where !intake.contains(where: { $0.key == key }) && !changedFields.keys.contains(key) {
            errors.append(FieldError("fields.\(key)", .unknownValue))
        }

        if let status = patch.status {
            do {
                try workflow.checkTransition(from: state.status, to: status, by: actor)
                next.status = status
            } catch ZayavkaError.unknownStatus(let key) {
                errors.append(FieldError("status", .unknownValue, key))
            }
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        return (next, changes(from: state, to: next))
    }

    /// The differences between two states, field by field, as strings for the history.
    public static func changes(from a: TicketState, to b: TicketState) -> [FieldChange] {
        var result: [FieldChange] = []
        func add(_ field: String, _ x: String?, _ y: String?) { if x != y { result.append(FieldChange(field, x, y)) } }
        add("subject", a.subject, b.subject)
        add("type", a.type.rawValue, b.type.rawValue)
        add("priority", a.priority.rawValue, b.priority.rawValue)
        add("urgency", a.urgency.map { String($0.level) }, b.urgency.map { String($0.level) })
        add("responsibility", a.responsibility?.rawValue, b.responsibility?.rawValue)
        add("cause", a.cause, b.cause)
        add("status", a.status, b.status)
        add("assignee_id", a.assigneeID.map(String.init), b.assigneeID.map(String.init))
        add("group_id", a.groupID.map(String.init), b.groupID.map(String.init))
        add("due_at", a.dueAt.map(isoString), b.dueAt.map(isoString))
        for key in Set(a.fields.keys).union(b.fields.keys).sorted() {
            add("fields.\(key)", a.fields[key], b.fields[key])
        }
        return result
    }

    static func isoString(_ date: Date) -> String { date.formatted(.iso8601) }
}

/// Text folded for case- and ё-insensitive matching, the same way on SQLite (whose LOWER folds
/// only ASCII) and PostgreSQL.
public enum TextFolding {
    public static func fold(_ text: String) -> String {
        text.lowercased().replacingOccurrences(of: "ё", with: "е")
    }
}

/// Who is looking, for visibility decisions.
public struct Viewer: Sendable, Equatable {
    public let userID: Int
    public let role: Role
    public let organizationID: Int?
    /// Whether the customer's organization lets its members see each other's tickets.
    public let seesOrganizationTickets: Bool

    public init(userID: Int, role: Role, organizationID: Int? = nil, seesOrganizationTickets: Bool = false) {
        self.userID = userID
        self.role = role
        self.organizationID = organizationID
        self.seesOrganizationTickets = seesOrganizationTickets
    }
}

/// Who may see what (SPEC X3, V1). A ticket a customer may not see is reported as not found,
/// so ticket numbers cannot be probed.
public enum Visibility {
    public static func canSee(requesterID: Int, organizationID: Int?, viewer: Viewer) -> Bool {
        if viewer.role.can(.readAllTickets) { return true }
        if requesterID == viewer.userID { return true }
        if viewer.seesOrganizationTickets, let org = viewer.organizationID, org == organizationID { return true }
        return false
    }

    /// Internal notes and events about them are for staff only.
    public static func canSeeInternal(_ viewer: Viewer) -> Bool { viewer.role.isStaff }

    /// Fields only staff see on a ticket (the customer sees status, subject, type, priority and their own answers).
    public static let staffOnlyFields: Set<String> = ["responsibility", "cause", "assignee_id", "group_id", "urgency_internal"]
}
