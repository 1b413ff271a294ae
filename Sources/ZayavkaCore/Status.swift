import Foundation

/// How a status behaves, whatever a team calls it. Built-in statuses have their own category;
/// a team's hand-off statuses (seed 002: "Требует передачи на ЛК") behave as `open`.
public enum StatusCategory: String, Sendable, CaseIterable, Codable {
    case new, open, pending, scheduled, solved, closed

    /// Tickets that still need work: everything before solved.
    public var isActive: Bool { self != .solved && self != .closed }
}

/// A status a ticket can be in: a key and the category that decides its transitions.
public struct StatusDefinition: Sendable, Hashable, Codable {
    public let key: String
    public let category: StatusCategory
    public let nameRu: String
    public let nameEn: String
    public let isBuiltIn: Bool

    public init(key: String, category: StatusCategory, nameRu: String, nameEn: String, isBuiltIn: Bool = false) {
        self.key = key
        self.category = category
        self.nameRu = nameRu
        self.nameEn = nameEn
        self.isBuiltIn = isBuiltIn
    }

    public func name(_ language: Language) -> String { language == .ru ? nameRu : nameEn }

    /// The name a customer reads: by category, spoken to them ("Ждём вашего ответа"), never the
    /// team's own wording (an internal hand-off reads "В работе").
    public func customerName(_ language: Language) -> String {
        let ru = language == .ru
        switch category {
        case .new: return ru ? "Принята" : "Received"
        case .open: return ru ? "В работе" : "In progress"
        case .pending: return ru ? "Ждём вашего ответа" : "Waiting for your reply"
        case .scheduled: return ru ? "Запланирована" : "Scheduled"
        case .solved: return ru ? "Решена" : "Solved"
        case .closed: return ru ? "Закрыта" : "Closed"
        }
    }

    /// The name for a reader: staff read the team's names, customers `customerName`.
    public func name(_ language: Language, forStaff staff: Bool) -> String { staff ? name(language) : customerName(language) }

    /// The six statuses every desk has (SPEC T7).
    public static let builtIn: [StatusDefinition] = [
        .init(key: "new", category: .new, nameRu: "Новая", nameEn: "New", isBuiltIn: true),
        .init(key: "open", category: .open, nameRu: "В работе", nameEn: "Open", isBuiltIn: true),
        .init(key: "pending", category: .pending, nameRu: "Ожидает ответа клиента", nameEn: "Waiting for the customer", isBuiltIn: true),
        .init(key: "scheduled", category: .scheduled, nameRu: "Запланирована", nameEn: "Scheduled", isBuiltIn: true),
        .init(key: "solved", category: .solved, nameRu: "Решена", nameEn: "Solved", isBuiltIn: true),
        .init(key: "closed", category: .closed, nameRu: "Закрыта", nameEn: "Closed", isBuiltIn: true),
    ]

    /// Seed 002's hand-off statuses, shipped ready to use (and editable).
    public static let seed002HandOffs: [StatusDefinition] = [
        .init(key: "transfer_consultation", category: .open, nameRu: "Требует передачи на ЛК", nameEn: "Needs transfer to the consultation line"),
        .init(key: "transfer_development", category: .open, nameRu: "Требует передачи на ОС", nameEn: "Needs transfer to development"),
        .init(key: "to_manager", category: .open, nameRu: "На менеджера", nameEn: "To the manager"),
    ]

    /// Keys are lowercase latin, digits and underscores, so they are safe in URLs and filters.
    public static func isValidKey(_ key: String) -> Bool {
        !key.isEmpty && key.count <= 40 && key.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
            && key.first!.isLetter
    }
}

/// Who is asking for a transition: staff move tickets freely along the workflow, customers only
/// confirm a solution or reopen.
public enum ActorKind: Sendable { case staff, customer, system }

/// The status workflow (SPEC T7): new → open → pending/scheduled/hand-off → solved → closed;
/// a customer's reply reopens a solved ticket; closed is final.
public struct StatusWorkflow: Sendable {
    public let statuses: [String: StatusDefinition]

    public init(statuses: [StatusDefinition] = StatusDefinition.builtIn + StatusDefinition.seed002HandOffs) {
        var map: [String: StatusDefinition] = [:]
        for status in statuses { map[status.key] = status }
        self.statuses = map
    }

    public func definition(_ key: String) -> StatusDefinition? { statuses[key] }

    /// Throws `ZayavkaError.illegalTransition` (or `.unknownStatus`) unless `actor` may move a ticket from `from` to `to`.
    public func checkTransition(from: String, to: String, by actor: ActorKind) throws {
        guard let source = statuses[from] else { throw ZayavkaError.unknownStatus(from) }
        guard let target = statuses[to] else { throw ZayavkaError.unknownStatus(to) }
        guard from != to else { return }
        guard isAllowed(source.category, target.category, actor: actor) else {
            throw ZayavkaError.illegalTransition(from: from, to: to)
        }
    }

    private func isAllowed(_ from: StatusCategory, _ to: StatusCategory, actor: ActorKind) -> Bool {
        if from == .closed { return false }
        switch actor {
        case .customer:
            // A customer confirms a solution ("it is solved") or says it is not (reopen).
            return (from.isActive && to == .solved) || (from == .solved && to == .open)
        case .staff, .system:
            switch to {
            case .new: return false
            case .open, .pending, .scheduled: return from.isActive || (from == .solved && to == .open)
            case .solved: return from.isActive
            case .closed: return from == .solved
            }
        }
    }

    /// What a new comment does to the status, if anything.
    /// A customer's reply to a ticket that waits for them or is solved reopens it (seed 003);
    /// an agent's first public reply takes a new ticket into work.
    public func statusAfterComment(current: String, byCustomer: Bool, isPublic: Bool) -> String? {
        guard let category = statuses[current]?.category else { return nil }
        if byCustomer {
            return (category == .pending || category == .solved) ? "open" : nil
        }
        return (isPublic && category == .new) ? "open" : nil
    }

    /// Whether anyone may still comment: a closed ticket is final, a follow-up is a new ticket.
    public func acceptsComments(_ status: String) -> Bool { statuses[status]?.category != .closed }
}

/// Solved tickets close by themselves after a while (SPEC T7): after that, a customer's reply
/// starts a new ticket instead of reopening.
public struct AutoClosePolicy: Sendable, Equatable {
    public let after: TimeInterval

    public init(days: Double) { self.after = days * 86_400 }

    /// The moment before which a ticket solved then is due to close.
    public func cutoff(now: Date) -> Date { now.addingTimeInterval(-after) }

    public func isDue(solvedAt: Date, now: Date) -> Bool { solvedAt <= cutoff(now: now) }
}
