import Foundation
import Vapor
import ZayavkaCore

struct ErrorBody: Content {
    struct Detail: Codable {
        let code: String
        let message: String
        let fields: [FieldDetail]?
    }
    struct FieldDetail: Codable {
        let field: String
        let code: String
        let message: String
    }
    let error: Detail
}

struct PersonRef: Content {
    let id: Int
    let name: String
}

// MARK: Auth

struct TokenRequest: Content {
    let email: String
    let password: String
    let name: String?
    let expiresInDays: Int?

    enum CodingKeys: String, CodingKey { case email, password, name, expiresInDays = "expires_in_days" }
}

struct TokenDTO: Content {
    let id: Int
    let name: String
    let prefix: String
    let userId: Int
    let createdAt: Date?
    let expiresAt: Date?
    let lastUsedAt: Date?
    let revokedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, prefix, userId = "user_id", createdAt = "created_at", expiresAt = "expires_at",
             lastUsedAt = "last_used_at", revokedAt = "revoked_at"
    }

    init(_ record: APITokenRecord) {
        id = record.id!
        name = record.name
        prefix = record.prefix
        userId = record.userID
        createdAt = record.createdAt
        expiresAt = record.expiresAt
        lastUsedAt = record.lastUsedAt
        revokedAt = record.revokedAt
    }
}

struct TokenCreated: Content {
    let token: String
    let info: TokenDTO
    let user: UserDTO
}

// MARK: People

struct UserDTO: Content {
    let id: Int
    let email: String
    let name: String
    let role: Role
    let locale: Language
    let timeZone: String
    let phone: String?
    let organizationId: Int?
    let isActive: Bool
    let createdAt: Date?
    /// The key of the calendar the person works on (SPEC S4); nil: the default calendar.
    var calendar: String?
    /// Staff on shift receive tickets of groups that assign by turn or load (SPEC T6).
    let onShift: Bool

    enum CodingKeys: String, CodingKey {
        case id, email, name, role, locale, phone, calendar
        case timeZone = "time_zone", organizationId = "organization_id", isActive = "is_active", createdAt = "created_at", onShift = "on_shift"
    }

    init(_ record: UserRecord) {
        id = record.id!
        email = record.email
        name = record.name
        role = record.roleValue
        locale = Language(rawValue: record.locale) ?? .ru
        timeZone = record.timeZone
        phone = record.phone
        organizationId = record.organizationID
        isActive = record.isActive
        createdAt = record.createdAt
        onShift = record.onShift ?? false
    }

    init(_ record: UserRecord, calendars: [Int: String]) {
        self.init(record)
        calendar = record.calendarID.flatMap { calendars[$0] }
    }
}

struct UserInput: Content {
    var email: String?
    var name: String?
    var role: Role?
    var locale: Language?
    var timeZone: String?
    var phone: String??
    var organizationId: Int??
    var password: String?
    var isActive: Bool?
    /// A calendar key; null: back to the default calendar.
    var calendar: String??
    var onShift: Bool?
    /// Your own password, required to change it (so a session left open cannot take the account).
    var currentPassword: String?

    enum CodingKeys: String, CodingKey {
        case email, name, role, locale, phone, password, calendar
        case timeZone = "time_zone", organizationId = "organization_id", isActive = "is_active", onShift = "on_shift"
        case currentPassword = "current_password"
    }

    /// An empty input, filled in by the web forms.
    init() {}

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        email = try c.decodeIfPresent(String.self, forKey: .email)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        role = try c.decodeIfPresent(Role.self, forKey: .role)
        locale = try c.decodeIfPresent(Language.self, forKey: .locale)
        timeZone = try c.decodeIfPresent(String.self, forKey: .timeZone)
        phone = try c.patch(String.self, forKey: .phone)
        organizationId = try c.patch(Int.self, forKey: .organizationId)
        password = try c.decodeIfPresent(String.self, forKey: .password)
        onShift = try c.decodeIfPresent(Bool.self, forKey: .onShift)
        isActive = try c.decodeIfPresent(Bool.self, forKey: .isActive)
        calendar = try c.patch(String.self, forKey: .calendar)
        currentPassword = try c.decodeIfPresent(String.self, forKey: .currentPassword)
    }
}

struct OrganizationDTO: Content {
    let id: Int
    let name: String
    let contractNumber: String?
    let inn: String?
    var plan: String?
    var contractEndsOn: String?
    var quota: Int?
    var usage: Int?
    let phones: [String]
    var emailDomains: [String]?
    var logins: [String]?
    let addresses: [String]
    var notes: String?
    var membersSeeAllTickets: Bool?
    var createdAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, inn, plan, quota, usage, phones, notes, logins, addresses
        case contractNumber = "contract_number", contractEndsOn = "contract_ends_on", emailDomains = "email_domains",
             membersSeeAllTickets = "members_see_all_tickets", createdAt = "created_at"
    }

    init(_ record: OrganizationRecord) {
        id = record.id!
        name = record.name
        contractNumber = record.contractNumber
        inn = record.inn
        plan = record.plan
        contractEndsOn = record.contractEndsOn
        quota = record.quota
        usage = record.usage
        phones = record.phones.map { $0.split(separator: "\n").map(String.init) } ?? []
        emailDomains = record.emailDomains.map { $0.split(separator: "\n").map(String.init) } ?? []
        logins = record.logins.map { $0.split(separator: "\n").map(String.init) } ?? []
        addresses = record.addresses.map { $0.split(separator: "\n").map(String.init) } ?? []
        notes = record.notes
        membersSeeAllTickets = record.membersSeeAllTickets
        createdAt = record.createdAt
    }

    /// The one place that decides what of an organization a viewer sees: staff all of it; a member
    /// (customer) its name, contract number, INN, phones and addresses, which they know anyway, but
    /// not the team's notes, plan, contract end, quota and usage, logins or mail domains.
    static func visible(_ record: OrganizationRecord, to viewer: Viewer) -> OrganizationDTO {
        var dto = OrganizationDTO(record)
        guard !viewer.role.isStaff else { return dto }
        dto.plan = nil
        dto.contractEndsOn = nil
        dto.quota = nil
        dto.usage = nil
        dto.emailDomains = nil
        dto.logins = nil
        dto.notes = nil
        dto.membersSeeAllTickets = nil
        dto.createdAt = nil
        return dto
    }
}

struct OrganizationInput: Content {
    var name: String?
    var contractNumber: String??
    var inn: String??
    var plan: String?
    var contractEndsOn: String??
    var quota: Int??
    var usage: Int??
    var phones: [String]?
    var emailDomains: [String]?
    var logins: [String]?
    var addresses: [String]?
    var notes: String??
    var membersSeeAllTickets: Bool?

    enum CodingKeys: String, CodingKey {
        case name, inn, plan, quota, usage, phones, notes, logins, addresses
        case contractNumber = "contract_number", contractEndsOn = "contract_ends_on", emailDomains = "email_domains",
             membersSeeAllTickets = "members_see_all_tickets"
    }

    /// An empty input, filled in by the web forms.
    init() {}

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        contractNumber = try c.patch(String.self, forKey: .contractNumber)
        inn = try c.patch(String.self, forKey: .inn)
        plan = try c.decodeIfPresent(String.self, forKey: .plan)
        contractEndsOn = try c.patch(String.self, forKey: .contractEndsOn)
        quota = try c.patch(Int.self, forKey: .quota)
        usage = try c.patch(Int.self, forKey: .usage)
        phones = try c.decodeIfPresent([String].self, forKey: .phones)
        emailDomains = try c.decodeIfPresent([String].self, forKey: .emailDomains)
        logins = try c.decodeIfPresent([String].self, forKey: .logins)
        addresses = try c.decodeIfPresent([String].self, forKey: .addresses)
        notes = try c.patch(String.self, forKey: .notes)
        membersSeeAllTickets = try c.decodeIfPresent(Bool.self, forKey: .membersSeeAllTickets)
    }
}

struct GroupDTO: Content {
    let id: Int
    let name: String
    let description: String?
    let memberIds: [Int]
    /// manual, round_robin or least_loaded (SPEC T6).
    let assignment: AssignmentMode

    enum CodingKeys: String, CodingKey { case id, name, description, assignment, memberIds = "member_ids" }
}

struct GroupInput: Content {
    var name: String?
    var description: String?
    var assignment: AssignmentMode?
}

struct ListOf<T: Content>: Content {
    let items: [T]
    let nextCursor: String?

    enum CodingKeys: String, CodingKey { case items, nextCursor = "next_cursor" }
}

// MARK: Tickets

struct TicketDTO: Content {
    let number: Int
    let subject: String
    let status: String
    let statusName: String
    let type: TicketType
    let priority: TicketPriority
    let urgency: Int?
    let channel: TicketChannel
    let responsibility: Responsibility?
    let cause: String?
    let requester: PersonRef
    let organization: PersonRef?
    let assignee: PersonRef?
    let group: PersonRef?
    let dueAt: Date?
    let fields: [String: String]
    let createdAt: Date
    let updatedAt: Date
    let solvedAt: Date?
    let closedAt: Date?
    /// The nearest SLA due time of a running clock (staff only).
    let nextDueAt: Date?

    enum CodingKeys: String, CodingKey {
        case number, subject, status, type, priority, urgency, channel, responsibility, cause, requester, organization,
             assignee, group, fields
        case statusName = "status_name", dueAt = "due_at", createdAt = "created_at", updatedAt = "updated_at",
             solvedAt = "solved_at", closedAt = "closed_at", nextDueAt = "next_due_at"
    }
}

struct TicketCreateInput: Content {
    let subject: String
    let body: String
    let requesterId: Int?
    let requesterEmail: String?
    let requesterName: String?
    let channel: TicketChannel?
    let type: TicketType?
    let priority: TicketPriority?
    let urgency: Urgency?
    let responsibility: Responsibility?
    let cause: String?
    let status: String?
    let assigneeId: Int?
    let groupId: Int?
    let dueAt: Date?
    let fields: [String: String]?
    let attachments: [String]?

    enum CodingKeys: String, CodingKey {
        case subject, body, channel, type, priority, urgency, responsibility, cause, status, fields, attachments
        case requesterId = "requester_id", requesterEmail = "requester_email", requesterName = "requester_name",
             assigneeId = "assignee_id", groupId = "group_id", dueAt = "due_at"
    }
}

struct TicketPatchInput: Content {
    var subject: String?
    var type: TicketType?
    var priority: TicketPriority?
    var urgency: Urgency??
    var responsibility: Responsibility??
    var cause: String??
    var status: String?
    var assigneeId: Int??
    var groupId: Int??
    var dueAt: Date??
    var fields: [String: String?]?
    /// The resolution report, with a change that solves the ticket (SPEC V6).
    var resolution: ResolutionInput?

    enum CodingKeys: String, CodingKey {
        case subject, type, priority, urgency, responsibility, cause, status, fields, resolution
        case assigneeId = "assignee_id", groupId = "group_id", dueAt = "due_at"
    }

    /// An empty patch, filled in by the web forms.
    init() {}

    /// Nothing to change.
    var isEmpty: Bool {
        subject == nil && type == nil && priority == nil && urgency == nil && responsibility == nil && cause == nil && status == nil
            && assigneeId == nil && groupId == nil && dueAt == nil && fields == nil && resolution == nil
    }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        subject = try c.decodeIfPresent(String.self, forKey: .subject)
        type = try c.decodeIfPresent(TicketType.self, forKey: .type)
        priority = try c.decodeIfPresent(TicketPriority.self, forKey: .priority)
        urgency = try c.patch(Urgency.self, forKey: .urgency)
        responsibility = try c.patch(Responsibility.self, forKey: .responsibility)
        cause = try c.patch(String.self, forKey: .cause)
        status = try c.decodeIfPresent(String.self, forKey: .status)
        assigneeId = try c.patch(Int.self, forKey: .assigneeId)
        groupId = try c.patch(Int.self, forKey: .groupId)
        dueAt = try c.patch(Date.self, forKey: .dueAt)
        fields = try c.decodeIfPresent([String: String?].self, forKey: .fields)
        resolution = try c.decodeIfPresent(ResolutionInput.self, forKey: .resolution)
    }

    var corePatch: TicketPatch {
        TicketPatch(subject: subject, type: type, priority: priority, urgency: urgency, responsibility: responsibility,
                    cause: cause, status: status, assigneeID: assigneeId, groupID: groupId, dueAt: dueAt, fields: fields ?? [:])
    }
}

struct AttachmentDTO: Content {
    let id: String
    let filename: String
    let contentType: String
    let size: Int
    let sha256: String
    let url: String
    let createdAt: Date

    enum CodingKeys: String, CodingKey {
        case id, filename, size, sha256, url
        case contentType = "content_type", createdAt = "created_at"
    }

    init(_ record: AttachmentRecord) {
        id = record.publicID
        filename = record.filename
        contentType = record.contentType
        size = record.size
        sha256 = record.sha256
        url = "/api/v1/attachments/\(record.publicID)"
        createdAt = record.createdAt
    }
}

struct AttachmentList: Content {
    let attachments: [AttachmentDTO]
}

struct CommentDTO: Content {
    let id: Int
    let body: String
    let `public`: Bool
    let author: PersonRef?
    let source: TicketChannel
    let createdAt: Date
    let attachments: [AttachmentDTO]
    /// For comments that came by mail: whether the sender was verified (a reply to our mail to that
    /// address, or DKIM/SPF passed at a trusted server); absent otherwise.
    var senderVerified: Bool? = nil

    enum CodingKeys: String, CodingKey {
        case id, body, `public`, author, source, attachments, createdAt = "created_at", senderVerified = "sender_verified"
    }
}

struct CommentInput: Content {
    let body: String
    let `public`: Bool?
    let attachments: [String]?
    let status: String?
    /// What an agent's public reply is (SPEC T9): solution, promise (with promised_at) or refusal (with refusal_reason).
    var answer: String? = nil
    var promisedAt: Date? = nil
    var refusalReason: String? = nil
    /// The resolution report, with a reply that solves the ticket (SPEC V6).
    var resolution: ResolutionInput? = nil
    /// Field changes saved with the reply, all or nothing (the ticket page's one submit): an
    /// assignee chosen and a reply that solves the ticket land together or not at all.
    var changes: TicketPatchInput? = nil

    enum CodingKeys: String, CodingKey {
        case body, `public`, attachments, status, answer, resolution, changes
        case promisedAt = "promised_at", refusalReason = "refusal_reason"
    }

    /// The answer as the domain sees it; nil when the reply does not say.
    var firstAnswer: FirstAnswer? {
        switch answer {
        case "solution": .solution
        case "promise": promisedAt.map(FirstAnswer.promise)
        case "refusal": .refusal(reason: refusalReason ?? "")
        default: nil
        }
    }
}

struct EventDTO: Content {
    let id: Int
    let kind: String
    let field: String?
    let before: String?
    let after: String?
    let actor: PersonRef?
    let commentId: Int?
    let createdAt: Date
    var reason: String? = nil

    enum CodingKeys: String, CodingKey {
        case id, kind, field, before, after, actor, reason
        case commentId = "comment_id", createdAt = "created_at"
    }
}

// MARK: Configuration

struct StatusDTO: Content {
    let key: String
    let category: StatusCategory
    let nameRu: String
    let nameEn: String
    let builtIn: Bool

    enum CodingKeys: String, CodingKey { case key, category, nameRu = "name_ru", nameEn = "name_en", builtIn = "built_in" }

    init(_ d: StatusDefinition) {
        key = d.key
        category = d.category
        nameRu = d.nameRu
        nameEn = d.nameEn
        builtIn = d.isBuiltIn
    }
}

struct StatusInput: Content {
    let key: String
    let nameRu: String
    let nameEn: String

    enum CodingKeys: String, CodingKey { case key, nameRu = "name_ru", nameEn = "name_en" }
}

struct IntakeFieldDTO: Content {
    let key: String
    let kind: IntakeFieldDefinition.Kind
    let labelRu: String
    let labelEn: String
    let options: [String]
    let required: Bool
    let customerVisible: Bool
    let active: Bool
    let position: Int

    enum CodingKeys: String, CodingKey {
        case key, kind, options, required, active, position
        case labelRu = "label_ru", labelEn = "label_en", customerVisible = "customer_visible"
    }

    init(_ r: IntakeFieldRecord) {
        key = r.key
        kind = .init(rawValue: r.kind) ?? .text
        labelRu = r.labelRu
        labelEn = r.labelEn
        options = r.options.isEmpty ? [] : r.options.components(separatedBy: "\n")
        required = r.required
        customerVisible = r.customerVisible
        active = r.active
        position = r.position
    }
}

struct IntakeFieldInput: Content {
    let key: String?
    let kind: IntakeFieldDefinition.Kind?
    let labelRu: String?
    let labelEn: String?
    let options: [String]?
    let required: Bool?
    let customerVisible: Bool?
    let active: Bool?
    let position: Int?

    enum CodingKeys: String, CodingKey {
        case key, kind, options, required, active, position
        case labelRu = "label_ru", labelEn = "label_en", customerVisible = "customer_visible"
    }
}

struct UrgencyDTO: Content {
    let level: Int
    let definitionRu: String
    let definitionEn: String

    enum CodingKeys: String, CodingKey { case level, definitionRu = "definition_ru", definitionEn = "definition_en" }
}

// MARK: Working time

struct CalendarDTO: Content {
    let key: String
    let name: String
    let timeZone: String
    let weekly: [[String]]
    let transferredDayHours: [String]
    let shorteningMinutes: Int
    let isDefault: Bool
    let specialDays: Int

    enum CodingKeys: String, CodingKey {
        case key, name, weekly
        case timeZone = "time_zone", transferredDayHours = "transferred_day_hours", shorteningMinutes = "shortening_minutes",
             isDefault = "default", specialDays = "special_days"
    }
}

struct CalendarInput: Content {
    let key: String?
    let name: String?
    let timeZone: String?
    /// Seven lists of "HH:MM-HH:MM", Monday first.
    let weekly: [[String]]?
    let transferredDayHours: [String]?
    let shorteningMinutes: Int?
    /// On creation: "russia" (default) loads the Russian production calendar; "none" starts empty.
    let productionCalendar: String?

    enum CodingKeys: String, CodingKey {
        case key, name, weekly
        case timeZone = "time_zone", transferredDayHours = "transferred_day_hours", shorteningMinutes = "shortening_minutes",
             productionCalendar = "production_calendar"
    }
}

struct DueDTO: Content {
    let calendar: String
    let from: Date
    let minutes: Int
    let dueAt: Date?

    enum CodingKeys: String, CodingKey { case calendar, from, minutes, dueAt = "due_at" }
}

/// Targets in working minutes.
struct SLATargetsDTO: Content {
    let firstResponse: Int?
    let nextResponse: Int?
    let resolution: Int?

    enum CodingKeys: String, CodingKey { case firstResponse = "first_response", nextResponse = "next_response", resolution }

    init(firstResponse: Int?, nextResponse: Int?, resolution: Int?) {
        self.firstResponse = firstResponse
        self.nextResponse = nextResponse
        self.resolution = resolution
    }

    init(_ targets: [SLAMetric: Int]) {
        self.init(firstResponse: targets[.firstResponse], nextResponse: targets[.nextResponse], resolution: targets[.resolution])
    }

    /// The inverse of `init(_:)`.
    var metrics: [SLAMetric: Int] {
        var result: [SLAMetric: Int] = [:]
        result[.firstResponse] = firstResponse
        result[.nextResponse] = nextResponse
        result[.resolution] = resolution
        return result
    }
}

struct SLAPolicyDTO: Content {
    let key: String
    let name: String
    let position: Int
    let conditions: SLAConditions
    let targets: SLATargetsDTO
    let warnAtPercent: Int
    let calendar: String
    let active: Bool
    let escalation: SLAEscalation

    enum CodingKeys: String, CodingKey {
        case key, name, position, conditions, targets, calendar, active, escalation
        case warnAtPercent = "warn_at_percent"
    }
}

struct SLAPolicyInput: Content {
    let key: String?
    let name: String?
    let position: Int?
    let conditions: SLAConditions?
    let targets: SLATargetsDTO?
    let warnAtPercent: Int?
    let calendar: String?
    let active: Bool?
    let escalation: SLAEscalation?

    enum CodingKeys: String, CodingKey {
        case key, name, position, conditions, targets, calendar, active, escalation
        case warnAtPercent = "warn_at_percent"
    }
}
