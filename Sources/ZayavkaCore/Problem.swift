import Foundation

/// A known problem's kind (SPEC P1): a bug, a wish (seed 001's «пожелание») or an outage (seed 003's
/// incident source, seed 002's mass incident).
public enum ProblemKind: String, Sendable, CaseIterable, Codable {
    case bug, wish, outage

    public func name(_ language: Language) -> String {
        switch (self, language) {
        case (.bug, .ru): "Ошибка"
        case (.bug, .en): "Bug"
        case (.wish, .ru): "Пожелание"
        case (.wish, .en): "Wish"
        case (.outage, .ru): "Сбой"
        case (.outage, .en): "Outage"
        }
    }
}

/// Where a known problem is: new → confirmed → planned (a target version or date) → fixed (the
/// version), or rejected (the reason). A fix that did not hold or a rejection reconsidered goes
/// back to confirmed.
public enum ProblemStatus: String, Sendable, CaseIterable, Codable {
    case new, confirmed, planned, fixed, rejected

    /// Nothing more will be done: tickets are no longer linked to it.
    public var isFinal: Bool { self == .fixed || self == .rejected }

    public var next: Set<ProblemStatus> {
        switch self {
        case .new: [.confirmed, .planned, .fixed, .rejected]
        case .confirmed: [.planned, .fixed, .rejected]
        case .planned: [.confirmed, .planned, .fixed, .rejected]
        case .fixed, .rejected: [.confirmed]
        }
    }

    public func name(_ language: Language) -> String {
        switch (self, language) {
        case (.new, .ru): "Новая"
        case (.new, .en): "New"
        case (.confirmed, .ru): "Подтверждена"
        case (.confirmed, .en): "Confirmed"
        case (.planned, .ru): "Запланирована"
        case (.planned, .en): "Planned"
        case (.fixed, .ru): "Исправлена"
        case (.fixed, .en): "Fixed"
        case (.rejected, .ru): "Отклонена"
        case (.rejected, .en): "Rejected"
        }
    }
}

/// A problem's number as people say it: «P-101», never confused with a ticket's «#101».
public enum ProblemNumber {
    public static let prefix = "P-"

    public static func format(_ number: Int) -> String { prefix + String(number) }

    /// "P-101", "p-101", "P101", "Р-101" (Cyrillic Р), "101" → 101; anything else (or a number
    /// past 10^12) → nil.
    public static func parse(_ text: String) -> Int? {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        if let first = rest.first, "PpРр".contains(first) {
            rest = rest.dropFirst()
            if rest.first == "-" { rest = rest.dropFirst() }
        }
        guard !rest.isEmpty, rest.count <= 12, rest.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(rest)
    }
}

/// A change to a problem's status and what the new status needs (SPEC P1).
public struct ProblemTransition: Sendable, Equatable {
    public var from: ProblemStatus
    public var to: ProblemStatus
    /// planned: a version or a date it is planned for (at least one).
    public var targetVersion: String?
    public var targetDate: String?
    /// fixed: the version with the fix.
    public var fixedVersion: String?
    /// rejected: why.
    public var reason: String?
    /// An outage is fixed when service is back: it names no version.
    public var kind: ProblemKind = .bug

    public init(from: ProblemStatus, to: ProblemStatus, targetVersion: String? = nil, targetDate: String? = nil,
                fixedVersion: String? = nil, reason: String? = nil, kind: ProblemKind = .bug) {
        self.kind = kind
        self.from = from
        self.to = to
        self.targetVersion = targetVersion
        self.targetDate = targetDate
        self.fixedVersion = fixedVersion
        self.reason = reason
    }

    /// What is wrong with this change; empty when it may be made.
    public func problems() -> [FieldError] {
        var errors: [FieldError] = []
        if !from.next.contains(to) {
            errors.append(FieldError("status", .invalid, "\(from.rawValue) → \(to.rawValue)"))
        }
        func blank(_ value: String?) -> Bool { (value ?? "").trimmingCharacters(in: .whitespaces).isEmpty }
        switch to {
        case .planned where blank(targetVersion) && blank(targetDate):
            errors.append(FieldError("target_version", .required))
        case .fixed where blank(fixedVersion) && kind != .outage:
            errors.append(FieldError("fixed_version", .required))
        case .rejected where blank(reason):
            errors.append(FieldError("reason", .required))
        default: break
        }
        if let date = targetDate, !blank(date), LocalDate(date.trimmingCharacters(in: .whitespaces)) == nil {
            errors.append(FieldError("target_date", .invalid, "YYYY-MM-DD"))
        }
        return errors
    }
}

/// How popular a problem is (SPEC P2, seed 001: the product team decides "by the popularity of
/// requests"): linked tickets, distinct organizations, paid organizations, requests in the last 30 days.
public struct ProblemPopularity: Sendable, Equatable, Codable {
    public var tickets: Int
    public var organizations: Int
    public var paidOrganizations: Int
    public var lastThirtyDays: Int

    public init(tickets: Int = 0, organizations: Int = 0, paidOrganizations: Int = 0, lastThirtyDays: Int = 0) {
        self.tickets = tickets
        self.organizations = organizations
        self.paidOrganizations = paidOrganizations
        self.lastThirtyDays = lastThirtyDays
    }

    enum CodingKeys: String, CodingKey {
        case tickets, organizations, paidOrganizations = "paid_organizations", lastThirtyDays = "last_30_days"
    }

    /// The orders a problems list offers; each breaks ties by the figures after it, then by the newest problem.
    public enum SortKey: String, Sendable, CaseIterable, Codable {
        case tickets, organizations, paidOrganizations = "paid_organizations", lastThirtyDays = "last_30_days"
    }
}

/// What a public update of a problem tells customers when the agent writes nothing of their own.
public enum ProblemUpdateText {
    public static func standard(status: ProblemStatus, targetVersion: String?, targetDate: String?, fixedVersion: String?,
                                reason: String?, _ language: Language) -> String {
        let ru = language == .ru
        switch status {
        case .new:
            return ru ? "Проблема зарегистрирована." : "The problem is registered."
        case .confirmed:
            return ru ? "Проблема подтверждена, разработчики работают над ней." : "The problem is confirmed; the developers are working on it."
        case .planned:
            var parts: [String] = []
            if let version = targetVersion?.nilIfBlank { parts.append(ru ? "в версии \(version)" : "in version \(version)") }
            if let date = targetDate?.nilIfBlank { parts.append(ru ? "к \(displayDate(date))" : "by \(date)") }
            let when = parts.joined(separator: ru ? ", " : ", ")
            return ru ? "Исправление запланировано \(when)." : "A fix is planned \(when)."
        case .fixed:
            let version = fixedVersion?.nilIfBlank
            return ru ? "Проблема исправлена\(version.map { " в версии \($0)" } ?? "")."
                : "The problem is fixed\(version.map { " in version \($0)" } ?? "")."
        case .rejected:
            let why = reason?.nilIfBlank
            return ru ? "Проблема не будет исправлена\(why.map { ": \($0)" } ?? ".")" : "The problem will not be fixed\(why.map { ": \($0)" } ?? ".")"
        }
    }

    public static func estimate(_ text: String, _ language: Language) -> String {
        language == .ru ? "Ориентировочное время решения: \(text)." : "Expected time of the fix: \(text)."
    }

    /// 2027-03-01 → 01.03.2027, as Russian readers write dates.
    static func displayDate(_ iso: String) -> String {
        guard let date = LocalDate(iso) else { return iso }
        return String(format: "%02d.%02d.%04d", date.day, date.month, date.year)
    }
}

extension String {
    /// nil when empty or only spaces.
    var nilIfBlank: String? {
        let trimmed = trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }
}
