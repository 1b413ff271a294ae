import Foundation
import NIOSSL
import SQLKit
import Vapor
import ZayavkaCore
import ZayavkaMail

/// Support addresses and their mailboxes (issue 21): admins add, change, test and remove them.
enum MailboxService {
    static let securities = ["tls", "starttls"]
    /// `none` only for a server on this machine (a local Postfix): checked below.
    static let smtpSecurities = ["tls", "starttls", "none"]
    static let loopback: Set<String> = ["127.0.0.1", "localhost", "::1"]
    static let afterImports = ["seen", "move", "delete"]

    static func requireAdmin(_ context: ServiceContext) throws {
        guard try context.viewer.role.can(.manageConfiguration) else { throw ZayavkaError.forbidden(reason: "admins manage mailboxes") }
    }

    static func rows(on sql: any SQLDatabase) async throws -> [MailboxRow] {
        try await sql.raw("SELECT \(unsafeRaw: MailboxRow.columns) FROM mailboxes ORDER BY address").all(decoding: MailboxRow.self)
    }

    static func row(_ id: Int, on sql: any SQLDatabase) async throws -> MailboxRow {
        guard let row = try await sql.raw("SELECT \(unsafeRaw: MailboxRow.columns) FROM mailboxes WHERE id = \(bind: id)").first(decoding: MailboxRow.self) else {
            throw ZayavkaError.notFound(entity: "mailbox", id: String(id))
        }
        return row
    }

    static func list(context: ServiceContext) async throws -> [MailboxDTO] {
        try requireAdmin(context)
        return try await rows(on: context.sql).map { dto($0, now: context.now) }
    }

    static func get(_ id: Int, context: ServiceContext) async throws -> MailboxDTO {
        try requireAdmin(context)
        return dto(try await row(id, on: context.sql), now: context.now)
    }

    static func dto(_ r: MailboxRow, now: Date) -> MailboxDTO {
        MailboxDTO(
            id: r.id, address: r.address, senderName: r.sender_name, signature: r.signature, groupId: r.group_id, language: r.language,
            enabled: r.enabled, imapHost: r.imap_host, imapPort: r.imap_port, imapSecurity: r.imap_security, imapUser: r.imap_user,
            hasImapPassword: r.imap_password != nil, imapCaPem: r.imap_ca_pem, folder: r.folder, afterImport: r.after_import,
            moveFolder: r.move_folder, smtpHost: r.smtp_host, smtpPort: r.smtp_port, smtpSecurity: r.smtp_security, smtpUser: r.smtp_user,
            hasSmtpPassword: r.smtp_password != nil, saveSent: r.save_sent, sentFolder: r.sent_folder,
            state: MailboxStateDTO(uidValidity: r.uid_validity, lastUid: r.last_uid, imported: r.imported,
                                   heldBy: (r.lease_until ?? .distantPast) > now ? r.lease_owner : nil,
                                   lastCheckedAt: r.last_checked_at, lastImportedAt: r.last_imported_at, lastError: r.last_error,
                                   lastErrorStep: r.last_error_step, lastErrorAt: r.last_error_at),
            createdAt: r.created_at, updatedAt: r.updated_at)
    }

    /// The settings after applying `input` to `existing` (or the defaults), checked all at once.
    private struct Settings: Sendable {
        var address = ""
        var senderName = "Поддержка"
        var signature = ""
        var groupID: Int?
        var language: String?
        var enabled = true
        var imapHost: String?
        var imapPort = 993
        var imapSecurity = "tls"
        var imapUser = ""
        var imapPassword: String?
        var imapCaPEM: String?
        var folder = "INBOX"
        var afterImport = "seen"
        var moveFolder: String?
        var smtpHost: String?
        var smtpPort = 465
        var smtpSecurity = "tls"
        var smtpUser = ""
        var smtpPassword: String?
        var saveSent = false
        var sentFolder = "Sent"
    }

    private static func host(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= 253 && text.unicodeScalars.allSatisfy { ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) || $0 == "-" || $0 == "." || $0 == ":" }
    }

    /// Creates (`id` nil) or changes a mailbox; returns it.
    static func save(id: Int?, _ input: MailboxInput, context: ServiceContext) async throws -> MailboxDTO {
        try requireAdmin(context)
        let sql = context.sql
        var existing: MailboxRow?
        if let id { existing = try await row(id, on: sql) }
        var s = Settings()
        if let e = existing {
            s = Settings(address: e.address, senderName: e.sender_name, signature: e.signature, groupID: e.group_id, language: e.language,
                         enabled: e.enabled, imapHost: e.imap_host, imapPort: e.imap_port, imapSecurity: e.imap_security, imapUser: e.imap_user,
                         imapPassword: nil, imapCaPEM: e.imap_ca_pem, folder: e.folder, afterImport: e.after_import, moveFolder: e.move_folder,
                         smtpHost: e.smtp_host, smtpPort: e.smtp_port, smtpSecurity: e.smtp_security, smtpUser: e.smtp_user,
                         smtpPassword: nil, saveSent: e.save_sent, sentFolder: e.sent_folder)
        }
        var errors: [FieldError] = []
        func text(_ value: String??, _ field: String, max: Int, multiline: Bool = false) -> String?? {
            guard let value else { return nil }
            guard let value else { return .some(nil) }
            let cleaned = multiline ? value.replacingOccurrences(of: "\r\n", with: "\n") : value.trimmingCharacters(in: .whitespaces)
            if cleaned.isOver(max) { errors.append(FieldError(field, .tooLong, String(max))) }
            if cleaned.unicodeScalars.contains(where: { $0.value == 0 || (!multiline && ($0.value < 0x20 || $0.value == 0x7F)) }) {
                errors.append(FieldError(field, .controlCharacters))
            }
            return .some(cleaned)
        }
        if let v = text(input.address, "address", max: 254) { s.address = (v ?? "").lowercased() }
        if let v = text(input.senderName, "sender_name", max: 200) { s.senderName = v ?? "" }
        if let v = text(input.signature, "signature", max: 2000, multiline: true) { s.signature = v ?? "" }
        if let v = input.groupId { s.groupID = v }
        if let v = text(input.language, "language", max: 2) { s.language = v.flatMap { $0.isEmpty ? nil : $0 } }
        if let v = input.enabled { s.enabled = v ?? true }
        if let v = text(input.imapHost, "imap_host", max: 253) { s.imapHost = v.flatMap { $0.isEmpty ? nil : $0.lowercased() } }
        if let v = text(input.imapSecurity, "imap_security", max: 20) { s.imapSecurity = (v ?? "tls").lowercased() }
        if let v = input.imapPort { s.imapPort = v ?? (s.imapSecurity == "tls" ? 993 : 143) } else if existing == nil {
            s.imapPort = s.imapSecurity == "tls" ? 993 : 143
        }
        if let v = text(input.imapUser, "imap_user", max: 254) { s.imapUser = v ?? "" }
        if let v = input.imapPassword, let value = v {
            if value.isOver(1000) { errors.append(FieldError("imap_password", .tooLong, "1000")) }
            s.imapPassword = value
        }
        if let v = text(input.imapCaPem, "imap_ca_pem", max: 65_536, multiline: true) { s.imapCaPEM = v.flatMap { $0.trimmed.isEmpty ? nil : $0 } }
        if let v = text(input.folder, "folder", max: 200) { s.folder = v ?? "INBOX" }
        if let v = text(input.afterImport, "after_import", max: 20) { s.afterImport = (v ?? "seen").lowercased() }
        if let v = text(input.moveFolder, "move_folder", max: 200) { s.moveFolder = v.flatMap { $0.isEmpty ? nil : $0 } }
        if let v = text(input.smtpHost, "smtp_host", max: 253) { s.smtpHost = v.flatMap { $0.isEmpty ? nil : $0.lowercased() } }
        if let v = text(input.smtpSecurity, "smtp_security", max: 20) { s.smtpSecurity = (v ?? "tls").lowercased() }
        if let v = input.smtpPort { s.smtpPort = v ?? (s.smtpSecurity == "tls" ? 465 : 587) } else if existing == nil {
            s.smtpPort = s.smtpSecurity == "tls" ? 465 : 587
        }
        if let v = text(input.smtpUser, "smtp_user", max: 254) { s.smtpUser = v ?? "" }
        if let v = input.smtpPassword, let value = v {
            if value.isOver(1000) { errors.append(FieldError("smtp_password", .tooLong, "1000")) }
            s.smtpPassword = value
        }
        if let v = input.saveSent { s.saveSent = v ?? false }
        if let v = text(input.sentFolder, "sent_folder", max: 200) { s.sentFolder = v ?? "Sent" }

        if s.address.isEmpty { errors.append(FieldError("address", .required)) } else if !EmailAddress.isValid(s.address) {
            errors.append(FieldError("address", .invalid, "name@example.ru"))
        }
        if s.senderName.isEmpty { errors.append(FieldError("sender_name", .required)) }
        if let language = s.language, Language(rawValue: language) == nil { errors.append(FieldError("language", .unknownValue, "ru, en")) }
        if let host = s.imapHost {
            if !Self.host(host) { errors.append(FieldError("imap_host", .invalid, "imap.example.ru")) }
            if s.imapUser.isEmpty { errors.append(FieldError("imap_user", .required)) }
            if s.imapPassword == nil && existing?.imap_password == nil { errors.append(FieldError("imap_password", .required)) }
        }
        if !(1...65535).contains(s.imapPort) { errors.append(FieldError("imap_port", .outOfRange, "1…65535")) }
        if !securities.contains(s.imapSecurity) { errors.append(FieldError("imap_security", .unknownValue, securities.joined(separator: ", "))) }
        if let pem = s.imapCaPEM, (try? NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)))?.isEmpty ?? true {
            errors.append(FieldError("imap_ca_pem", .invalid, "PEM"))
        }
        if s.folder.isEmpty { errors.append(FieldError("folder", .required)) }
        if !afterImports.contains(s.afterImport) { errors.append(FieldError("after_import", .unknownValue, afterImports.joined(separator: ", "))) }
        if s.afterImport == "move" {
            if s.moveFolder == nil { errors.append(FieldError("move_folder", .required)) } else if s.moveFolder?.lowercased() == s.folder.lowercased() {
                errors.append(FieldError("move_folder", .invalid, "≠ folder"))
            }
        }
        if let host = s.smtpHost, !Self.host(host) { errors.append(FieldError("smtp_host", .invalid, "smtp.example.ru")) }
        if !(1...65535).contains(s.smtpPort) { errors.append(FieldError("smtp_port", .outOfRange, "1…65535")) }
        if !smtpSecurities.contains(s.smtpSecurity) { errors.append(FieldError("smtp_security", .unknownValue, smtpSecurities.joined(separator: ", "))) }
        if s.smtpSecurity == "none", let host = s.smtpHost, !loopback.contains(host) {
            errors.append(FieldError("smtp_security", .notAllowed, "none: 127.0.0.1 only"))
        }
        if s.saveSent && s.imapHost == nil { errors.append(FieldError("save_sent", .notAllowed, "imap_host")) }
        if s.sentFolder.isEmpty { errors.append(FieldError("sent_folder", .required)) }
        if let group = s.groupID,
           try await sql.raw("SELECT id FROM support_groups WHERE id = \(bind: group)").first() == nil {
            errors.append(FieldError("group_id", .unknownValue, String(group)))
        }
        if !s.address.isEmpty,
           let other = try await sql.raw("SELECT id FROM mailboxes WHERE address = \(bind: s.address)").first()?.decode(column: "id", as: Int.self),
           other != id {
            errors.append(FieldError("address", .notAllowed, "already a support address"))
        }
        var sealedIMAP: String?
        var sealedSMTP: String?
        do {
            sealedIMAP = try s.imapPassword.map { try MailboxSecrets.seal($0, configuration: context.services.configuration) }
            sealedSMTP = try s.smtpPassword.map { try MailboxSecrets.seal($0, configuration: context.services.configuration) }
        } catch {
            errors.append(FieldError(s.imapPassword != nil ? "imap_password" : "smtp_password", .notAllowed, "ZAYAVKA_SECRET_KEY"))
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }

        let now = context.now
        let actor = try context.viewer.userID
        let f = s, imapSealed = sealedIMAP, smtpSealed = sealedSMTP, previous = existing
        // A new host, user or folder is a new mailbox to the fetcher: it starts from the beginning
        // (Message-IDs keep what was imported before from coming back as tickets).
        var resetPosition = true
        if let previous { resetPosition = previous.imap_host != f.imapHost || previous.imap_user != f.imapUser || previous.folder != f.folder }
        let reset = resetPosition
        let savedID: Int = try await context.write { db in
            let sql = db as! any SQLDatabase
            let id: Int
            if let existingID = previous?.id {
                try await sql.raw("""
                    UPDATE mailboxes SET address = \(bind: f.address), sender_name = \(bind: f.senderName), signature = \(bind: f.signature),
                           group_id = \(bind: f.groupID), language = \(bind: f.language), enabled = \(bind: f.enabled),
                           imap_host = \(bind: f.imapHost), imap_port = \(bind: f.imapPort), imap_security = \(bind: f.imapSecurity),
                           imap_user = \(bind: f.imapUser), imap_password = COALESCE(\(bind: imapSealed), imap_password),
                           imap_ca_pem = \(bind: f.imapCaPEM), folder = \(bind: f.folder), after_import = \(bind: f.afterImport),
                           move_folder = \(bind: f.moveFolder), smtp_host = \(bind: f.smtpHost), smtp_port = \(bind: f.smtpPort),
                           smtp_security = \(bind: f.smtpSecurity), smtp_user = \(bind: f.smtpUser),
                           smtp_password = COALESCE(\(bind: smtpSealed), smtp_password), save_sent = \(bind: f.saveSent),
                           sent_folder = \(bind: f.sentFolder), updated_at = \(bind: now), last_error = NULL, last_error_step = NULL
                    WHERE id = \(bind: existingID)
                    """).run()
                if reset {
                    try await sql.raw("UPDATE mailboxes SET uid_validity = 0, last_uid = 0 WHERE id = \(bind: existingID)").run()
                }
                id = existingID
            } else {
                id = try await sql.raw("""
                    INSERT INTO mailboxes (address, sender_name, signature, group_id, language, enabled, imap_host, imap_port, imap_security,
                        imap_user, imap_password, imap_ca_pem, folder, after_import, move_folder, smtp_host, smtp_port, smtp_security, smtp_user,
                        smtp_password, save_sent, sent_folder, uid_validity, last_uid, imported, created_at, updated_at)
                    VALUES (\(bind: f.address), \(bind: f.senderName), \(bind: f.signature), \(bind: f.groupID), \(bind: f.language), \(bind: f.enabled),
                        \(bind: f.imapHost), \(bind: f.imapPort), \(bind: f.imapSecurity), \(bind: f.imapUser), \(bind: imapSealed), \(bind: f.imapCaPEM),
                        \(bind: f.folder), \(bind: f.afterImport), \(bind: f.moveFolder), \(bind: f.smtpHost), \(bind: f.smtpPort), \(bind: f.smtpSecurity),
                        \(bind: f.smtpUser), \(bind: smtpSealed), \(bind: f.saveSent), \(bind: f.sentFolder), 0, 0, 0, \(bind: now), \(bind: now))
                    RETURNING id
                    """).first()!.decode(column: "id", as: Int.self)
            }
            try await AuditEvents.record(previous == nil ? "mailbox_added" : "mailbox_changed", actor: actor, subjectUserID: nil,
                                         reason: f.address, details: ["mailbox_id": id], at: now, on: sql)
            return id
        }
        context.services.mailboxes.invalidate()
        MailWorker.poke(context.services)
        return dto(try await row(savedID, on: sql), now: now)
    }

    static func delete(_ id: Int, context: ServiceContext) async throws -> HTTPStatus {
        try requireAdmin(context)
        let existing = try await row(id, on: context.sql)
        let actor = try context.viewer.userID
        let now = context.now
        try await context.write { db in
            let sql = db as! any SQLDatabase
            // Tickets that came in on it answer from the desk's address from now on; queued mail goes by the desk's relay.
            try await sql.raw("DELETE FROM ticket_mailboxes WHERE mailbox_id = \(bind: id)").run()
            try await sql.raw("UPDATE mail_outbox SET mailbox_id = NULL WHERE mailbox_id = \(bind: id)").run()
            try await sql.raw("DELETE FROM mailboxes WHERE id = \(bind: id)").run()
            try await AuditEvents.record("mailbox_removed", actor: actor, subjectUserID: nil, reason: existing.address,
                                         details: ["mailbox_id": id], at: now, on: sql)
        }
        context.services.mailboxes.invalidate()
        return .noContent
    }

    /// Connects to the mailbox as the fetcher would and says what worked and what did not.
    static func test(_ id: Int, context: ServiceContext) async throws -> MailboxTestDTO {
        try requireAdmin(context)
        let row = try await row(id, on: context.sql)
        let language = context.language
        func t(_ ru: String, _ en: String) -> String { language == .ru ? ru : en }
        let server: IMAPServer
        do {
            guard let found = try row.imapServer(context.services.configuration) else {
                return MailboxTestDTO(ok: false, step: "imap_host", message: t("У адреса не указан IMAP-сервер: почта приходит только на SMTP/LMTP-приёмник.",
                                                                                 "No IMAP server is set: mail for this address comes by the SMTP/LMTP listener only."),
                                      serverText: nil, messages: nil, capabilities: [])
            }
            server = found
        } catch {
            return MailboxTestDTO(ok: false, step: "password", message: t("Сохранённый пароль не расшифровывается: проверьте ZAYAVKA_SECRET_KEY или введите пароль заново.",
                                                                            "The stored password cannot be decrypted: check ZAYAVKA_SECRET_KEY or enter the password again."),
                                  serverText: nil, messages: nil, capabilities: [])
        }
        do {
            let folder = row.folder
            let (state, capabilities) = try await IMAPClient.withSession(server, group: context.application.eventLoopGroup, timeout: .seconds(10)) { session in
                (try await session.examine(folder), session.capabilities.sorted())
            }
            return MailboxTestDTO(ok: true, step: nil,
                                  message: t("Подключение работает: вход выполнен, в папке «\(folder)» писем: \(state.exists).",
                                             "The connection works: signed in, \(state.exists) messages in \(folder)."),
                                  serverText: nil, messages: state.exists, capabilities: capabilities)
        } catch let error as IMAPError {
            return MailboxTestDTO(ok: false, step: error.step.rawValue, message: explain(error, row: row, language: language),
                                  serverText: error.serverText, messages: nil, capabilities: [])
        }
    }

    /// A failure in words an admin can act on.
    static func explain(_ error: IMAPError, row: MailboxRow, language: Language) -> String {
        explain(step: error.step.rawValue, host: row.imap_host ?? "", port: row.imap_port, folder: row.folder,
                certificate: error.message.contains("certificate"), language: language)
    }

    /// The same from a stored step (`last_error_step`), for the mailbox's page.
    static func explain(step: String, host: String, port: Int, folder: String, certificate: Bool, language: Language) -> String {
        func t(_ ru: String, _ en: String) -> String { language == .ru ? ru : en }
        switch step {
        case "dns": return t("Имя сервера «\(host)» не находится в DNS: проверьте адрес сервера.", "The server name \(host) is not found in DNS: check the server address.")
        case "connect": return t("Сервер \(host):\(port) не отвечает: проверьте адрес, порт и доступ из сети.",
                                 "Nothing answers at \(host):\(port): check the address, the port and the network.")
        case "tls": return certificate
            ? t("Сертификат сервера не заслуживает доверия: нужен сертификат от известного центра или корневой сертификат вашей компании в настройках.",
                "The server's certificate is not trusted: it needs one from a known authority, or your company's root certificate in the settings.")
            : t("Не удалось установить защищённое соединение (TLS): проверьте режим (TLS или STARTTLS) и порт.",
                "The secure connection (TLS) failed: check the mode (TLS or STARTTLS) and the port.")
        case "login": return t("Сервер не принял имя пользователя или пароль.", "The server refused the user name or password.")
        case "folder": return t("Папка «\(folder)» не открывается: проверьте её имя.", "The folder \(folder) cannot be opened: check its name.")
        case "timeout": return t("Сервер перестал отвечать.", "The server stopped answering.")
        case "password": return t("Сохранённый пароль не расшифровывается: проверьте ZAYAVKA_SECRET_KEY или введите пароль заново.",
                                  "The stored password cannot be decrypted: check ZAYAVKA_SECRET_KEY or enter the password again.")
        default: return t("Сервер отказал в команде или нарушил протокол.", "The server refused a command or broke the protocol.")
        }
    }
}
