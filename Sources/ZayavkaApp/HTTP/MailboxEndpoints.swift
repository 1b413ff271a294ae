import Foundation
import Vapor
import ZayavkaCore

extension API {
    /// Support addresses and hosted mailboxes (issue 21).
    static let mailboxes: [Endpoint] = [
        Endpoint(method: .GET, path: "/mailboxes", operationID: "listMailboxes", tag: "mail",
                 summary: "Support addresses and their mailboxes, with where fetching stands (admins). Passwords are never returned.",
                 authenticated: true, body: .none, query: [], responses: [(200, "MailboxList"), (403, "Error")],
                 handler: json { ListOf(items: try await MailboxService.list(context: try $0.context), nextCursor: nil) }),
        Endpoint(method: .POST, path: "/mailboxes", operationID: "createMailbox", tag: "mail",
                 summary: "Add a support address, optionally with an IMAP mailbox to fetch and an SMTP submission to send through (admins). Passwords are stored encrypted.",
                 authenticated: true, body: .json("MailboxInput"), query: [], responses: [(201, "Mailbox"), (403, "Error"), (422, "Error")],
                 handler: json(.created) { try await MailboxService.save(id: nil, try $0.content.decode(MailboxInput.self), context: try $0.context) }),
        Endpoint(method: .GET, path: "/mailboxes/{id}", operationID: "getMailbox", tag: "mail",
                 summary: "One support address and its mailbox (admins).", authenticated: true, body: .none, query: [],
                 responses: [(200, "Mailbox"), (403, "Error"), (404, "Error")],
                 handler: json { try await MailboxService.get(try $0.intParameter("id"), context: try $0.context) }),
        Endpoint(method: .PATCH, path: "/mailboxes/{id}", operationID: "updateMailbox", tag: "mail",
                 summary: "Change a support address or its mailbox (admins): absent keys keep their value, null clears it; a password is replaced only when sent.",
                 authenticated: true, body: .json("MailboxInput"), query: [], responses: [(200, "Mailbox"), (403, "Error"), (404, "Error"), (422, "Error")],
                 handler: json { try await MailboxService.save(id: try $0.intParameter("id"), try $0.content.decode(MailboxInput.self), context: try $0.context) }),
        Endpoint(method: .DELETE, path: "/mailboxes/{id}", operationID: "deleteMailbox", tag: "mail",
                 summary: "Remove a support address (admins): its tickets are answered from the desk's address from then on; received mail is kept.",
                 authenticated: true, body: .none, query: [], responses: [(204, nil), (403, "Error"), (404, "Error")],
                 handler: { req in Response(status: try await MailboxService.delete(try req.intParameter("id"), context: try req.context)) }),
        Endpoint(method: .POST, path: "/mailboxes/{id}/test", operationID: "testMailbox", tag: "mail",
                 summary: "Connect to the mailbox as the fetcher would and say what failed, by step (dns, connect, tls, login, folder), in the caller's language.",
                 authenticated: true, body: .none, query: [], responses: [(200, "MailboxTest"), (403, "Error"), (404, "Error")],
                 handler: json { try await MailboxService.test(try $0.intParameter("id"), context: try $0.context) }),
    ]
}

extension OpenAPIDocument {
    /// Issue 21: support addresses and mailboxes.
    static var mailboxSchemas: [String: JSONSchema] {
        let text = JSONSchema.string
        let fields: [(String, JSONSchema)] = [
            ("address", text), ("sender_name", text), ("signature", text), ("group_id", .nullable(.integer)),
            ("language", .nullable(.enumeration(["ru", "en"]))), ("enabled", .boolean),
            ("imap_host", .nullable(text)), ("imap_port", .integer), ("imap_security", .enumeration(MailboxService.securities)),
            ("imap_user", text), ("imap_ca_pem", .nullable(text)), ("folder", text),
            ("after_import", .enumeration(MailboxService.afterImports)), ("move_folder", .nullable(text)),
            ("smtp_host", .nullable(text)), ("smtp_port", .integer), ("smtp_security", .enumeration(MailboxService.smtpSecurities)),
            ("smtp_user", text), ("save_sent", .boolean), ("sent_folder", text),
        ]
        let steps = JSONSchema.enumeration(["dns", "connect", "tls", "login", "folder", "command", "timeout", "password", "imap_host"])
        return [
            "MailboxInput": input(fields + [("imap_password", .nullable(text)), ("smtp_password", .nullable(text))], required: []),
            "MailboxState": object([("uid_validity", .integer), ("last_uid", .integer), ("imported", .integer), ("held_by", .nullable(text)),
                                    ("last_checked_at", .nullable(.dateTime)), ("last_imported_at", .nullable(.dateTime)),
                                    ("last_error", .nullable(text)), ("last_error_step", .nullable(steps)), ("last_error_at", .nullable(.dateTime))]),
            "Mailbox": object([("id", .integer)] + fields + [("has_imap_password", .boolean), ("has_smtp_password", .boolean),
                                                             ("state", .ref("MailboxState")), ("created_at", .dateTime), ("updated_at", .dateTime)]),
            "MailboxList": list("Mailbox"),
            "MailboxTest": object([("ok", .boolean), ("step", .nullable(steps)), ("message", text), ("server_text", .nullable(text)),
                                   ("messages", .nullable(.integer)), ("capabilities", .array(text))]),
        ]
    }
}
