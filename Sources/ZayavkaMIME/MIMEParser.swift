import Foundation

/// One node of a MIME tree: its headers, content type and (for leaves) the decoded body bytes.
public struct MIMEPart: Sendable {
    public var headers: MailHeaders
    public var contentType: ContentType
    public var body: [UInt8]
    public var children: [MIMEPart]
    /// A message/rfc822 part's own parsed structure.
    public var embedded: [MIMEPart]
    /// The file name on the `begin` line of a uuencoded body.
    public var uuencodedName: String? = nil

    public var disposition: (value: String, parameters: [String: String])? {
        headers["Content-Disposition"].map {
            let parsed = HeaderParameters.parse($0)
            return (parsed.value.lowercased(), parsed.parameters)
        }
    }

    public var contentID: String? {
        headers["Content-ID"].flatMap { MessageIDs.parse($0).first ?? ($0.isEmpty ? nil : $0) }
    }

    public var filename: String? {
        let name = disposition?.parameters["filename"] ?? contentType.parameters["name"]
        return name.map { EncodedWords.decode($0).trimmed }.flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// A file carried by a message: an attachment or an inline image (referenced by `cid:`).
public struct MailAttachment: Sendable, Equatable {
    public var filename: String
    public var contentType: String
    public var data: [UInt8]
    public var inline: Bool
    public var contentID: String?
}

/// What a delivery-status report says about the message it returns.
public struct MailBounce: Sendable, Equatable {
    /// The Message-ID of the message that could not be delivered.
    public var originalMessageID: String?
    /// Recipients and their status codes, as reported.
    public var failedRecipients: [String]
    public var status: String?
    public var diagnostic: String?
}

/// A parsed message: what the help desk needs of it.
public struct MailMessage: Sendable {
    public var headers: MailHeaders
    public var subject: String
    public var from: MailAddress?
    public var replyTo: [MailAddress]
    public var to: [MailAddress]
    public var cc: [MailAddress]
    public var messageID: String?
    public var inReplyTo: [String]
    public var references: [String]
    public var date: Date?
    /// The whole plain text (the text/plain part, or text made from the HTML).
    public var text: String
    /// The new text: quoted earlier messages and the signature folded away.
    public var newText: String
    /// What was folded away.
    public var quotedText: String
    /// The HTML body made safe for display, or nil when the message has none.
    public var html: String?
    public var attachments: [MailAttachment]
    /// Must not be answered automatically (RFC 3834, bulk mail, mailer daemons, reports).
    public var isAutomatic: Bool
    public var automaticReason: String?
    public var bounce: MailBounce?
    /// Whether any text had to be decoded with a fallback charset.
    public var charsetFallback: Bool
}

/// Why a message could not be parsed; it goes to quarantine with this reason.
public enum MailParseError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case noHeaders
    case noSender
    case tooDeep(limit: Int)
    case tooLarge(limit: Int)

    public var description: String {
        switch self {
        case .empty: "the message is empty"
        case .noHeaders: "the message has no header section"
        case .noSender: "the message names no sender (From, Sender, Reply-To, Return-Path)"
        case .tooDeep(let limit): "MIME parts are nested more than \(limit) levels deep"
        case .tooLarge(let limit): "the message is larger than \(limit) bytes"
        }
    }
}

/// RFC 5322 / MIME (RFC 2045–2049, 2047, 2231) parsing; no I/O, no database.
public enum MIMEParser {
    public static let maxDepth = 30

    /// Parses a whole message.
    /// `envelopeSender` is the SMTP MAIL FROM: the sender when no header names a usable one.
    /// A leading mbox `From ` line is read past (its sender is the envelope sender when none is
    /// given) and the body's `>From ` quoting undone (`MBox`).
    public static func parse(_ input: [UInt8], maxBytes: Int = 256 * 1_048_576, envelopeSender: String? = nil) throws(MailParseError) -> MailMessage {
        guard input.contains(where: { $0 != 0x20 && $0 != 0x0D && $0 != 0x0A && $0 != 0x09 }) else { throw .empty }
        guard input.count <= maxBytes else { throw .tooLarge(limit: maxBytes) }
        var data = input
        var envelopeSender = envelopeSender
        if let mbox = MBox.envelope(input[...]) {
            if envelopeSender.flatMap({ MailAddress.list($0).first }) == nil { envelopeSender = mbox.sender }
            let rest = input[mbox.start...]
            data = MBox.hasQuotedFrom(rest) ? MBox.unescape(rest) : Array(rest)
        }
        guard looksLikeHeaders(data[...]) else { throw .noHeaders }
        var root = try parsePart(data[...], depth: 0, defaultType: .textPlain, headerCharset: nil)
        // Raw 8-bit header bytes that are not UTF-8 are in the charset the message declares for its text.
        if hasRaw8bitHeaders(root), let declared = declaredCharset(root) {
            root = try parsePart(data[...], depth: 0, defaultType: .textPlain, headerCharset: declared)
        }
        let headers = root.headers
        // The envelope names the sender only of what is a message: bytes whose only header is the
        // Received line our own server added are junk, and stay in quarantine.
        let from = sender(in: headers) ?? (looksLikeMessage(headers) ? envelopeSender.flatMap { MailAddress.list($0).first } : nil)
        guard let from else { throw .noSender }

        var collector = BodyCollector(declared: declaredCharset(root))
        collector.walk(root, parentType: nil)
        var text = collector.plain.joined(separator: "\n")
        var sanitized: String?
        if let html = collector.html {
            // A part the HTML shows (cid:) is inline whatever its disposition says.
            let lowerHTML = html.lowercased()
            for index in collector.attachments.indices {
                if let cid = collector.attachments[index].contentID, lowerHTML.contains("cid:" + cid.lowercased()) {
                    collector.attachments[index].inline = true
                }
            }
            let cids = Set(collector.attachments.compactMap(\.contentID))
            sanitized = HTMLSanitizer.sanitize(html, allowCID: { cids.contains($0) })
            if text.trimmed.isEmpty { text = HTMLSanitizer.text(from: html) }
        }
        text = String(text.map { $0 == "\r\n" ? "\n" : $0 })
        while text.last == "\n" || text.last == " " { text.removeLast() }
        let folded = ReplyFolding.split(text)
        let bounce = root.contentType.mimeType == "multipart/report" ? Self.bounce(of: root) : nil
        let automatic = bounce != nil ? "delivery report" : automaticReason(headers: headers, from: from)
        return MailMessage(
            headers: headers,
            subject: headers.text("Subject").map(cleanSubject) ?? "",
            from: from,
            replyTo: MailAddress.list(headers["Reply-To"]),
            to: MailAddress.list(headers["To"]),
            cc: MailAddress.list(headers["Cc"]),
            messageID: MessageIDs.parse(headers["Message-ID"]).first,
            inReplyTo: MessageIDs.parse(headers["In-Reply-To"]),
            references: MessageIDs.parse(headers["References"]),
            date: headers["Date"].flatMap(MailDate.parse),
            text: text,
            newText: folded.new,
            quotedText: folded.quoted,
            html: sanitized,
            attachments: collector.attachments,
            isAutomatic: automatic != nil,
            automaticReason: automatic,
            bounce: bounce,
            charsetFallback: collector.fallback)
    }

    /// The first usable mailbox of From, Sender, Reply-To, Return-Path. A header that is one encoded
    /// word around the whole `Name <address>` (some mailers encode it all) is read decoded.
    static func sender(in headers: MailHeaders) -> MailAddress? {
        for name in ["From", "Sender", "Reply-To", "Return-Path"] {
            guard let raw = headers[name] else { continue }
            if let address = MailAddress.list(raw).first { return address }
            let decoded = EncodedWords.decode(raw)
            if decoded != raw, let address = MailAddress.list(decoded).first { return address }
        }
        return nil
    }

    static let messageHeaders: Set<String> = ["subject", "to", "cc", "date", "message-id", "mime-version", "content-type",
                                              "in-reply-to", "references"]

    /// Whether the sender wrote any of the fields every mail client writes.
    static func looksLikeMessage(_ headers: MailHeaders) -> Bool {
        headers.fields.contains { messageHeaders.contains($0.name.lowercased()) }
    }

    static func hasRaw8bitHeaders(_ part: MIMEPart) -> Bool {
        part.headers.hasRaw8bit || part.children.contains(where: hasRaw8bitHeaders) || part.embedded.contains(where: hasRaw8bitHeaders)
    }

    /// The charset the message declares for its text: the body's, or the first part's that names one.
    static func declaredCharset(_ part: MIMEPart) -> String? {
        if part.headers["Content-Type"] != nil, let charset = part.contentType.parameters["charset"],
           let name = Charset.canonical(charset), name != "us-ascii" {
            return name
        }
        for child in part.children { if let found = declaredCharset(child) { return found } }
        return nil
    }

    /// Only the headers, cheaply (the SMTP listener reads Message-ID before storing).
    public static func headers(of data: [UInt8]) -> MailHeaders {
        let message = data[(MBox.envelope(data[...])?.start ?? data.startIndex)...]
        let (headerEnd, _) = splitHeaderBody(message)
        return MailHeaders.parse(message[message.startIndex..<headerEnd])
    }

    static func cleanSubject(_ subject: String) -> String {
        String(subject.compactMap { $0 == "\r" ? nil : ($0 == "\n" || $0 == "\r\n") ? " " : $0 })
            .trimmed
    }

    /// The first non-empty line (after an mbox `From ` line) must be a header field (`Name: value`,
    /// RFC 5322's obsolete syntax allows spaces before the colon) for the bytes to be a message.
    public static func looksLikeHeaders(_ data: ArraySlice<UInt8>) -> Bool {
        var index = MBox.envelope(data)?.start ?? data.startIndex
        while index < data.endIndex, data[index] == 0x0D || data[index] == 0x0A { index += 1 }
        var nameLength = 0
        var spaces = false
        while index < data.endIndex {
            let byte = data[index]
            if byte == 0x3A { return nameLength > 0 }
            if byte == 0x20 || byte == 0x09 {
                guard nameLength > 0 else { return false }
                spaces = true
            } else {
                guard byte > 0x20, byte < 0x7F, !spaces else { return false }
                nameLength += 1
            }
            index += 1
        }
        return false
    }

    /// Where the header block ends and the body begins (after the first empty line).
    static func splitHeaderBody(_ data: ArraySlice<UInt8>) -> (headerEnd: Int, bodyStart: Int) {
        var index = data.startIndex
        var lineStart = index
        while index < data.endIndex {
            if data[index] == 0x0A {
                let lineLength = index - lineStart - (index > lineStart && data[index - 1] == 0x0D ? 1 : 0)
                if lineLength == 0 { return (lineStart, index + 1) }
                lineStart = index + 1
            }
            index += 1
        }
        return (data.endIndex, data.endIndex)
    }

    static func parsePart(_ data: ArraySlice<UInt8>, depth: Int, defaultType: ContentType,
                          headerCharset: String?) throws(MailParseError) -> MIMEPart {
        guard depth <= maxDepth else { throw .tooDeep(limit: maxDepth) }
        let (headerEnd, bodyStart) = splitHeaderBody(data)
        let headers = MailHeaders.parse(data[data.startIndex..<headerEnd], charset: headerCharset)
        let body = data[bodyStart..<data.endIndex]
        var type = ContentType.parse(headers["Content-Type"]) ?? defaultType
        if headers["Content-Type"] == nil, let charset = defaultType.parameters["charset"] { type.parameters["charset"] = charset }
        var part = MIMEPart(headers: headers, contentType: type, body: [], children: [], embedded: [])
        if type.type == "multipart" {
            guard let boundary = type.parameters["boundary"], !boundary.isEmpty else {
                // No boundary: nothing to split on, read it as text.
                part.contentType = .textPlain
                part.body = Array(body)
                return part
            }
            let childDefault = type.subtype == "digest" ? ContentType(type: "message", subtype: "rfc822") : .textPlain
            for section in sections(of: body, boundary: boundary) {
                part.children.append(try parsePart(section, depth: depth + 1, defaultType: childDefault, headerCharset: headerCharset))
            }
            return part
        }
        switch headers["Content-Transfer-Encoding"]?.lowercased().trimmed {
        case "x-uuencode", "uuencode", "x-uue", "uue":
            if let block = UUEncode.blocks(in: body).first {
                part.body = block.data
                part.uuencodedName = block.name
            } else {
                part.body = Array(body)
            }
        case let encoding: part.body = decodeTransfer(body, encoding: encoding)
        }
        if type.mimeType == "message/rfc822" || type.mimeType == "message/global" {
            if looksLikeHeaders(part.body[...]) {
                part.embedded = [try parsePart(part.body[...], depth: depth + 1, defaultType: .textPlain, headerCharset: nil)]
            }
        }
        return part
    }

    static func decodeTransfer(_ body: ArraySlice<UInt8>, encoding: String?) -> [UInt8] {
        switch encoding?.lowercased().trimmed {
        case "base64": Base64.decode(body)
        case "quoted-printable": QuotedPrintable.decode(body)
        default: Array(body)
        }
    }

    /// The bodies between `--boundary` lines; a missing closing boundary ends at the end of the data.
    static func sections(of body: ArraySlice<UInt8>, boundary: String) -> [ArraySlice<UInt8>] {
        let marker = Array(("--" + boundary).utf8)
        var sections: [ArraySlice<UInt8>] = []
        var currentStart: Int?
        var lineStart = body.startIndex
        var index = body.startIndex
        func isMarker(_ line: ArraySlice<UInt8>) -> (matches: Bool, closing: Bool) {
            guard line.count >= marker.count, line.prefix(marker.count).elementsEqual(marker) else { return (false, false) }
            let rest = line.dropFirst(marker.count)
            let closing = rest.starts(with: [0x2D, 0x2D])
            let tail = closing ? rest.dropFirst(2) : rest
            guard tail.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) else { return (false, false) }
            return (true, closing)
        }
        while lineStart < body.endIndex {
            index = body[lineStart...].firstIndex(of: 0x0A) ?? body.endIndex
            let line = body[lineStart..<index]
            let (matches, closing) = isMarker(line)
            if matches {
                if let start = currentStart {
                    // The CRLF before the boundary belongs to the boundary.
                    var end = lineStart
                    if end > start, body[end - 1] == 0x0A { end -= 1 }
                    if end > start, body[end - 1] == 0x0D { end -= 1 }
                    sections.append(body[start..<max(start, end)])
                }
                if closing { return sections }
                currentStart = index < body.endIndex ? index + 1 : body.endIndex
            }
            lineStart = index < body.endIndex ? index + 1 : body.endIndex
        }
        if let start = currentStart, start < body.endIndex { sections.append(body[start..<body.endIndex]) }
        return sections
    }

    // MARK: Loop protection (RFC 3834)

    static let robotLocalParts: Set<String> = ["mailer-daemon", "postmaster", "no-reply", "noreply", "do-not-reply", "donotreply",
                                               "do_not_reply", "no_reply", "bounce", "bounces", "mail-daemon"]

    /// Why the message must not be answered automatically, or nil when it may be.
    public static func automaticReason(headers: MailHeaders, from: MailAddress?) -> String? {
        if let auto = headers["Auto-Submitted"]?.lowercased().trimmed, !auto.isEmpty,
           !auto.hasPrefix("no") {
            return "Auto-Submitted: \(auto)"
        }
        if let precedence = headers["Precedence"]?.lowercased().trimmed,
           ["bulk", "junk", "list", "auto_reply"].contains(precedence) {
            return "Precedence: \(precedence)"
        }
        for name in ["X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Autogenerated", "X-AutoReply-From", "X-Mail-Autoreply"]
        where headers[name] != nil {
            return name
        }
        if headers["List-Id"] != nil || headers["List-Unsubscribe"] != nil { return "mailing list" }
        if let local = from?.localPart.lowercased(), robotLocalParts.contains(local) { return "sender \(local)" }
        return nil
    }

    // MARK: Delivery reports (RFC 3464)

    static func bounce(of root: MIMEPart) -> MailBounce? {
        guard root.contentType.parameters["report-type"]?.lowercased() == "delivery-status" else { return nil }
        var bounce = MailBounce(originalMessageID: nil, failedRecipients: [], status: nil, diagnostic: nil)
        for child in root.children {
            switch child.contentType.mimeType {
            case "message/delivery-status", "message/global-delivery-status":
                // Per-recipient fields follow the per-message block; read them as header lines.
                for block in Lines.split(child.body[...]).split(whereSeparator: { $0.isEmpty }) {
                    let blockHeaders = MailHeaders.parse(Array(block.joined(separator: [0x0D, 0x0A]))[...])
                    if let recipient = blockHeaders["Final-Recipient"] ?? blockHeaders["Original-Recipient"] {
                        bounce.failedRecipients.append(recipient.split(separator: ";").last.map { $0.trimmed } ?? recipient)
                    }
                    if let status = blockHeaders["Status"] { bounce.status = status }
                    if let diagnostic = blockHeaders["Diagnostic-Code"] { bounce.diagnostic = diagnostic }
                }
            case "message/rfc822", "message/global":
                bounce.originalMessageID = child.embedded.first.flatMap { MessageIDs.parse($0.headers["Message-ID"]).first }
                    ?? MessageIDs.parse(headers(of: child.body)["Message-ID"]).first
            case "text/rfc822-headers", "message/rfc822-headers", "text/rfc822-header":
                bounce.originalMessageID = MessageIDs.parse(headers(of: child.body + [0x0D, 0x0A, 0x0D, 0x0A])["Message-ID"]).first
            default: break
            }
        }
        return bounce
    }
}

/// Walks a MIME tree and collects the text, the HTML and the files.
struct BodyCollector {
    /// The charset the message declares anywhere: text parts that name none are read in it.
    var declared: String?
    var plain: [String] = []
    var html: String?
    var attachments: [MailAttachment] = []
    var fallback = false

    mutating func walk(_ part: MIMEPart, parentType: ContentType?) {
        let type = part.contentType
        if type.type == "multipart" {
            switch type.subtype {
            case "alternative":
                // The richest text we understand: plain for text, HTML for display.
                let plainChild = part.children.last { $0.contentType.mimeType == "text/plain" && !isAttachment($0) }
                if let plainChild { addText(plainChild) }
                for child in part.children where child.contentType.mimeType != "text/plain" || isAttachment(child) {
                    if child.contentType.mimeType == "text/html" && !isAttachment(child) {
                        html = decodeText(child)
                    } else if child.contentType.type == "multipart" {
                        var nested = BodyCollector(declared: declared)
                        nested.walk(child, parentType: type)
                        if plainChild == nil { plain += nested.plain }
                        if nested.html != nil { html = nested.html }
                        attachments += nested.attachments
                        fallback = fallback || nested.fallback
                    } else if isAttachment(child) || !child.contentType.type.hasPrefix("text") {
                        addAttachment(child, parentType: type)
                    }
                }
            case "report":
                // The human-readable part is the text; the rest are kept as files.
                for (index, child) in part.children.enumerated() {
                    if index == 0 { walk(child, parentType: type) } else { addAttachment(child, parentType: type) }
                }
            default:
                for child in part.children { walk(child, parentType: type) }
            }
            return
        }
        if (type.mimeType == "text/plain" || type.mimeType == "text/html" || type.mimeType == "text/enriched") && !isAttachment(part) {
            if type.subtype == "html" {
                if html == nil { html = decodeText(part) } else { html! += decodeText(part) }
            } else {
                addText(part)
            }
            return
        }
        addAttachment(part, parentType: parentType)
    }

    func isAttachment(_ part: MIMEPart) -> Bool {
        let disposition = part.disposition?.value
        if disposition == "attachment" { return true }
        return part.filename != nil && !(disposition == "inline" && part.contentType.type == "text")
    }

    mutating func decodeText(_ part: MIMEPart) -> String {
        let label = part.contentType.parameters["charset"]
        let decoded = label == nil ? Charset.decodeUnlabelled(part.body, declared: declared) : Charset.decode(part.body, label: label)
        if !decoded.exact { fallback = true }
        return decoded.text
    }

    mutating func addText(_ part: MIMEPart) {
        let text = decodeText(part)
        if part.contentType.subtype == "html" { html = text; return }
        // Files uuencoded into the text (old clients and scripts): attachments, cut from the text.
        let (rest, files) = UUEncode.extract(from: text)
        plain.append(rest)
        for file in files {
            attachments.append(MailAttachment(filename: FileExtension.safe(file.name), contentType: FileExtension.type(of: file.name),
                                              data: file.data, inline: false, contentID: nil))
        }
    }

    mutating func addAttachment(_ part: MIMEPart, parentType: ContentType?) {
        let type = part.contentType.mimeType
        var name = part.filename
        if name == nil, type == "message/rfc822" || type == "message/global" {
            let subject = part.embedded.first?.headers.text("Subject").map(MIMEParser.cleanSubject) ?? ""
            name = (subject.isEmpty ? "message" : String(subject.prefix(80))) + ".eml"
        }
        let cid = part.contentID
        let dispositionValue = part.disposition?.value
        let inline = dispositionValue != "attachment" && (cid != nil || (dispositionValue == "inline" && part.contentType.type == "image"))
        if name == nil, let signature = FileExtension.signatureName(for: type) {
            name = signature
        }
        if name == nil, let uuName = part.uuencodedName, !uuName.isEmpty { name = uuName }
        if name == nil {
            name = (inline ? "image" : "attachment-\(attachments.count + 1)") + "." + FileExtension.guess(for: type)
        }
        let contentType = type == "application/octet-stream" ? FileExtension.type(of: name!) : type
        attachments.append(MailAttachment(filename: FileExtension.safe(name!), contentType: contentType, data: part.body, inline: inline, contentID: cid))
    }
}

enum FileExtension {
    /// A file name that names no folder.
    static func safe(_ name: String) -> String {
        name.replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "\\", with: "_")
    }

    /// What a signature part is called when the sender gave it no name (clients show these names).
    static func signatureName(for type: String) -> String? {
        switch type {
        case "application/pgp-signature": "signature.asc"
        case "application/pkcs7-signature", "application/x-pkcs7-signature": "smime.p7s"
        case "application/pgp-keys": "public-key.asc"
        case "application/pgp-encrypted": "pgp-encrypted.asc"
        default: nil
        }
    }

    /// A content type from a file name's extension, for files that came without one.
    static func type(of name: String) -> String {
        guard let dot = name.lastIndex(of: ".") else { return "application/octet-stream" }
        switch name[name.index(after: dot)...].lowercased() {
        case "txt", "log": return "text/plain"
        case "pdf": return "application/pdf"
        case "png": return "image/png"
        case "jpg", "jpeg": return "image/jpeg"
        case "gif": return "image/gif"
        case "zip": return "application/zip"
        case "doc": return "application/msword"
        case "xls": return "application/vnd.ms-excel"
        case "docx": return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        case "xlsx": return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        case "csv": return "text/csv"
        case "xml": return "application/xml"
        case "eml": return "message/rfc822"
        case "asc", "sig": return "application/pgp-signature"
        case "p7s": return "application/pkcs7-signature"
        default: return "application/octet-stream"
        }
    }

    static func guess(for type: String) -> String {
        switch type {
        case "image/png": "png"
        case "image/jpeg", "image/jpg": "jpg"
        case "image/gif": "gif"
        case "application/pdf": "pdf"
        case "message/rfc822": "eml"
        case "text/plain": "txt"
        case "text/html": "html"
        case "message/delivery-status": "txt"
        case "text/rfc822-headers": "txt"
        default: "bin"
        }
    }
}

/// RFC 5322 dates, leniently (day name optional, seconds optional, obsolete zones), by hand:
/// a DateFormatter per message cost more than the rest of the header parsing.
public enum MailDate {
    static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    static let zones: [String: Int] = ["ut": 0, "gmt": 0, "z": 0, "utc": 0, "est": -5, "edt": -4, "cst": -6, "cdt": -5,
                                       "mst": -7, "mdt": -6, "pst": -8, "pdt": -7, "msk": 3]

    public static func parse(_ raw: String) -> Date? {
        var text = HeaderParameters.stripComments(raw)
        if let comma = text.firstIndex(of: ",") { text = String(text[text.index(after: comma)...]) }
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard parts.count >= 4, let day = Int(parts[0]), let month = months.firstIndex(of: String(parts[1].prefix(3)).lowercased()),
              var year = Int(parts[2]) else { return nil }
        if year < 50 { year += 2000 } else if year < 1000 { year += 1900 }
        let time = parts[3].split(separator: ":").compactMap { Int($0) }
        guard time.count >= 2 else { return nil }
        var offset = 0
        if parts.count >= 5 {
            let zone = parts[4]
            if let sign = zone.first, sign == "+" || sign == "-", zone.count == 5, let value = Int(zone.dropFirst()) {
                offset = (value / 100 * 3600 + value % 100 * 60) * (sign == "-" ? -1 : 1)
            } else if let hours = zones[zone.lowercased()] {
                offset = hours * 3600
            }
        }
        // Every part in its range before Calendar sees it: a Date header is whatever the sender wrote.
        let second = time.count > 2 ? time[2] : 0
        guard (1000...9999).contains(year), (0...11).contains(month), (1...31).contains(day), (0...24).contains(time[0]),
              (0...59).contains(time[1]), (0...60).contains(second) else { return nil }
        var components = DateComponents()
        components.year = year
        components.month = month + 1
        components.day = day
        components.hour = time[0]
        components.minute = time[1]
        components.second = time.count > 2 ? time[2] : 0
        components.timeZone = TimeZone(secondsFromGMT: offset)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 0)!
        return calendar.date(from: components)
    }

    /// `Sat, 21 Nov 2026 23:55:29 +0300`, in Moscow time.
    public static func format(_ date: Date) -> String {
        // Moscow time (+03:00 all year since 2014), by arithmetic: no Calendar per message.
        let seconds = Int((date.timeIntervalSince1970 + 3 * 3600).rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : -((-seconds + 86_399) / 86_400)
        let secondOfDay = seconds - days * 86_400
        // Days since 1970-01-01 to a civil date (proleptic Gregorian; H. Hinnant's algorithm, as
        // ZayavkaCore's LocalDate(daysSinceEpoch:) — this module depends on nothing, so it has its own).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let weekday = ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday (4, Sunday = 0)
        let names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(names[weekday]), \(day) \(monthNames[month - 1]) \(year) "
            + "\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) +0300"
    }
}
