import Crypto
import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore
import ZayavkaMail

/// Who wrote: an existing person, or a new customer registered from the From header (SPEC A1),
/// placed in the organization whose email domain matches, and sent a link to set a password
/// (which also confirms the address). No link goes to automatic senders.
enum MailPeople {
    private struct DomainsRow: Decodable {
        let id: Int
        let email_domains: String?
    }

    /// A sender with an account.
    enum Known: Sendable {
        case active(SignedIn)
        /// Inactive or banned: their mail is ignored.
        case blocked
    }

    /// The sender's account, created when there is none (`created`). A new customer gets no mail of
    /// their own here: the acknowledgement of their ticket carries the set-password link, and a
    /// message that only adds to a ticket gets the account mail from `sendAccountMail`.
    static func resolve(_ sender: MailAddress, message: MailMessage, language preferred: Language? = nil, app: Application) async throws -> (known: Known, created: Bool) {
        let sql = app.db as! any SQLDatabase
        let defaultLanguage = app.services.configuration.defaultLanguage
        if let existing = try await find(sender.address, sql: sql, defaultLanguage: defaultLanguage) { return (existing, false) }
        var name = TextInput.sanitize(sender.name, multiline: false).trimmed
        if name.isEmpty { name = sender.localPart }
        let displayName = String(name.prefix(200))
        let cyrillic = (message.subject + message.newText.prefix(500)).unicodeScalars.contains { (0x0400...0x04FF).contains($0.value) }
        // The support address's language when it has one (`buh@` writes Russian), else the message's.
        let language: Language = preferred ?? (cyrillic ? .ru : (message.subject.isEmpty ? defaultLanguage : .en))
        let organizationID = try await organization(forDomain: sender.domain, listed: app.services.emailDomainsListed, sql: sql)
        try await app.services.customers.create(
            .init(email: sender.address, name: displayName, language: language, organizationID: organizationID, sendLink: false),
            services: app.services, on: app.db)
        guard let known = try await find(sender.address, sql: sql, defaultLanguage: defaultLanguage) else {
            throw Abort(.internalServerError, reason: "the new customer vanished")
        }
        return (known, true)
    }

    /// The account mail (a link to set a password) for a customer created by a message that made no
    /// ticket of its own, so no acknowledgement will carry the link.
    static func sendAccountMail(to customer: SignedIn, email: String, app: Application) async throws {
        let services = app.services
        try await services.write(on: app.db) { db in
            let sql = db as! any SQLDatabase
            let token = try await PasswordTokens.issue(userID: customer.viewer.userID, purpose: .account, on: sql)
            try await Outbox.enqueueAccountMail(.accountCreated, to: MailAddress(name: customer.name, address: email),
                                                userID: customer.viewer.userID, language: customer.language, token: token,
                                                services: services, on: sql)
        }
        MailWorker.poke(services)
    }

    static func find(_ email: String, sql: any SQLDatabase, defaultLanguage: Language) async throws -> Known? {
        guard let row = try await sql.raw("""
            SELECT \(unsafeRaw: SignedIn.columns)
            FROM users u LEFT JOIN organizations o ON o.id = u.organization_id WHERE u.email = \(bind: email.lowercased())
            """).first() else { return nil }
        // `from` gives nil for an inactive or banned account.
        return try SignedIn.from(row, defaultLanguage: defaultLanguage).map(Known.active) ?? .blocked
    }

    /// The organization that lists `domain` among its email domains (one per line).
    static func organization(forDomain domain: String, listed: RefreshingCache<Bool>, sql: any SQLDatabase) async throws -> Int? {
        guard !domain.isEmpty else { return nil }
        // Most teams list no domains at all: then there is nothing to look up.
        let anyDomains = try await listed.value {
            try await sql.raw("SELECT 1 AS listed FROM organizations WHERE email_domains IS NOT NULL AND email_domains <> '' LIMIT 1").first() != nil
        }
        guard anyDomains else { return nil }
        let rows = try await sql.raw("""
            SELECT id, email_domains FROM organizations WHERE email_domains LIKE \(bind: "%" + domain + "%") ORDER BY id
            """).all(decoding: DomainsRow.self)
        for row in rows {
            let domains = (row.email_domains ?? "").split(whereSeparator: { $0 == "\n" || $0 == "," })
                .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            if domains.contains(domain.lowercased()) { return row.id }
        }
        return nil
    }
}

/// Group commit for customers registered by their first mail: those that arrive together are
/// written in one transaction (users, password links and account mails as multi-row statements).
actor CustomerBatcher {
    struct NewCustomer: Sendable {
        let email: String
        let name: String
        let language: Language
        let organizationID: Int?
        /// Send the set-a-password link (not to automatic senders).
        let sendLink: Bool
    }

    private struct Pending {
        let customer: NewCustomer
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct InsertedRow: Decodable {
        let id: Int
        let email: String
    }

    private var queue: [Pending] = []
    private var draining = false
    private let gate: WriteGate

    init(gate: WriteGate) { self.gate = gate }

    /// Creates the customer unless the address is taken by then.
    func create(_ customer: NewCustomer, services: AppServices, on db: any Database) async throws {
        try await withCheckedThrowingContinuation { continuation in
            queue.append(Pending(customer: customer, continuation: continuation))
            if !draining {
                draining = true
                Task { await self.drain(services: services, db: db) }
            }
        }
    }

    private func drain(services: AppServices, db: any Database) async {
        while !queue.isEmpty {
            let batch = Array(queue.prefix(64))
            queue.removeFirst(batch.count)
            let customers = batch.map(\.customer)
            do {
                try await gate.run {
                    try await db.transaction { db in try await Self.write(customers, services: services, on: db as! any SQLDatabase) }
                }
                for item in batch { item.continuation.resume() }
            } catch {
                for item in batch { item.continuation.resume(throwing: error) }
            }
        }
        draining = false
    }

    private static func write(_ customers: [NewCustomer], services: AppServices, on sql: any SQLDatabase) async throws {
        let now = Date()
        let rows: [SQLQueryString] = customers.map { c in
            """
            (\(bind: c.email), \(bind: c.name), 'customer', \(bind: c.language.rawValue), 'Europe/Moscow', \(bind: c.organizationID),
             \(bind: true), \(bind: now), \(bind: now))
            """
        }
        let inserted = try await sql.raw("""
            INSERT INTO users (email, name, role, locale, time_zone, organization_id, is_active, created_at, updated_at) VALUES
            """ + " " + rows.joined(separator: ", ") + " ON CONFLICT (email) DO NOTHING RETURNING id, email").all(decoding: InsertedRow.self)
        var ids: [String: Int] = [:]
        for row in inserted { ids[row.email] = row.id }
        try await DirectoryIndex.refresh(users: Array(ids.values), on: sql)
        let linked = customers.filter { $0.sendLink }.compactMap { customer in ids[customer.email].map { (customer, $0) } }
        let tokens = try await PasswordTokens.issue(for: linked.map(\.1), purpose: .account, on: sql)
        var mails: [(mail: OutgoingMail, kind: NotificationKind, ticketID: Int?, userID: Int?)] = []
        for ((customer, id), token) in zip(linked, tokens) {
            mails.append((try await Outbox.accountMail(.accountCreated, to: MailAddress(name: customer.name, address: customer.email),
                                                       language: customer.language, token: token, services: services, on: sql),
                          .accountCreated, nil, id))
        }
        try await Outbox.enqueueAll(mails, on: sql)
    }
}

/// One-time links to set a password: for a new account (confirms the address) or a reset.
/// Only a SHA-256 of the token is stored.
enum PasswordTokens {
    enum Purpose: String, Sendable {
        case account, reset
        var lifetime: TimeInterval { self == .account ? 7 * 86_400 : 2 * 3600 }
    }

    static func makeToken() -> String { "pw_" + APIToken.generate().dropFirst(3) }

    private struct HolderRow: Decodable {
        let id: Int
        let user_id: Int
        let expires_at: Date
        let used_at: Date?
        let email: String
        let name: String
        let is_active: Bool
    }

    private struct ResetRow: Decodable {
        let id: Int
        let name: String
        let locale: String
    }

    static func issue(userID: Int, purpose: Purpose, on sql: any SQLDatabase) async throws -> String {
        try await issue(for: [userID], purpose: purpose, on: sql)[0]
    }

    /// New tokens for these people, in one statement; returned in their order.
    static func issue(for userIDs: [Int], purpose: Purpose, on sql: any SQLDatabase) async throws -> [String] {
        let tokens = userIDs.map { _ in makeToken() }
        try await store(Array(zip(userIDs, tokens)), purpose: purpose, on: sql)
        return tokens
    }

    /// Stores tokens made with `makeToken` (their hashes), in one statement.
    static func store(_ tokens: [(userID: Int, token: String)], purpose: Purpose, on sql: any SQLDatabase) async throws {
        guard !tokens.isEmpty else { return }
        let now = Date()
        let rows: [SQLQueryString] = tokens.map { userID, token in
            "(\(bind: userID), \(bind: APIToken.hash(token)), \(bind: purpose.rawValue), \(bind: now), \(bind: now.addingTimeInterval(purpose.lifetime)))"
        }
        try await sql.raw("INSERT INTO password_tokens (user_id, token_hash, purpose, created_at, expires_at) VALUES " + rows.joined(separator: ", ")).run()
    }

    /// Who a live token belongs to, or nil when it is unknown, used or expired.
    static func holder(of token: String, on sql: any SQLDatabase) async throws -> (tokenID: Int, userID: Int, email: String, name: String)? {
        guard let row = try await sql.raw("""
            SELECT t.id, t.user_id, t.expires_at, t.used_at, u.email, u.name, u.is_active
            FROM password_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = \(bind: APIToken.hash(token))
            """).first(decoding: HolderRow.self) else { return nil }
        guard row.used_at == nil, row.expires_at > Date(), row.is_active else { return nil }
        return (row.id, row.user_id, row.email, row.name)
    }

    /// Sets the password, confirms the address and spends every open token of the person.
    static func consume(_ token: String, password: String, context: ServiceContext) async throws -> Int {
        guard password.count >= 8 else { throw ZayavkaError.validation([FieldError("password", .tooShort, "8")]) }
        guard password.count <= 200 else { throw ZayavkaError.validation([FieldError("password", .tooLong, "200")]) }
        guard let holder = try await holder(of: token, on: context.sql) else {
            throw ZayavkaError.validation([FieldError("token", .invalid)])
        }
        let hash = try await context.services.passwords.hash(password)
        let now = context.now
        try await context.write { db in
            let sql = db as! any SQLDatabase
            try await sql.raw("""
                UPDATE users SET password_hash = \(bind: hash), email_verified_at = COALESCE(email_verified_at, \(bind: now)), updated_at = \(bind: now)
                WHERE id = \(bind: holder.userID)
                """).run()
            try await sql.raw("UPDATE password_tokens SET used_at = \(bind: now) WHERE user_id = \(bind: holder.userID) AND used_at IS NULL").run()
            // Whoever had the old password is out: every session and token of the person ends.
            try await Credentials.endSessions(userID: holder.userID, keepSessionID: nil, keepTokenHash: nil, now: now, on: sql)
        }
        context.services.tokens.forget(userID: holder.userID)
        // The owner proved they read the mailbox: sign-in locks on the address are lifted.
        context.services.signIns.clear(email: holder.email.lowercased())
        return holder.userID
    }

    /// Sends a reset link when the address belongs to an active person; says nothing either way
    /// (no one learns which addresses have accounts). At most one link a minute per person.
    static func requestReset(email: String, context: ServiceContext) async throws {
        let sql = context.sql
        guard let row = try await sql.raw("""
            SELECT id, name, locale FROM users WHERE email = \(bind: email.lowercased().trimmingCharacters(in: .whitespaces)) AND is_active = \(bind: true)
            """).first(decoding: ResetRow.self) else { return }
        let userID = row.id
        let minuteAgo = context.now.addingTimeInterval(-60)
        if try await sql.raw("""
            SELECT 1 AS recent FROM password_tokens WHERE user_id = \(bind: userID) AND purpose = 'reset' AND created_at > \(bind: minuteAgo)
            """).first() != nil { return }
        let name = row.name
        let language = Language(rawValue: row.locale) ?? context.services.configuration.defaultLanguage
        let services = context.services
        try await context.write { db in
            let sql = db as! any SQLDatabase
            let token = try await issue(userID: userID, purpose: .reset, on: sql)
            try await Outbox.enqueueAccountMail(.passwordReset, to: MailAddress(name: name, address: email.lowercased()), userID: userID,
                                                language: language, token: token, services: services, on: sql)
        }
        MailWorker.poke(services)
    }
}
