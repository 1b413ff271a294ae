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

    /// The interface language a person picked with the language switch: only their profile's locale
    /// changes. Runs inside the caller's write.
    static func saveLanguage(_ language: Language, userID: Int, on sql: any SQLDatabase) async throws {
        try await sql.raw("UPDATE users SET locale = \(bind: language.rawValue) WHERE id = \(bind: userID)").run()
    }

    // MARK: Tokens

    /// Checks an email and password through the sign-in guard (see `SignInGuard`): the attempt is
    /// counted before the password is checked, an unknown email costs a dummy hash check so the
    /// answer takes as long, and bcrypt runs on its own threads (`PasswordHasher`). Used by the API's
    /// token endpoint and the web sign-in form.
    static func verifyPassword(email rawEmail: String, password: String, context: ServiceContext) async throws -> UserRecord {
        let email = rawEmail.trimmingCharacters(in: .whitespaces).lowercased()
        guard email.utf8.count <= FieldLimits.email, password.utf8.count <= 1024 else { throw ZayavkaError.unauthenticated }
        let address = context.clientAddress
        let guardian = context.services.signIns
        let attempt = try guardian.begin(email: email, address: address, now: context.now)
        var succeeded = false
        defer { guardian.finish(attempt, succeeded: succeeded) }
        let user = try await UserRecord.query(on: context.database).filter(\.$email == email).first()
        let usable = user.map { $0.isActive && $0.bannedAt == nil } ?? false
        let matches = try await context.services.passwords.verify(password, hash: usable ? user?.passwordHash : nil)
        guard matches, let user else { throw ZayavkaError.unauthenticated }
        succeeded = true
        // Only the right password learns of a ban: a stranger cannot probe who is banned.
        if user.role == Role.customer.rawValue, let id = user.id,
           let ban = try await context.services.bans.match(userID: id, email: user.email, now: context.now, context.sql) {
            BanMetrics.signIn.increment()
            throw ZayavkaError.banned(until: ban.endsAt)
        }
        return user
    }

    static func issueToken(_ input: TokenRequest, context: ServiceContext) async throws -> TokenCreated {
        let user = try await verifyPassword(email: input.email, password: input.password, context: context)
        let now = context.now
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
        try await context.write { db in try await record.create(on: db) }
        return TokenCreated(token: token, info: TokenDTO(record), user: UserDTO(user))
    }

    /// The viewer's tokens; with `all`, an admin's view of everyone's.
    static func listTokens(all: Bool, context: ServiceContext) async throws -> ListOf<TokenDTO> {
        let viewer = try context.viewer
        var query = APITokenRecord.query(on: context.database).sort(\.$id)
        if !(all && viewer.role.can(.manageAllTokens)) { query = query.filter(\.$userID == viewer.userID) }
        return ListOf(items: try await query.all().map(TokenDTO.init), nextCursor: nil)
    }

    static func revokeToken(id: Int, context: ServiceContext) async throws -> HTTPStatus {
        let viewer = try context.viewer
        guard let token = try await APITokenRecord.find(id, on: context.database),
              token.userID == viewer.userID || viewer.role.can(.manageAllTokens)
        else { throw ZayavkaError.notFound(entity: "token", id: String(id)) }
        if token.revokedAt == nil {
            token.revokedAt = context.now
            try await context.write { db in try await token.update(on: db) }
        }
        context.services.tokens.forget(tokenID: id)
        return .noContent
    }

    // MARK: Users

    /// Who a user list shows: any of role, organization and exact email.
    struct Filter: Sendable {
        var role: String?
        var organizationID: Int?
        var email: String?
    }

    static func list(_ filter: Filter, page: PageRequest, context: ServiceContext) async throws -> ListOf<UserDTO> {
        try context.require(.readDirectory)
        var query = UserRecord.query(on: context.database).sort(\.$id)
        if let role = filter.role { query = query.filter(\.$role == role) }
        if let org = filter.organizationID { query = query.filter(\.$organizationID == org) }
        if let email = filter.email { query = query.filter(\.$email == email.lowercased()) }
        return try await IDPage.fetch(page) { after, count in
            let calendars = try await calendarKeys(context)
            return try await (after.map { query.copy().filter(\.$id > $0) } ?? query).limit(count).all()
                .map { ($0.id!, UserDTO($0, calendars: calendars)) }
        }
    }

    static func get(id: Int, context: ServiceContext) async throws -> UserDTO {
        let viewer = try context.viewer
        guard viewer.userID == id || viewer.role.can(.readDirectory), let user = try await UserRecord.find(id, on: context.database) else {
            throw ZayavkaError.notFound(entity: "user", id: String(id))
        }
        return UserDTO(user, calendars: try await calendarKeys(context))
    }

    static func calendarKeys(_ context: ServiceContext) async throws -> [Int: String] {
        var keys: [Int: String] = [:]
        for row in try await context.sql.raw("SELECT id, key FROM business_calendars").all() {
            keys[try row.decode(column: "id", as: Int.self)] = try row.decode(column: "key", as: String.self)
        }
        return keys
    }

    /// The calendar a person is given: a key that must exist, or null for the default one.
    private static func calendarID(_ input: UserInput, context: ServiceContext, errors: inout [FieldError]) async throws -> Int?? {
        guard let choice = input.calendar else { return nil }
        guard let key = choice else { return .some(nil) }
        guard let id = try await CalendarStore.id(key: key, on: context.sql) else {
            errors.append(FieldError("calendar", .unknownValue))
            return nil
        }
        return .some(id)
    }

    /// Admins create anyone; other staff create customers (for phone and walk-in requests).
    static func create(_ input: UserInput, context: ServiceContext) async throws -> UserDTO {
        let viewer = try context.viewer
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
        errors += try await checkCommon(input, context: context)
        let calendar = try await calendarID(input, context: context, errors: &errors)
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        if try await UserRecord.query(on: context.database).filter(\.$email == email).count() > 0 {
            throw ZayavkaError.conflict(field: "email", value: email)
        }
        let user = UserRecord(email: email, name: name, role: role, locale: input.locale ?? context.services.configuration.defaultLanguage,
                              timeZone: input.timeZone ?? "Europe/Moscow",
                              phone: (input.phone ?? nil).flatMap { PhoneNumber.normalize($0) ?? $0 },
                              organizationID: input.organizationId ?? nil)
        if let password = input.password { user.passwordHash = try await context.services.passwords.hash(password) }
        if let calendar { user.calendarID = calendar }
        do {
            try await context.write { db in
                try await user.create(on: db)
                try await DirectoryIndex.refresh(users: [user.id!], on: db as! any SQLDatabase)
            }
        } catch where UniqueViolation.matches(error) {
            // Someone created the same address between the check above and this insert (another request or instance).
            throw ZayavkaError.conflict(field: "email", value: email)
        }
        return UserDTO(user, calendars: try await calendarKeys(context))
    }

    static func update(id: Int, _ input: UserInput, context: ServiceContext) async throws -> UserDTO {
        let viewer = try context.viewer
        let isSelf = viewer.userID == id
        guard isSelf || viewer.role.can(.manageUsers), let user = try await UserRecord.find(id, on: context.database) else {
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
        errors += try await checkCommon(input, context: context)
        let calendar = try await calendarID(input, context: context, errors: &errors)
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
            guard user.passwordHash != nil, try await context.services.passwords.verify(current, hash: user.passwordHash) else {
                throw ZayavkaError.validation(errors + [FieldError("current_password", .invalid)])
            }
            currentPasswordChecked = true
        }
        var newEmail: String?
        if let email = input.email?.trimmingCharacters(in: .whitespaces).lowercased(), email != user.email {
            if !isPlausibleEmail(email) { errors.append(FieldError("email", .invalid)) } else { newEmail = email }
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        if let newEmail, try await UserRecord.query(on: context.database).filter(\.$email == newEmail).count() > 0 {
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
        if let password = input.password { user.passwordHash = try await context.services.passwords.hash(password) }
        let kept = currentPasswordChecked ? context.credential : nil
        let keepSession: Int? = if case .webSession(let id) = kept { id } else { nil }
        let keepToken: String? = if case .token(let hash) = kept { hash } else { nil }
        try await context.write { db in
            try await user.update(on: db)
            try await DirectoryIndex.refresh(users: [id], on: db as! any SQLDatabase)
            if passwordChanged {
                try await Credentials.endSessions(userID: id, keepSessionID: keepSession, keepTokenHash: keepToken, now: context.now, on: db as! any SQLDatabase)
            }
        }
        context.services.tokens.forget(userID: id)
        // Whether anyone is on shift decides if the widget offers a chat: this instance knows at once, the others within 2 s.
        if input.onShift != nil || input.isActive != nil { context.services.chatAvailability.invalidate() }
        return UserDTO(user, calendars: try await calendarKeys(context))
    }

    private static func checkCommon(_ input: UserInput, context: ServiceContext) async throws -> [FieldError] {
        var errors: [FieldError] = []
        if let zone = input.timeZone, !validTimeZone(zone) { errors.append(FieldError("time_zone", .invalid)) }
        if let password = input.password, password.count < 8 { errors.append(FieldError("password", .invalid, "8+")) }
        if let password = input.password, password.isOver(FieldLimits.password) { errors.append(FieldError("password", .tooLong, String(FieldLimits.password))) }
        if let phone = input.phone ?? nil, let error = TextInput.check(phone, field: "phone", maxCharacters: FieldLimits.phone, multiline: false) { errors.append(error) }
        if let zone = input.timeZone, zone.utf8.count > 100 { errors.append(FieldError("time_zone", .invalid)) }
        if let org = input.organizationId ?? nil, try await OrganizationRecord.find(org, on: context.database) == nil {
            errors.append(FieldError("organization_id", .unknownValue))
        }
        return errors
    }
}
