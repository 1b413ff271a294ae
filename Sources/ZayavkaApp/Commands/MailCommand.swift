import Foundation
import Vapor
import ZayavkaMail

/// `zayavka mail import`: reads one RFC 5322 message on standard input (an MTA's pipe transport,
/// with or without an mbox `From ` line first: Postfix `flags=F`, procmail, fetchmail), stores it and processes it through the same code as the SMTP listener. Exit 0 once stored
/// (even if it went to quarantine: it is kept); 75 (EX_TEMPFAIL) when it could not be stored, so
/// the MTA tries again.
struct MailCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "action", help: "import")
        var action: String
        @Option(name: "sender", help: "envelope sender (the MTA's $sender)")
        var sender: String?
        @Option(name: "recipient", help: "envelope recipient (the MTA's $recipient)")
        var recipient: String?
    }

    var help: String { "Mail tools: `mail import` reads one message on standard input and files it." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard signature.action == "import" else {
            context.console.error("Unknown action \(signature.action); expected: import")
            throw ExitCode(64)
        }
        let app = context.application
        let raw = Array(FileHandle.standardInput.readDataToEndOfFile())
        let limit = app.services.configuration.mail.maxMessageBytes
        guard raw.count <= limit else {
            context.console.error("The message is larger than \(limit) bytes (ZAYAVKA_MAIL_MAX_MB).")
            throw ExitCode(73) // EX_CANTCREAT: a permanent refusal the MTA bounces
        }
        let stored: MailInbox.Stored
        do {
            // The envelope sender: the MTA's, else an mbox `From ` line's (Postfix flags=F, procmail), else the headers'.
            let headers = MIMEParser.headers(of: raw)
            let sender = signature.sender ?? MBox.envelope(raw[...])?.sender
                ?? MailAddress.list(headers["Return-Path"] ?? headers["From"]).first?.address ?? ""
            stored = try await MailInbox.store(
                raw: raw, envelopeFrom: sender,
                envelopeTo: [signature.recipient ?? app.services.configuration.mail.from.address], services: app.services, db: app.db)
        } catch {
            context.console.error("Could not store the message: \(error)")
            throw ExitCode(75)
        }
        if stored.duplicate {
            context.console.print("Already received: stored as duplicate #\(stored.id).")
            return
        }
        let outcome = try await MailIntake.process(id: stored.id, app: app)
        // The notifier sends the acknowledgement through the outbox (a running server delivers it).
        _ = try? await MailNotifier.run(app: app)
        switch outcome {
        case .newTicket(let number): context.console.print("Stored as #\(stored.id): new ticket \(number).")
        case .comment: context.console.print("Stored as #\(stored.id): added to its ticket.")
        case .bounce(let ticket): context.console.print("Stored as #\(stored.id): delivery report\(ticket.map { " on ticket id \($0)" } ?? "").")
        case .ignored(let why): context.console.print("Stored as #\(stored.id): ignored (\(why)).")
        case .quarantined(let why): context.console.print("Stored as #\(stored.id): quarantined (\(why)).")
        }
    }
}
