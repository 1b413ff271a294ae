import Crypto
import Foundation
import NIOConcurrencyHelpers
import NIOSSL
import SQLKit
import Vapor
import ZayavkaCore
import ZayavkaMail
import ZayavkaMIME

/// Mailbox passwords at rest: AES-GCM with a key from `ZAYAVKA_SECRET_KEY` (its SHA-256), or on
/// SQLite without it a random key kept in `<data>/secret.key`. Stored as `v1:` + base64 of
/// nonce, ciphertext and tag; a password is never shown again once saved.
enum MailboxSecrets {
    struct NoKey: Error {}
    struct Unreadable: Error {}

    private static let fileKeys = NIOLockedValueBox<[String: SymmetricKey]>([:])

    static func key(_ configuration: AppConfiguration) throws -> SymmetricKey {
        if let secret = configuration.secretKey { return SymmetricKey(data: SHA256.hash(data: Data(secret.utf8))) }
        // Several instances on PostgreSQL must share the key: a file on one machine would not do.
        guard !configuration.usesPostgres else { throw NoKey() }
        let path = configuration.dataDirectory.appendingPathComponent("secret.key").path
        if let cached = fileKeys.withLockedValue({ $0[path] }) { return cached }
        let key: SymmetricKey
        if let data = FileManager.default.contents(atPath: path), let decoded = Data(base64Encoded: String(decoding: data, as: UTF8.self).trimmed),
           decoded.count == 32 {
            key = SymmetricKey(data: decoded)
        } else {
            key = SymmetricKey(size: .bits256)
            let text = key.withUnsafeBytes { Data($0).base64EncodedString() }
            try FileManager.default.createDirectory(at: configuration.dataDirectory, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else { throw NoKey() }
        }
        fileKeys.withLockedValue { $0[path] = key }
        return key
    }

    static func seal(_ plain: String, configuration: AppConfiguration) throws -> String {
        let box = try AES.GCM.seal(Data(plain.utf8), using: try key(configuration))
        guard let combined = box.combined else { throw Unreadable() }
        return "v1:" + combined.base64EncodedString()
    }

    static func open(_ stored: String, configuration: AppConfiguration) throws -> String {
        guard stored.hasPrefix("v1:"), let data = Data(base64Encoded: String(stored.dropFirst(3))) else { throw Unreadable() }
        do {
            let box = try AES.GCM.SealedBox(combined: data)
            return String(decoding: try AES.GCM.open(box, using: try key(configuration)), as: UTF8.self)
        } catch is NoKey { throw NoKey() } catch { throw Unreadable() }
    }
}

/// One support address and its mailbox, as stored (passwords still sealed).
struct MailboxRow: Decodable, Sendable {
    let id: Int
    let address: String
    let sender_name: String
    let signature: String
    let group_id: Int?
    let language: String?
    let enabled: Bool
    let imap_host: String?
    let imap_port: Int
    let imap_security: String
    let imap_user: String
    let imap_password: String?
    let imap_ca_pem: String?
    let folder: String
    let after_import: String
    let move_folder: String?
    let smtp_host: String?
    let smtp_port: Int
    let smtp_security: String
    let smtp_user: String
    let smtp_password: String?
    let save_sent: Bool
    let sent_folder: String
    let uid_validity: Int
    let last_uid: Int
    let lease_owner: String?
    let lease_until: Date?
    let imported: Int
    let last_checked_at: Date?
    let last_imported_at: Date?
    let last_error: String?
    let last_error_step: String?
    let last_error_at: Date?
    let created_at: Date
    let updated_at: Date

    var fetches: Bool { enabled && imap_host != nil }

    /// The IMAP server with the password opened.
    func imapServer(_ configuration: AppConfiguration) throws -> IMAPServer? {
        guard let host = imap_host else { return nil }
        let password = try imap_password.map { try MailboxSecrets.open($0, configuration: configuration) } ?? ""
        return IMAPServer(host: host, port: imap_port, security: IMAPServer.Security(rawValue: imap_security) ?? .tls,
                          username: imap_user, password: password, caPEM: imap_ca_pem)
    }

    /// The mailbox's own submission relay, or nil for the desk's.
    func relay(_ configuration: AppConfiguration) throws -> SMTPRelay? {
        guard let host = smtp_host else { return nil }
        let security: SMTPRelay.Security = switch smtp_security {
        case "tls": .tls
        case "none": .none
        default: .startTLS
        }
        let password = try smtp_password.map { try MailboxSecrets.open($0, configuration: configuration) }
        var relay = SMTPRelay(host: host, port: smtp_port, security: security, username: smtp_user.isEmpty ? nil : smtp_user,
                              password: password, heloName: configuration.mail.domain)
        relay.caFile = nil
        return relay
    }

    static let columns = """
        id, address, sender_name, signature, group_id, language, enabled, imap_host, imap_port, imap_security, imap_user, imap_password,
        imap_ca_pem, folder, after_import, move_folder, smtp_host, smtp_port, smtp_security, smtp_user, smtp_password, save_sent, sent_folder,
        uid_validity, last_uid, lease_owner, lease_until, imported, last_checked_at, last_imported_at, last_error, last_error_step,
        last_error_at, created_at, updated_at
        """
}

/// What mail intake and the outbox need about support addresses, cached for a few seconds (every
/// instance sees a change within that time; the one that made it at once).
final class MailboxDirectory: Sendable {
    struct Entry: Sendable {
        let id: Int
        let address: String
        let senderName: String
        let signature: String
        let groupID: Int?
        let language: Language?
        let sends: Bool
        let keepsCopies: Bool
    }

    private let cache = RefreshingCache<[Entry]>(ttl: 5)
    /// The addresses as last loaded, for the SMTP listener's synchronous "is this ours?".
    private let known = NIOLockedValueBox<Set<String>>([])

    func entries(_ sql: any SQLDatabase) async throws -> [Entry] {
        let entries = try await cache.value {
            try await sql.raw("SELECT id, address, sender_name, signature, group_id, language, smtp_host, save_sent FROM mailboxes WHERE enabled = \(bind: true)").all().map { row in
                Entry(id: try row.decode(column: "id", as: Int.self), address: try row.decode(column: "address", as: String.self),
                      senderName: try row.decode(column: "sender_name", as: String.self), signature: try row.decode(column: "signature", as: String.self),
                      groupID: try row.decode(column: "group_id", as: Int?.self),
                      language: try row.decode(column: "language", as: String?.self).flatMap(Language.init(rawValue:)),
                      sends: try row.decode(column: "smtp_host", as: String?.self) != nil,
                      keepsCopies: try row.decode(column: "save_sent", as: Bool.self))
            }
        }
        known.withLockedValue { $0 = Set(entries.map(\.address)) }
        return entries
    }

    func invalidate() { cache.invalidate() }

    var addresses: Set<String> { known.withLockedValue { $0 } }

    func entry(id: Int?, _ sql: any SQLDatabase) async throws -> Entry? {
        guard let id else { return nil }
        return try await entries(sql).first { $0.id == id }
    }

    /// The support address among `recipients` (their base, without +tags), first match.
    func entry(for recipients: [String], _ sql: any SQLDatabase) async throws -> Entry? {
        let all = try await entries(sql)
        guard !all.isEmpty else { return nil }
        for recipient in recipients {
            let base = MailThreading.baseAddress(recipient)
            if let found = all.first(where: { $0.address == base }) { return found }
        }
        return nil
    }
}
