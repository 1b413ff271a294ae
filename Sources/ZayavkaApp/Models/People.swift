import Fluent
import Foundation
import ZayavkaCore

// Fluent models are reference types whose properties are mutated through property wrappers;
// they are `@unchecked Sendable` because each instance is confined to the request (task) that loaded it.

/// A person: customer or staff (SPEC A4). Email is stored lowercased and unique.
final class UserRecord: Model, @unchecked Sendable {
    static let schema = "users"
    /// The calendar of the person's working hours (planning, SPEC S4); nil: the default calendar.
    @OptionalField(key: "calendar_id") var calendarID: Int?
    @OptionalField(key: "on_shift") var onShift: Bool?

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "email") var email: String
    @Field(key: "name") var name: String
    @Field(key: "role") var role: String
    @Field(key: "locale") var locale: String
    @Field(key: "time_zone") var timeZone: String
    @OptionalField(key: "phone") var phone: String?
    @OptionalField(key: "organization_id") var organizationID: Int?
    @OptionalField(key: "password_hash") var passwordHash: String?
    @Field(key: "is_active") var isActive: Bool
    @OptionalField(key: "banned_at") var bannedAt: Date?
    @OptionalField(key: "blocked_until") var blockedUntil: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(email: String, name: String, role: Role, locale: Language = .ru, timeZone: String = "Europe/Moscow",
         phone: String? = nil, organizationID: Int? = nil, passwordHash: String? = nil) {
        self.email = email.lowercased()
        self.name = name
        self.role = role.rawValue
        self.locale = locale.rawValue
        self.timeZone = timeZone
        self.phone = phone
        self.organizationID = organizationID
        self.passwordHash = passwordHash
        self.isActive = true
    }

    var roleValue: Role { Role(rawValue: role) ?? .customer }
}

/// A customer's company (SPEC A2): contract, INN, plan, quota. The directory issue extends it.
final class OrganizationRecord: Model, @unchecked Sendable {
    static let schema = "organizations"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "name") var name: String
    @OptionalField(key: "contract_number") var contractNumber: String?
    @OptionalField(key: "inn") var inn: String?
    @Field(key: "plan") var plan: String
    @OptionalField(key: "contract_ends_on") var contractEndsOn: String?
    @OptionalField(key: "quota") var quota: Int?
    @OptionalField(key: "usage") var usage: Int?
    @OptionalField(key: "phones") var phones: String?
    @OptionalField(key: "email_domains") var emailDomains: String?
    @OptionalField(key: "logins") var logins: String?
    /// One address a line (offices, shops, warehouses).
    @OptionalField(key: "addresses") var addresses: String?
    @OptionalField(key: "notes") var notes: String?
    @Field(key: "members_see_all_tickets") var membersSeeAllTickets: Bool
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}
}

/// A support line ("линия"): agents who share a queue.
final class GroupRecord: Model, @unchecked Sendable {
    static let schema = "support_groups"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "name") var name: String
    @OptionalField(key: "description") var details: String?
    @OptionalField(key: "assignment") var assignment: String?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}
}

/// Membership of an agent in a group.
final class GroupMemberRecord: Model, @unchecked Sendable {
    static let schema = "group_members"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "group_id") var groupID: Int
    @Field(key: "user_id") var userID: Int

    init() {}

    init(groupID: Int, userID: Int) {
        self.groupID = groupID
        self.userID = userID
    }
}

/// A bearer token; only its SHA-256 is stored, the token itself is shown once.
final class APITokenRecord: Model, @unchecked Sendable {
    static let schema = "api_tokens"

    @ID(custom: "id", generatedBy: .database) var id: Int?
    @Field(key: "user_id") var userID: Int
    @Field(key: "name") var name: String
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "prefix") var prefix: String
    @OptionalField(key: "expires_at") var expiresAt: Date?
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?

    init() {}
}
