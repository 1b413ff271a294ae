import Foundation
import Vapor
import ZayavkaCore

// Issue 21: support addresses and the hosted mailboxes behind them.

/// `POST /mailboxes` and `PATCH /mailboxes/{id}`: absent keys keep their value, null clears it.
/// Passwords are write-only.
struct MailboxInput: Content {
    var address: String??
    var senderName: String??
    var signature: String??
    var groupId: Int??
    var language: String??
    var enabled: Bool??
    var imapHost: String??
    var imapPort: Int??
    var imapSecurity: String??
    var imapUser: String??
    var imapPassword: String??
    var imapCaPem: String??
    var folder: String??
    var afterImport: String??
    var moveFolder: String??
    var smtpHost: String??
    var smtpPort: Int??
    var smtpSecurity: String??
    var smtpUser: String??
    var smtpPassword: String??
    var saveSent: Bool??
    var sentFolder: String??

    enum CodingKeys: String, CodingKey, CaseIterable {
        case address, signature, language, enabled, folder
        case senderName = "sender_name", groupId = "group_id", imapHost = "imap_host", imapPort = "imap_port", imapSecurity = "imap_security",
             imapUser = "imap_user", imapPassword = "imap_password", imapCaPem = "imap_ca_pem", afterImport = "after_import",
             moveFolder = "move_folder", smtpHost = "smtp_host", smtpPort = "smtp_port", smtpSecurity = "smtp_security",
             smtpUser = "smtp_user", smtpPassword = "smtp_password", saveSent = "save_sent", sentFolder = "sent_folder"
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        address = try c.patch(String.self, forKey: .address)
        senderName = try c.patch(String.self, forKey: .senderName)
        signature = try c.patch(String.self, forKey: .signature)
        groupId = try c.patch(Int.self, forKey: .groupId)
        language = try c.patch(String.self, forKey: .language)
        enabled = try c.patch(Bool.self, forKey: .enabled)
        imapHost = try c.patch(String.self, forKey: .imapHost)
        imapPort = try c.patch(Int.self, forKey: .imapPort)
        imapSecurity = try c.patch(String.self, forKey: .imapSecurity)
        imapUser = try c.patch(String.self, forKey: .imapUser)
        imapPassword = try c.patch(String.self, forKey: .imapPassword)
        imapCaPem = try c.patch(String.self, forKey: .imapCaPem)
        folder = try c.patch(String.self, forKey: .folder)
        afterImport = try c.patch(String.self, forKey: .afterImport)
        moveFolder = try c.patch(String.self, forKey: .moveFolder)
        smtpHost = try c.patch(String.self, forKey: .smtpHost)
        smtpPort = try c.patch(Int.self, forKey: .smtpPort)
        smtpSecurity = try c.patch(String.self, forKey: .smtpSecurity)
        smtpUser = try c.patch(String.self, forKey: .smtpUser)
        smtpPassword = try c.patch(String.self, forKey: .smtpPassword)
        saveSent = try c.patch(Bool.self, forKey: .saveSent)
        sentFolder = try c.patch(String.self, forKey: .sentFolder)
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(address ?? nil, forKey: .address)
    }
}

struct MailboxDTO: Content {
    let id: Int
    let address: String
    let senderName: String
    let signature: String
    let groupId: Int?
    let language: String?
    let enabled: Bool
    let imapHost: String?
    let imapPort: Int
    let imapSecurity: String
    let imapUser: String
    let hasImapPassword: Bool
    let imapCaPem: String?
    let folder: String
    let afterImport: String
    let moveFolder: String?
    let smtpHost: String?
    let smtpPort: Int
    let smtpSecurity: String
    let smtpUser: String
    let hasSmtpPassword: Bool
    let saveSent: Bool
    let sentFolder: String
    let state: MailboxStateDTO
    let createdAt: Date
    let updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, address, signature, language, enabled, folder, state
        case senderName = "sender_name", groupId = "group_id", imapHost = "imap_host", imapPort = "imap_port", imapSecurity = "imap_security",
             imapUser = "imap_user", hasImapPassword = "has_imap_password", imapCaPem = "imap_ca_pem", afterImport = "after_import",
             moveFolder = "move_folder", smtpHost = "smtp_host", smtpPort = "smtp_port", smtpSecurity = "smtp_security",
             smtpUser = "smtp_user", hasSmtpPassword = "has_smtp_password", saveSent = "save_sent", sentFolder = "sent_folder",
             createdAt = "created_at", updatedAt = "updated_at"
    }
}

/// Where fetching stands.
struct MailboxStateDTO: Content {
    let uidValidity: Int
    let lastUid: Int
    let imported: Int
    /// The instance fetching it now, while its hold lasts.
    let heldBy: String?
    let lastCheckedAt: Date?
    let lastImportedAt: Date?
    let lastError: String?
    /// dns, connect, tls, login, folder, command, timeout, password
    let lastErrorStep: String?
    let lastErrorAt: Date?

    enum CodingKeys: String, CodingKey {
        case imported
        case uidValidity = "uid_validity", lastUid = "last_uid", heldBy = "held_by", lastCheckedAt = "last_checked_at",
             lastImportedAt = "last_imported_at", lastError = "last_error", lastErrorStep = "last_error_step", lastErrorAt = "last_error_at"
    }
}

/// `POST /mailboxes/{id}/test`: what connecting to the mailbox found.
struct MailboxTestDTO: Content {
    let ok: Bool
    /// The step that failed: dns, connect, tls, login, folder, command, timeout, password.
    let step: String?
    /// What happened, in the caller's language.
    let message: String
    /// The server's own words, when it said something.
    let serverText: String?
    /// Messages in the folder, when it opened.
    let messages: Int?
    let capabilities: [String]

    enum CodingKeys: String, CodingKey {
        case ok, step, message, messages, capabilities
        case serverText = "server_text"
    }
}
