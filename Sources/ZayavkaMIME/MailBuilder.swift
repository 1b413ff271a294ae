import Foundation

/// An outgoing message, rendered to RFC 5322 bytes: UTF-8 text (quoted-printable), optional HTML
/// alternative, encoded-word headers, and the threading headers mail clients group by.
public struct OutgoingMail: Sendable, Equatable {
    public var from: MailAddress
    public var to: [MailAddress]
    public var cc: [MailAddress] = []
    public var replyTo: MailAddress?
    public var subject: String
    public var text: String
    public var html: String?
    public var messageID: String
    public var inReplyTo: String?
    public var references: [String] = []
    public var date: Date = Date()
    /// RFC 3834: `auto-replied` for acknowledgements, `auto-generated` for notifications, nil for a person's reply.
    public var autoSubmitted: String?
    public var extraHeaders: [(String, String)] = []

    public init(from: MailAddress, to: [MailAddress], subject: String, text: String, messageID: String) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.messageID = messageID
    }

    public static func == (lhs: OutgoingMail, rhs: OutgoingMail) -> Bool { lhs.render() == rhs.render() }

    /// A fresh Message-ID (without brackets) on `domain`, carrying a tag the help desk can recognise.
    private static let messageIDAlphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)

    public static func makeMessageID(tag: String, domain: String) -> String {
        let random = (0..<12).map { _ in messageIDAlphabet.randomElement()! }
        return "\(tag).\(String(decoding: random, as: UTF8.self))@\(domain)"
    }

    /// Whether every address and header value can be rendered without a control character reaching
    /// a header: the last line behind the validation at every entry point (a CR/LF in an address
    /// once produced a `Bcc:` header). The outbox refuses a message that fails this.
    public var hasSafeHeaders: Bool {
        let addresses = [from] + to + cc + (replyTo.map { [$0] } ?? [])
        guard !to.isEmpty, addresses.allSatisfy(\.isSafeForHeaders) else { return false }
        func safeToken(_ value: String) -> Bool { !value.unicodeScalars.contains { $0.value < 0x21 || $0 == "<" || $0 == ">" } }
        guard safeToken(messageID), inReplyTo.map(safeToken) ?? true, references.allSatisfy(safeToken) else { return false }
        return extraHeaders.allSatisfy { name, value in
            safeToken(name) && !name.contains(":") && !value.unicodeScalars.contains { $0 == "\r" || $0 == "\n" || $0.value == 0 }
        }
    }

    public func render() -> [UInt8] {
        var head: [String] = []
        head.append("Date: " + MailDate.format(date))
        head.append("From: " + from.header)
        head.append("To: " + to.map(\.header).joined(separator: ", "))
        if !cc.isEmpty { head.append("Cc: " + cc.map(\.header).joined(separator: ", ")) }
        if let replyTo { head.append("Reply-To: " + replyTo.header) }
        head.append("Subject: " + EncodedWords.encode(subject.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: "")))
        head.append("Message-ID: <\(messageID)>")
        if let inReplyTo { head.append("In-Reply-To: <\(inReplyTo)>") }
        if !references.isEmpty { head.append("References: " + references.map { "<\($0)>" }.joined(separator: "\r\n ")) }
        if let autoSubmitted {
            head.append("Auto-Submitted: " + autoSubmitted)
            head.append("X-Auto-Response-Suppress: All")
        }
        for (name, value) in extraHeaders { head.append("\(name): \(value)") }
        head.append("MIME-Version: 1.0")
        var body: String
        if let html {
            let boundary = "=_zy_" + messageID.prefix(while: { $0 != "@" }).replacingOccurrences(of: ".", with: "_")
            head.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
            body = "This is a multi-part message in MIME format.\r\n"
            body += "--\(boundary)\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            body += QuotedPrintable.encode(text) + "\r\n"
            body += "--\(boundary)\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
            body += QuotedPrintable.encode(html) + "\r\n"
            body += "--\(boundary)--\r\n"
        } else {
            head.append("Content-Type: text/plain; charset=utf-8")
            head.append("Content-Transfer-Encoding: quoted-printable")
            body = QuotedPrintable.encode(text) + "\r\n"
        }
        return Array((head.joined(separator: "\r\n") + "\r\n\r\n" + body).utf8)
    }
}
