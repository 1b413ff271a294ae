import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import ZayavkaCore

/// Users and tokens.
enum UserService {
    /// RFC 5321/5322 mailbox rules (`EmailAddress`): what every path that stores an address checks.
    static func isPlausibleEmail(_ email: String) -> Bool { EmailAddress.isValid(email) }

    static func validTimeZone(_ identifier: String) -> Bool { TimeZone(identifier: identifier) != nil }

    // MARK: Tokens

    /// Checks an email and password through the sign-in guard (see `SignInGuard`): the attempt is
    /// counted before the password is checked, an unknown email costs a dummy hash check so the
    /// answer takes as long, and bcrypt runs on its own threads (`PasswordHasher`). Used by the API's
    /// token endpoint and the web sign-in form.
    static func verifyPassword(email rawEmail: String, password: String, request: Request) async throws -> UserRecord {
        let email = rawEmail.trimmingCharacters(in: .whitespaces).lowercased()
        guard email.utf8.count <= FieldLimits.email, password.utf8.count <= 1024 else { throw ZayavkaError.unauthenticated }
        let address = request.remoteAddress?.ipAddress ?? "unknown"
        let guardian = request.services.signIns
        let attempt = try guardian.begin(email: email, address: address, now: Date())
        var succeeded = false
        defer { guardian.finish(attempt, succeeded: succeeded) }
        let user = try await UserRecord.query(on: request.database).filter(\.$email == email).first()
        let usable = user.map { $0.isActive && $0.bannedAt == nil } ?? false
        let matches = try await request.services.passwords.verify(password, hash: usable ? user?.passwordHash : nil)
        guard matches, let user else { throw ZayavkaError.unauthenticated }
        succeeded = true
        return user
    }

    static func issueToken(_ input: TokenRequest, request: Request) async throws -> Response {
        let user = try await verifyPassword(email: input.email, password: input.password, request: request)
        let now = Date()
        if let days = input.expiresInDays, !(1...3650).contains(days) {
            throw ZayavkaError.validation([FieldError("expires_in_days", .invalid, "1…3650")])
        }
        let token = APIToken.generate()
        let record = APITokenRecord()
        record.userID = user.id!
        record.name = String((input.name ?? "API").prefix(100))
        record.tokenHash = APIToken.hash(token)
        record.prefix = String(token.prefix(10))
        record.expiresAt = input.expiresInDays.map { now.addingTimeInterval(Double($0) * 86_400) }
        try await request.write { db in try await record.create(on: db) }
        let body = TokenCreated(token: token, info: TokenDTO(record), user: UserDTO(user))
        return try await body.encodeResponse(status: .created, for: request)
    }

    static func listTokens(request: Request) async throws -> ListOf<TokenDTO> {
        let viewer = try request.viewer
        var query = try APITokenRecord.query(on: request.database).sort(\.$id)
        let all = (try? request.query.get(Bool.self, at: "all")) ?? false
        if !(all && viewer.role.can(.manageAllTokens)) { query = query.filter(\.$userID == viewer.userID) }
        return ListOf(items: try await query.all().map(TokenDTO.init), nextCursor: nil)
    }

    static func revokeToken(id: Int, request: Request) async throws -> HTTPStatus {
        let viewer = try request.viewer
        guard let token = try await APITokenRecord.find(id, on: request.database),
              token.userID == viewer.userID || viewer.role.can(.manageAllTokens)
        else { throw ZayavkaError.notFound(entity: "token", id: String(id)) }
        if token.revokedAt == nil {
            token.revokedAt = Date()
            try await request.write { db in try await token.update(on: db) }
        }
        request.services.tokens.forget(tokenID: id)
        return .noContent
    }

    // MARK: Users

    static func list(request: Request) async throws -> ListOf<UserDTO> {
        try request.require(.readDirectory)
        var query = try UserRecord.query(on: request.database).sort(\.$id)
        if let role = try? request.query.get(String.self, at: "role") { query = query.filter(\.$role == role) }
        if let org = try? request.query.get(Int.self, at: "organization_id") { query = query.filter(\.$organizationID == org) }
        if let email = try? request.query.get(String.self, at: "email") { query = query.filter(\.$email == email.lowercased()) }
        return try await IDPage.fetch(request) { after, count in
            let calendars = try await calendarKeys(request)
            return try await (after.map { query.copy().filter(\.$id > $0) } ?? query).limit(count).all()
                .map { ($0.id!, UserDTO($0, calendars: calendars)) }
        }
    }

    static func get(id: Int, request: Request) async throws -> UserDTO {
        let viewer = try request.viewer
        guard viewer.userID == id || viewer.role.can(.readDirectory), let user = try await UserRecord.find(id, on: request.database) else {
            throw ZayavkaError.notFound(entity: "user", id: String(id))
        }
        return UserDTO(user, calendars: try await calendarKeys(request))
    }

    static func calendarKeys(_ request: Request) async throws -> [Int: String] {
        var keys: [Int: String] = [:]
        for row in try await request.sql.raw("SELECT id, key FROM business_calendars").all() {
            keys[try row.decode(column: "id", as: Int.self)] = try row.decode(column: "key", as: String.self)
        }
        return keys
    }

    /// The calendar a person is given: a key that must exist, or null for the default one.
    private static func calendarID(_ input: UserInput, request: Request, errors: inout [FieldError]) async throws -> Int?? {
        guard let choice = input.calendar else { return nil }
        guard let key = choice else { return .some(nil) }
        guard let id = try await CalendarStore.id(key: key, on: request.sql) else {
            errors.append(FieldError("calendar", .unknownValue))
            return nil
        }
        return .some(id)
    }

    /// Admins create anyone; other staff create customers (for phone and walk-in requests).
    static func create(_ input: UserInput, request: Request) async throws -> Response {
        let viewer = try request.viewer
        let role = input.role ?? .customer
        guard viewer.role.can(.manageUsers) || (role == .customer && viewer.role.can(.fileTicketsForOthers)) else {
            throw ZayavkaError.forbidden(reason: "manage users")
        }
        var errors: [FieldError] = []
        let email = input.email?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
        if email.isEmpty { errors.append(FieldError("email", .required)) } else if !isPlausibleEmail(email) { errors.append(FieldError("email", .invalid)) }
        let name = input.name?.trimmingCharacters(in: .whitespaces) ?? ""
        if name.isEmpty { errors.append(FieldError("name", .required)) }
        else if let error = TextInput.check(name, field: "name", maxCharacters: FieldLimits.personName, multiline: false) { errors.append(error) }
        errors += try await checkCommon(input, request: request)
        let calendar = try await calendarID(input, request: request, errors: &errors)
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        if try await UserRecord.query(on: request.database).filter(\.$email == email).count() > 0 {
            throw ZayavkaError.conflict(field: "email", value: email)
        }
        let user = UserRecord(email: email, name: name, role: role, locale: input.locale ?? request.services.configuration.defaultLanguage,
                              timeZone: input.timeZone ?? "Europe/Moscow",
                              phone: (input.phone ?? nil).flatMap { PhoneNumber.normalize($0) ?? $0 },
                              organizationID: input.organizationId ?? nil)
        if let password = input.password { user.passwordHash = try await request.services.passwords.hash(password) }
        if let calendar { user.calendarID = calendar }
        try await request.write { db in
            try await user.create(on: db)
            try await DirectoryIndex.refresh(users: [user.id!], on: db as! any SQLDatabase)
        }
        return try await UserDTO(user, calendars: try await calendarKeys(request)).encodeResponse(status: .created, for: request)
    }

    static func update(id: Int, _ input: UserInput, request: Request) async throws -> UserDTO {
        let viewer = try request.viewer
        let isSelf = viewer.userID == id
        guard isSelf || viewer.role.can(.manageUsers), let user = try await UserRecord.find(id, on: request.database) else {
            throw ZayavkaError.notFound(entity: "user", id: String(id))
        }
        var errors: [FieldError] = []
        if !viewer.role.can(.manageUsers) {
            // People edit their own name, language, time zone, phone and password; nothing else.
            if input.role != nil { errors.append(FieldError("role", .notAllowed)) }
            if input.organizationId != nil { errors.append(FieldError("organization_id", .notAllowed)) }
            if input.isActive != nil { errors.append(FieldError("is_active", .notAllowed)) }
            if input.email != nil { errors.append(FieldError("email", .notAllowed)) }
            if input.calendar != nil { errors.append(FieldError("calendar", .notAllowed)) }
        }
        errors += try await checkCommon(input, request: request)
        let calendar = try await calendarID(input, request: request, errors: &errors)
        if let name = input.name {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { errors.append(FieldError("name", .required)) }
            if let error = TextInput.check(trimmed, field: "name", maxCharacters: FieldLimits.personName, multiline: false) { errors.append(error) }
        }
        // Changing your own password takes the current one (a session left open must not be enough).
        var currentPasswordChecked = false
        if isSelf, input.password != nil {
            guard let current = input.currentPassword, !current.isEmpty else {
                throw ZayavkaError.validation(errors + [FieldError("current_password", .required)])
            }
            guard user.passwordHash != nil, try await request.services.passwords.verify(current, hash: user.passwordHash) else {
                throw ZayavkaError.validation(errors + [FieldError("current_password", .invalid)])
            }
            currentPasswordChecked = true
        }
        var newEmail: String?
        if let email = input.email?.trimmingCharacters(in: .whitespaces).lowercased(), email != user.email {
            if !isPlausibleEmail(email) { errors.append(FieldError("email", .invalid)) } else { newEmail = email }
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        if let newEmail, try await UserRecord.query(on: request.database).filter(\.$email == newEmail).count() > 0 {
            throw ZayavkaError.conflict(field: "email", value: newEmail)
        }
        if let newEmail { user.email = newEmail }
        if let name = input.name { user.name = name.trimmingCharacters(in: .whitespaces) }
        if let role = input.role { user.role = role.rawValue }
        if let locale = input.locale { user.locale = locale.rawValue }
        if let zone = input.timeZone { user.timeZone = zone }
        if let phone = input.phone { user.phone = phone.flatMap { PhoneNumber.normalize($0) ?? $0 } }
        if let org = input.organizationId { user.organizationID = org }
        if let active = input.isActive { user.isActive = active }
        if let onShift = input.onShift {
            if user.roleValue.isStaff { user.onShift = onShift } else { throw ZayavkaError.validation([FieldError("on_shift", .notAllowed)]) }
        }
        if let calendar { user.calendarID = calendar }
        let passwordChanged = input.password != nil
        if let password = input.password { user.passwordHash = try await request.services.passwords.hash(password) }
        let keepSession = currentPasswordChecked ? request.webSession?.id : nil
        let keepToken = currentPasswordChecked && request.webSession == nil ? Credentials.currentTokenHash(request) : nil
        try await request.write { db in
            try await user.update(on: db)
            try await DirectoryIndex.refresh(users: [id], on: db as! any SQLDatabase)
            if passwordChanged {
                try await Credentials.endSessions(userID: id, keepSessionID: keepSession, keepTokenHash: keepToken, now: Date(), on: db as! any SQLDatabase)
            }
        }
        request.services.tokens.forget(userID: id)
        return UserDTO(user, calendars: try await calendarKeys(request))
    }

    private static func checkCommon(_ input: UserInput, request: Request) async throws -> [FieldError] {
        var errors: [FieldError] = []
        if let zone = input.timeZone, !validTimeZone(zone) { errors.append(FieldError("time_zone", .invalid)) }
        if let password = input.password, password.count < 8 { errors.append(FieldError("password", .invalid, "8+")) }
        if let password = input.password, password.isOver(FieldLimits.password) { errors.append(FieldError("password", .tooLong, String(FieldLimits.password))) }
        if let phone = input.phone ?? nil, let error = TextInput.check(phone, field: "phone", maxCharacters: FieldLimits.phone, multiline: false) { errors.append(error) }
        if let zone = input.timeZone, zone.utf8.count > 100 { errors.append(FieldError("time_zone", .invalid)) }
        if let org = input.organizationId ?? nil, try await OrganizationRecord.find(org, on: request.database) == nil {
            errors.append(FieldError("organization_id", .unknownValue))
        }
        return errors
    }
}

/// Organizations and groups.
enum DirectoryService {
    static func listOrganizations(request: Request) async throws -> ListOf<OrganizationDTO> {
        try request.require(.readDirectory)
        let query = try OrganizationRecord.query(on: request.database).sort(\.$id)
        return try await IDPage.fetch(request) { after, count in
            try await (after.map { query.copy().filter(\.$id > $0) } ?? query).limit(count).all().map { ($0.id!, OrganizationDTO($0)) }
        }
    }

    static func getOrganization(id: Int, request: Request) async throws -> OrganizationDTO {
        let viewer = try request.viewer
        guard viewer.role.can(.readDirectory) || viewer.organizationID == id,
              let org = try await OrganizationRecord.find(id, on: request.database)
        else { throw ZayavkaError.notFound(entity: "organization", id: String(id)) }
        return OrganizationDTO.visible(org, to: viewer)
    }

    static func saveOrganization(id: Int?, _ input: OrganizationInput, request: Request) async throws -> Response {
        try request.require(.manageOrganizations)
        let org: OrganizationRecord
        if let id {
            guard let found = try await OrganizationRecord.find(id, on: request.database) else {
                throw ZayavkaError.notFound(entity: "organization", id: String(id))
            }
            org = found
        } else {
            org = OrganizationRecord()
            org.plan = "free"
            org.membersSeeAllTickets = false
        }
        var errors: [FieldError] = []
        if let name = input.name {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { errors.append(FieldError("name", .required)) }
            org.name = trimmed
        } else if id == nil { errors.append(FieldError("name", .required)) }
        if let plan = input.plan {
            if ["paid", "free"].contains(plan) { org.plan = plan } else { errors.append(FieldError("plan", .unknownValue, "paid, free")) }
        }
        if let inn = input.inn {
            // 10 or 12 digits whose check digits agree (SPEC A2); an empty value clears it.
            let cleaned = inn?.trimmingCharacters(in: .whitespaces)
            if let cleaned, !cleaned.isEmpty, INN.normalize(cleaned) == nil { errors.append(FieldError("inn", .invalid, "10/12")) }
            org.inn = cleaned?.isEmpty == true ? nil : cleaned
        }
        if let ends = input.contractEndsOn {
            if let ends, (try? Date(ends, strategy: .iso8601.year().month().day())) == nil { errors.append(FieldError("contract_ends_on", .invalid)) }
            org.contractEndsOn = ends
        }
        // The same limits as the CSV import and the web form (`FieldLimits`).
        if let name = input.name, let error = TextInput.check(name, field: "name", maxCharacters: FieldLimits.organizationName, multiline: false) {
            errors.append(error)
        }
        if let value = input.contractNumber ?? nil, let error = TextInput.check(value, field: "contract_number", maxCharacters: 100, multiline: false) {
            errors.append(error)
        }
        if let value = input.notes ?? nil, let error = TextInput.check(value, field: "notes", maxCharacters: FieldLimits.longText) { errors.append(error) }
        for (field, list, limit) in [("phones", input.phones, FieldLimits.phone), ("email_domains", input.emailDomains, 253), ("logins", input.logins, FieldLimits.shortText)] {
            guard let list else { continue }
            if list.count > 100 { errors.append(FieldError(field, .tooLong, "100")) }
            if let error = list.lazy.compactMap({ TextInput.check($0, field: field, maxCharacters: limit, multiline: false) }).first { errors.append(error) }
        }
        for (field, value) in [("quota", input.quota ?? nil), ("usage", input.usage ?? nil)] {
            if let value, !(0...1_000_000_000).contains(value) { errors.append(FieldError(field, .invalid, "0…1000000000")) }
        }
        if let value = input.contractNumber { org.contractNumber = value }
        if let value = input.quota { org.quota = value }
        if let value = input.usage { org.usage = value }
        if let value = input.phones { org.phones = value.map { PhoneNumber.normalize($0) ?? $0 }.joined(separator: "\n") }
        if let value = input.emailDomains { org.emailDomains = value.map { $0.lowercased() }.joined(separator: "\n") }
        if let value = input.logins { org.logins = value.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: "\n") }
        if let value = input.addresses {
            let (stored, error) = OrganizationAddresses.clean(value)
            if let error { errors.append(error) }
            org.addresses = stored
        }
        if let value = input.notes { org.notes = value }
        if let value = input.membersSeeAllTickets { org.membersSeeAllTickets = value }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        try await request.write { db in
            try await org.save(on: db)
            try await DirectoryIndex.refresh(organizations: [org.id!], on: db as! any SQLDatabase)
        }
        if id != nil { request.services.tokens.forgetAll() }
        return try await OrganizationDTO(org).encodeResponse(status: id == nil ? .created : .ok, for: request)
    }

    static func groupDTO(_ group: GroupRecord, on db: any Database) async throws -> GroupDTO {
        let members = try await GroupMemberRecord.query(on: db).filter(\.$groupID == group.id!).sort(\.$userID).all()
        return GroupDTO(id: group.id!, name: group.name, description: group.details, memberIds: members.map(\.userID),
                        assignment: group.assignment.flatMap(AssignmentMode.init(rawValue:)) ?? .manual)
    }

    static func listGroups(request: Request) async throws -> ListOf<GroupDTO> {
        try request.require(.readDirectory)
        var items: [GroupDTO] = []
        for group in try await GroupRecord.query(on: request.database).sort(\.$id).all() { items.append(try await groupDTO(group, on: request.database)) }
        return ListOf(items: items, nextCursor: nil)
    }

    static func getGroup(id: Int, request: Request) async throws -> GroupDTO {
        try request.require(.readDirectory)
        guard let group = try await GroupRecord.find(id, on: request.database) else { throw ZayavkaError.notFound(entity: "group", id: String(id)) }
        return try await groupDTO(group, on: request.database)
    }

    static func saveGroup(id: Int?, _ input: GroupInput, request: Request) async throws -> Response {
        try request.require(.manageGroups)
        let group: GroupRecord
        if let id {
            guard let found = try await GroupRecord.find(id, on: request.database) else { throw ZayavkaError.notFound(entity: "group", id: String(id)) }
            group = found
        } else {
            group = GroupRecord()
        }
        if let name = input.name?.trimmingCharacters(in: .whitespaces) {
            guard !name.isEmpty else { throw ZayavkaError.validation([FieldError("name", .required)]) }
            if try await GroupRecord.query(on: request.database).filter(\.$name == name).filter(\.$id != (id ?? -1)).count() > 0 {
                throw ZayavkaError.conflict(field: "name", value: name)
            }
            group.name = name
        } else if id == nil { throw ZayavkaError.validation([FieldError("name", .required)]) }
        if let description = input.description { group.details = description }
        if let assignment = input.assignment { group.assignment = assignment.rawValue }
        try await request.write { db in try await group.save(on: db) }
        return try await groupDTO(group, on: request.database).encodeResponse(status: id == nil ? .created : .ok, for: request)
    }

    static func setMember(groupID: Int, userID: Int, member: Bool, request: Request) async throws -> GroupDTO {
        try request.require(.manageGroups)
        guard let group = try await GroupRecord.find(groupID, on: request.database) else { throw ZayavkaError.notFound(entity: "group", id: String(groupID)) }
        guard let user = try await UserRecord.find(userID, on: request.database) else { throw ZayavkaError.notFound(entity: "user", id: String(userID)) }
        if member {
            guard user.roleValue.isStaff else { throw ZayavkaError.validation([FieldError("user_id", .notAllowed)]) }
            let exists = try await GroupMemberRecord.query(on: request.database).filter(\.$groupID == groupID).filter(\.$userID == userID).count() > 0
            if !exists { try await request.write { db in try await GroupMemberRecord(groupID: groupID, userID: userID).create(on: db) } }
        } else {
            try await request.write { db in
                try await GroupMemberRecord.query(on: db).filter(\.$groupID == groupID).filter(\.$userID == userID).delete()
            }
        }
        return try await groupDTO(group, on: request.database)
    }
}

/// Statuses, intake questions and urgency levels: the team's configuration.
enum ConfigService {
    static func statuses(request: Request) async throws -> ListOf<StatusDTO> {
        _ = try request.viewer
        let catalog = try await request.services.catalog.snapshot(request.database)
        return ListOf(items: catalog.statuses.map(StatusDTO.init), nextCursor: nil)
    }

    /// Adds a team hand-off status (it behaves as open).
    static func createStatus(_ input: StatusInput, request: Request) async throws -> Response {
        try request.require(.manageConfiguration)
        var errors: [FieldError] = []
        if !StatusDefinition.isValidKey(input.key) { errors.append(FieldError("key", .invalid)) }
        if input.nameRu.trimmingCharacters(in: .whitespaces).isEmpty { errors.append(FieldError("name_ru", .required)) }
        if input.nameEn.trimmingCharacters(in: .whitespaces).isEmpty { errors.append(FieldError("name_en", .required)) }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        if try await StatusRecord.query(on: request.database).filter(\.$key == input.key).count() > 0 {
            throw ZayavkaError.conflict(field: "key", value: input.key)
        }
        let record = StatusRecord()
        record.key = input.key
        record.category = StatusCategory.open.rawValue
        record.nameRu = input.nameRu
        record.nameEn = input.nameEn
        record.isBuiltIn = false
        record.position = (try await StatusRecord.query(on: request.database).max(\.$position) ?? 0) + 10
        try await request.write { db in try await record.create(on: db) }
        request.services.catalog.invalidate()
        return try await StatusDTO(record.definition!).encodeResponse(status: .created, for: request)
    }

    static func intakeFields(request: Request) async throws -> ListOf<IntakeFieldDTO> {
        let viewer = try request.viewer
        var query = try IntakeFieldRecord.query(on: request.database).sort(\.$position)
        if !viewer.role.isStaff { query = query.filter(\.$active == true).filter(\.$customerVisible == true) }
        return ListOf(items: try await query.all().map(IntakeFieldDTO.init), nextCursor: nil)
    }

    static func saveIntakeField(key: String?, _ input: IntakeFieldInput, request: Request) async throws -> Response {
        try request.require(.manageConfiguration)
        let record: IntakeFieldRecord
        var errors: [FieldError] = []
        if let key {
            guard let found = try await IntakeFieldRecord.query(on: request.database).filter(\.$key == key).first() else {
                throw ZayavkaError.notFound(entity: "intake_field", id: key)
            }
            record = found
        } else {
            record = IntakeFieldRecord()
            guard let newKey = input.key, StatusDefinition.isValidKey(newKey) else { throw ZayavkaError.validation([FieldError("key", .invalid)]) }
            if try await IntakeFieldRecord.query(on: request.database).filter(\.$key == newKey).count() > 0 {
                throw ZayavkaError.conflict(field: "key", value: newKey)
            }
            record.key = newKey
            record.kind = (input.kind ?? .text).rawValue
            record.options = ""
            record.required = false
            record.customerVisible = true
            record.active = true
            record.position = min(try await IntakeFieldRecord.query(on: request.database).max(\.$position) ?? 0, 1_000_000) + 10
            if input.labelRu == nil { errors.append(FieldError("label_ru", .required)) }
            if input.labelEn == nil { errors.append(FieldError("label_en", .required)) }
        }
        if let kind = input.kind { record.kind = kind.rawValue }
        if let value = input.labelRu { record.labelRu = value }
        if let value = input.labelEn { record.labelEn = value }
        if let value = input.options { record.options = value.joined(separator: "\n") }
        if let value = input.required { record.required = value }
        if let value = input.customerVisible { record.customerVisible = value }
        if let value = input.active { record.active = value }
        if let value = input.position {
            if (0...1_000_000).contains(value) { record.position = value } else { errors.append(FieldError("position", .invalid, "0…1000000")) }
        }
        if record.kind == IntakeFieldDefinition.Kind.choice.rawValue, record.options.isEmpty { errors.append(FieldError("options", .required)) }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        try await request.write { db in try await record.save(on: db) }
        request.services.catalog.invalidate()
        return try await IntakeFieldDTO(record).encodeResponse(status: key == nil ? .created : .ok, for: request)
    }
}

/// Paging by id for directory lists: `limit` (1…200, default 50) and `cursor` (the last id seen).
enum IDPage {
    /// `fetch(after, count)` returns up to `count` items after the id, in id order, with their ids.
    static func fetch<T: Content>(_ request: Request, _ fetch: (Int?, Int) async throws -> [(Int, T)]) async throws -> ListOf<T> {
        let limit = min(max((try? request.query.get(Int.self, at: "limit")) ?? 50, 1), 200)
        var after: Int?
        if let raw = try? request.query.get(String.self, at: "cursor"), !raw.isEmpty {
            // A cursor here is the last id seen: anything else is refused, not read as "from the start".
            guard raw.utf8.count <= 19, let id = Int(raw), id >= 0 else { throw ZayavkaError.validation([FieldError("cursor", .invalid)]) }
            after = id
        }
        let rows = try await fetch(after, limit + 1)
        let page = rows.prefix(limit)
        return ListOf(items: page.map(\.1), nextCursor: rows.count > limit ? page.last.map { String($0.0) } : nil)
    }
}
