import Foundation

/// Who a person is to the help desk; permissions follow the role (SPEC A4).
public enum Role: String, Sendable, CaseIterable, Codable {
    case customer, agent, dispatcher, manager, admin

    /// Staff are everyone who works tickets rather than files them.
    public var isStaff: Bool { self != .customer }
}

/// What a role may do. Checked by `Role.can(_:)`; the app maps a refusal to 403 (or 404 for tickets).
public enum Permission: Sendable, CaseIterable {
    case fileOwnTickets
    case fileTicketsForOthers
    case readAllTickets
    case editTicketFields
    case writeInternalNotes
    case assignTickets
    case manageUsers
    case manageGroups
    case manageOrganizations
    case manageConfiguration
    case readDirectory
    case manageAllTokens
    /// Write and publish knowledge-base articles (issue 17).
    case writeArticles
    /// The knowledge base's categories, the bot menu and the deflection figures.
    case manageKnowledgeBase
    /// Quality (issue 18): survey and resolution settings, the review scorecard and sample, reviews,
    /// service feedback and the reports.
    case manageQuality
    /// Bans (issue 19, SPEC X1): approve or decline the ban requests of conduct warnings, ban and lift.
    case manageBans
}

extension Role {
    /// The permission table: one place, readable at a glance.
    public var permissions: Set<Permission> {
        switch self {
        case .customer:
            return [.fileOwnTickets]
        case .agent:
            return [.fileOwnTickets, .fileTicketsForOthers, .readAllTickets, .editTicketFields,
                    .writeInternalNotes, .assignTickets, .readDirectory, .writeArticles]
        case .dispatcher:
            return Role.agent.permissions.union([.manageOrganizations])
        case .manager:
            return Role.agent.permissions.union([.manageOrganizations, .manageKnowledgeBase, .manageQuality, .manageBans])
        case .admin:
            return Set(Permission.allCases)
        }
    }

    public func can(_ permission: Permission) -> Bool { permissions.contains(permission) }
}

/// Where a request came in (SPEC C1–C6).
public enum TicketChannel: String, Sendable, CaseIterable, Codable {
    case web, email, phone, api, widget, chat
}

/// Ticket type (SPEC T2, seed 003). A task carries a due date.
public enum TicketType: String, Sendable, CaseIterable, Codable {
    case question, suggestion, problem, incident, task
}

/// Priority (SPEC T3, seed 003); `rank` orders them and is what the database stores.
public enum TicketPriority: String, Sendable, CaseIterable, Codable, Comparable {
    case low, normal, high, urgent

    public var rank: Int {
        switch self {
        case .low: 1
        case .normal: 2
        case .high: 3
        case .urgent: 4
        }
    }

    public init?(rank: Int) {
        guard let value = Self.allCases.first(where: { $0.rank == rank }) else { return nil }
        self = value
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }
}

/// Urgency 1 (cannot serve customers at all) … 4 (wants a change), as defined by seed 000.
public struct Urgency: Sendable, Hashable, Codable, Comparable {
    public let level: Int
    public static let range = 1...4

    public init?(_ level: Int) {
        guard Self.range.contains(level) else { return nil }
        self.level = level
    }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(Int.self)
        guard let value = Urgency(raw) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "urgency must be 1…4"))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(level)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.level < rhs.level }

    public static let all: [Urgency] = range.map { Urgency($0)! }

    /// Seed 000's definition of the level, for the customer filing a request and the agent sorting it.
    public func definition(_ language: Language) -> String {
        switch (level, language) {
        case (1, .ru): "Максимальный приоритет. Вы совсем не можете обслужить клиента."
        case (1, .en): "Top priority. You cannot serve your customers at all."
        case (2, .ru): "Вы можете обслужить клиента, но возникают сложности: не с любого рабочего места, часть функций недоступна, не печатаются некоторые документы."
        case (2, .en): "You can serve customers, but with difficulty: not from every workstation, some functions are unavailable, some documents cannot be printed."
        case (3, .ru): "Проблема не касается обслуживания клиентов: что-то было настроено и работало, но перестало; или отчёт показывает не те данные, что вы ожидали."
        case (3, .en): "The problem does not affect serving customers: something that was set up and worked has stopped; or a report shows data you did not expect."
        case (_, .ru): "Вы хотите изменить работу системы: настроить отчёты или колонки, добавить печатные формы, подключить новое оборудование."
        case (_, .en): "You want to change how the system works: set up reports or columns, add print forms, connect new equipment."
        }
    }
}

/// Whose side the problem is on (SPEC T5, seed 000): ours (software, servers, services)
/// or the customer's (hardware, network, OS, antivirus, other software).
public enum Responsibility: String, Sendable, CaseIterable, Codable {
    case oursSoftware = "ours_software"
    case oursServers = "ours_servers"
    case oursServices = "ours_services"
    case customerHardware = "customer_hardware"
    case customerNetwork = "customer_network"
    case customerOS = "customer_os"
    case customerAntivirus = "customer_antivirus"
    case customerOtherSoftware = "customer_other_software"

    public enum Side: String, Sendable, Codable { case ours, customer }

    public var side: Side { rawValue.hasPrefix("ours") ? .ours : .customer }
}

/// The interface languages (SPEC N2).
public enum Language: String, Sendable, CaseIterable, Codable {
    case ru, en

    public static let `default`: Language = .ru

    /// Picks the best supported language from an Accept-Language header ("en-US,en;q=0.9,ru;q=0.8").
    public static func negotiate(acceptLanguage header: String?) -> Language? {
        guard let header, !header.isEmpty else { return nil }
        var best: (Language, Double)?
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = pieces.first?.lowercased() else { continue }
            let primary = String(tag.split(separator: "-").first ?? "")
            var quality = 1.0
            for parameter in pieces.dropFirst() where parameter.hasPrefix("q=") {
                quality = Double(parameter.dropFirst(2)) ?? 0
            }
            guard let language = Language(rawValue: primary), quality > 0 else { continue }
            if best == nil || quality > best!.1 { best = (language, quality) }
        }
        return best?.0
    }
}
