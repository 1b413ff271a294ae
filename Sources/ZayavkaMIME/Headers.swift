import Foundation

/// One header field, unfolded, with its raw value (encoded words still encoded).
public struct MailHeader: Sendable, Equatable {
    public let name: String
    public let raw: String

    public init(name: String, raw: String) {
        self.name = name
        self.raw = raw
    }
}

/// The header section of a message or part: lookups are case-insensitive, first occurrence wins.
public struct MailHeaders: Sendable, Equatable {
    public private(set) var fields: [MailHeader] = []

    /// Whether any field held raw 8-bit bytes (whose charset had to be guessed).
    public private(set) var hasRaw8bit = false

    public init(_ fields: [MailHeader] = []) { self.fields = fields }

    public subscript(name: String) -> String? {
        let lower = name.lowercased()
        return fields.first { $0.name.lowercased() == lower }?.raw
    }

    public func all(_ name: String) -> [String] {
        let lower = name.lowercased()
        return fields.filter { $0.name.lowercased() == lower }.map(\.raw)
    }

    /// The decoded (RFC 2047) value of a header.
    public func text(_ name: String) -> String? { self[name].map(EncodedWords.decode) }

    /// Parses a header block (bytes up to the empty line). Folded lines are joined; a line with no
    /// colon that is not a continuation is skipped; raw 8-bit bytes are read as UTF-8, else in
    /// `charset` (what the message declares for its text), else windows-1251.
    public static func parse(_ bytes: ArraySlice<UInt8>, charset: String? = nil) -> MailHeaders {
        var fields: [MailHeader] = []
        var name: String?
        var value: [UInt8] = []
        var raw8bit = false
        func flush() {
            if let name {
                let text: String
                if value.contains(where: { $0 >= 0x80 || $0 == 0x1B }) {
                    raw8bit = true
                    text = Charset.decodeHeader(value, declared: charset)
                } else {
                    text = String(decoding: value, as: UTF8.self)
                }
                fields.append(MailHeader(name: name, raw: text.trimmed))
            }
            name = nil
            value = []
        }
        for line in Lines.split(bytes) {
            if let first = line.first, first == 0x20 || first == 0x09 {
                if name != nil { value.append(0x20); value.append(contentsOf: line.drop(while: { $0 == 0x20 || $0 == 0x09 })) }
                continue
            }
            flush()
            // RFC 5322 4.5.8 (obsolete syntax): spaces may stand between the name and the colon.
            guard let colon = line.firstIndex(of: 0x3A) else { continue }
            var nameEnd = colon
            while nameEnd > line.startIndex, line[nameEnd - 1] == 0x20 || line[nameEnd - 1] == 0x09 { nameEnd -= 1 }
            guard nameEnd > line.startIndex, line[line.startIndex..<nameEnd].allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { continue }
            name = String(decoding: line[line.startIndex..<nameEnd], as: UTF8.self)
            value = Array(line[(colon + 1)...])
        }
        flush()
        var headers = MailHeaders(fields)
        headers.hasRaw8bit = raw8bit
        return headers
    }
}

/// Line splitting that accepts CRLF and bare LF.
enum Lines {
    static func split(_ bytes: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if bytes[index] == 0x0A {
                var end = index
                if end > start, bytes[end - 1] == 0x0D { end -= 1 }
                lines.append(bytes[start..<end])
                start = index + 1
            }
            index += 1
        }
        if start < bytes.endIndex {
            var end = bytes.endIndex
            if end > start, bytes[end - 1] == 0x0D { end -= 1 }
            lines.append(bytes[start..<end])
        }
        return lines
    }
}

/// RFC 2047 encoded words (`=?charset?B|Q?…?=`). Whitespace between adjacent encoded words is
/// dropped, and adjacent words in one charset are joined as bytes before decoding, because
/// mailers split multi-byte characters across words.
public enum EncodedWords {
    public static func decode(_ value: String) -> String {
        guard value.contains("=?") else { return value }
        var out = ""
        var pendingBytes: [UInt8] = []
        var pendingCharset: String?
        func flush() {
            if let charset = pendingCharset { out += Charset.decode(pendingBytes, label: charset).text }
            pendingBytes = []
            pendingCharset = nil
        }
        var rest = Substring(value)
        while let first = rest.first {
            if first == "=", rest.hasPrefix("=?"), let word = parseWord(rest) {
                if let charset = pendingCharset, charset.lowercased() != word.charset.lowercased() { flush() }
                pendingCharset = word.charset
                pendingBytes += word.bytes
                rest = rest[word.end...]
                continue
            }
            if first == " " || first == "\t" {
                let space = rest.prefix(while: { $0 == " " || $0 == "\t" })
                let after = rest.dropFirst(space.count)
                // Whitespace between two encoded words disappears; anywhere else it is text.
                if pendingCharset != nil, after.hasPrefix("=?"), parseWord(after) != nil {
                    rest = after
                    continue
                }
                flush()
                out += space
                rest = after
                continue
            }
            flush()
            out.append(first)
            rest = rest.dropFirst()
        }
        flush()
        return out
    }

    private struct Word { let charset: String; let bytes: [UInt8]; let end: Substring.Index }

    private static func parseWord(_ text: Substring) -> Word? {
        // =?charset?E?text?=
        let afterOpen = text.index(text.startIndex, offsetBy: 2)
        guard let q1 = text[afterOpen...].firstIndex(of: "?") else { return nil }
        var charset = String(text[afterOpen..<q1])
        if let star = charset.firstIndex(of: "*") { charset = String(charset[..<star]) } // RFC 2231 language
        let encodingIndex = text.index(after: q1)
        guard encodingIndex < text.endIndex else { return nil }
        let encoding = text[encodingIndex].uppercased()
        let q2 = text.index(after: encodingIndex)
        guard q2 < text.endIndex, text[q2] == "?" else { return nil }
        let payloadStart = text.index(after: q2)
        guard let close = text[payloadStart...].firstRange(of: "?=") else { return nil }
        let payload = text[payloadStart..<close.lowerBound]
        guard !charset.isEmpty, !payload.contains(" ") || encoding == "Q" else { return nil }
        let bytes: [UInt8]
        switch encoding {
        case "B": bytes = Base64.decode(Array(payload.utf8)[...])
        case "Q": bytes = QuotedPrintable.decode(payloadBytes(payload, charset: charset)[...], underscoreIsSpace: true)
        default: return nil
        }
        return Word(charset: charset, bytes: bytes, end: close.upperBound)
    }

    /// A Q word's payload as bytes. Some mailers put raw 8-bit bytes in it (`=?windows-1251?Q?<raw>?=`);
    /// the header's decoding already made characters of them, which go back into the bytes they were
    /// in the word's charset, so that the word is not decoded twice. A character the charset lacks
    /// stays as its UTF-8 bytes.
    private static func payloadBytes(_ payload: Substring, charset: String) -> [UInt8] {
        guard payload.utf8.contains(where: { $0 >= 0x80 }) else { return Array(payload.utf8) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(payload.utf8.count)
        for scalar in payload.unicodeScalars {
            if scalar.isASCII {
                bytes.append(UInt8(scalar.value))
            } else if let encoded = Charset.encode(scalar, label: charset) {
                bytes += encoded // 8-bit bytes pass through Q decoding as they are
            } else {
                bytes += Array(String(scalar).utf8)
            }
        }
        return bytes
    }

    /// Encodes `text` for a header when it is not plain ASCII: UTF-8 B words of at most 75 characters,
    /// never splitting a character.
    public static func encode(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { !$0.isASCII || $0.value < 0x20 }) else { return text }
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 45 {
                words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?" + Data(chunk).base64EncodedString() + "?=") }
        return words.joined(separator: "\r\n ")
    }
}

/// `type/subtype; name=value; …` with RFC 2231 extended and continued parameters.
public struct ContentType: Sendable, Equatable {
    public var type: String
    public var subtype: String
    public var parameters: [String: String]

    public var mimeType: String { "\(type)/\(subtype)" }

    public init(type: String, subtype: String, parameters: [String: String] = [:]) {
        self.type = type
        self.subtype = subtype
        self.parameters = parameters
    }

    public static let textPlain = ContentType(type: "text", subtype: "plain", parameters: ["charset": "us-ascii"])

    public static func parse(_ raw: String?) -> ContentType? {
        guard let raw else { return nil }
        let (value, parameters) = HeaderParameters.parse(raw)
        let parts = value.lowercased().split(separator: "/", maxSplits: 1).map { $0.trimmed }
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return ContentType(type: parts[0], subtype: parts[1], parameters: parameters)
    }
}

/// Parameters of structured headers (Content-Type, Content-Disposition): quoted strings, RFC 2231
/// `name*=charset'lang'%XX`, continuations `name*0*=`, `name*1=`, and RFC 2047 words inside quotes
/// (what Outlook and Gmail send for file names).
public enum HeaderParameters {
    public static func parse(_ raw: String) -> (value: String, parameters: [String: String]) {
        let pieces = splitOutsideQuotes(raw, separator: ";")
        let value = pieces.first.map { stripComments($0).trimmed } ?? ""
        var plain: [String: String] = [:]
        var extended: [String: [(index: Int, encoded: Bool, text: String)]] = [:]
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            var name = piece[..<equals].trimmed.lowercased()
            var text = piece[piece.index(after: equals)...].trimmed
            let wasQuoted = text.hasPrefix("\"")
            if wasQuoted { text = unquote(text) }
            guard !name.isEmpty else { continue }
            if name.contains("*") {
                let encoded = name.hasSuffix("*")
                if encoded { name.removeLast() }
                var index = 0
                if let star = name.firstIndex(of: "*") {
                    index = Int(name[name.index(after: star)...]) ?? 0
                    name = String(name[..<star])
                }
                extended[name, default: []].append((index, encoded, text))
            } else {
                plain[name] = wasQuoted || text.contains("=?") ? EncodedWords.decode(text) : text
            }
        }
        for (name, segments) in extended {
            let ordered = segments.sorted { $0.index < $1.index }
            var charset: String?
            var bytes: [UInt8] = []
            for (position, segment) in ordered.enumerated() {
                var text = Substring(segment.text)
                if segment.encoded {
                    if position == 0 {
                        // charset'language'value
                        let quoteParts = text.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
                        if quoteParts.count == 3 {
                            charset = String(quoteParts[0])
                            text = quoteParts[2]
                        }
                    }
                    bytes += percentDecode(text)
                } else {
                    bytes += Array(text.utf8)
                }
            }
            plain[name] = Charset.decode(bytes, label: charset ?? "utf-8").text
        }
        return (value, plain)
    }

    static func percentDecode(_ text: Substring) -> [UInt8] {
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        var i = 0
        while i < bytes.count {
            if bytes[i] == 0x25, i + 2 < bytes.count, let hi = Hexa.value(bytes[i + 1]), let lo = Hexa.value(bytes[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return out
    }

    static func unquote(_ text: String) -> String {
        var out = ""
        var escaped = false
        for character in text.dropFirst() {
            if escaped { out.append(character); escaped = false; continue }
            if character == "\\" { escaped = true; continue }
            if character == "\"" { break }
            out.append(character)
        }
        return out
    }

    static func splitOutsideQuotes(_ text: String, separator: Character) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in text {
            if escaped { current.append(character); escaped = false; continue }
            if character == "\\" && quoted { current.append(character); escaped = true; continue }
            if character == "\"" { quoted.toggle() }
            if character == separator && !quoted {
                parts.append(current)
                current = ""
                continue
            }
            current.append(character)
        }
        parts.append(current)
        return parts
    }

    /// A comment's text with its `\)` and `\\` escapes undone.
    static func unescapeComment(_ text: Substring) -> String {
        guard text.contains("\\") else { return String(text) }
        var out = ""
        var escaped = false
        for character in text {
            if !escaped && character == "\\" { escaped = true; continue }
            escaped = false
            out.append(character)
        }
        return out
    }

    /// The text without its (comments), which nest and may hold `\)`; a quoted string keeps its
    /// parentheses.
    static func stripComments(_ text: String) -> String {
        guard text.contains("(") else { return text }
        var out = ""
        var depth = 0
        var quoted = false, escaped = false
        for character in text {
            if escaped {
                escaped = false
                if depth == 0 { out.append(character) }
                continue
            }
            if character == "\\" && (quoted || depth > 0) {
                escaped = true
                if depth == 0 { out.append(character) }
                continue
            }
            if depth == 0 && character == "\"" { quoted.toggle(); out.append(character); continue }
            if quoted { out.append(character); continue }
            if character == "(" { depth += 1; continue }
            if character == ")" && depth > 0 { depth -= 1; continue }
            if depth == 0 { out.append(character) }
        }
        return out
    }
}

/// A mailbox: display name and address (lowercased for comparison).
public struct MailAddress: Sendable, Equatable, Hashable {
    public let name: String
    public let address: String

    public init(name: String = "", address: String) {
        self.name = name
        self.address = address
    }

    /// The part before `@`.
    public var localPart: String { String(address.prefix(while: { $0 != "@" })) }
    public var domain: String { address.split(separator: "@").last.map(String.init) ?? "" }

    /// Whether the address can go into a header and an SMTP command as it is: no control
    /// characters, spaces or angle brackets (which would end the header or the command early).
    public var isSafeForHeaders: Bool {
        !address.isEmpty && address.utf8.count <= 254 && !address.unicodeScalars.contains { $0.value < 0x21 || $0.value == 0x7F || $0 == "<" || $0 == ">" }
    }

    /// `Name <addr>` with the name encoded when needed, for outgoing headers. Control characters in
    /// the name become spaces: a name can never start a header line of its own.
    public var header: String {
        let name = String(String.UnicodeScalarView(self.name.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
        guard !name.isEmpty else { return "<\(address)>" }
        let encoded = EncodedWords.encode(name)
        if encoded != name { return "\(encoded) <\(address)>" }
        let needsQuotes = name.contains(where: { "()<>[]:;@\\,.\"".contains($0) })
        return needsQuotes ? "\"\(name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\" <\(address)>" : "\(name) <\(address)>"
    }

    /// Parses an address list (`"Name" <a@b>, c@d (Comment), group: e@f;`), tolerating the usual
    /// breakage and RFC 5322's obsolete forms: comments anywhere, even inside the address
    /// (`<pete(his account)@silly.test(his host)>`), and an address after a name without angle
    /// brackets (`Big Bug bb@bug.com`).
    public static func list(_ raw: String?) -> [MailAddress] {
        guard let raw, !raw.isEmpty else { return [] }
        var result: [MailAddress] = []
        var current = ""
        var quoted = false, angle = false, escaped = false, hasAt = false
        var comment = 0
        func flush() {
            if hasAt, let address = single(current) { result.append(address) }
            current = ""
            hasAt = false
        }
        for character in raw {
            if escaped { current.append(character); escaped = false; continue }
            if character == "\\" && (quoted || comment > 0) { escaped = true; current.append(character); continue }
            switch character {
            case "@" where comment == 0: hasAt = true
            case "\"" where comment == 0: quoted.toggle()
            case "(" where !quoted: comment += 1
            case ")" where !quoted && comment > 0: comment -= 1
            case "<" where !quoted && comment == 0: angle = true
            case ">" where !quoted && comment == 0: angle = false
            case ":" where !quoted && !angle && comment == 0 && !hasAt:
                current = "" // a group name
                continue
            case ";" where !quoted && !angle && comment == 0:
                flush()
                continue
            case "," where !quoted && !angle && comment == 0:
                flush()
                continue
            default: break
            }
            current.append(character)
        }
        flush()
        return result
    }

    static func single(_ raw: String) -> MailAddress? {
        let text = raw.trimmed
        guard !text.isEmpty else { return nil }
        if let open = text.lastIndex(of: "<"), let close = text[open...].firstIndex(of: ">") {
            // Comments inside the brackets (`<pete(his account)@silly.test>`) and the obsolete spaces
            // around the dot and the at sign are not part of the address.
            let address = HeaderParameters.stripComments(String(text[text.index(after: open)..<close]))
                .split(whereSeparator: { $0 == " " || $0 == "\t" }).joined()
            var name = HeaderParameters.stripComments(String(text[..<open])).trimmed
            if name.hasPrefix("\"") { name = HeaderParameters.unquote(name) }
            name = EncodedWords.decode(name).trimmed
            guard let normalized = normalize(address) else { return nil }
            return MailAddress(name: name, address: normalized)
        }
        // bare address, maybe with a (comment) holding the name
        var name = ""
        if let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"), open < close {
            name = EncodedWords.decode(HeaderParameters.unescapeComment(text[text.index(after: open)..<close])).trimmed
        }
        let bare = HeaderParameters.stripComments(text).trimmed
        if let normalized = normalize(bare) { return MailAddress(name: name, address: normalized) }
        // `Big Bug bb@bug.com`: a name, then the address without brackets (old programs write it).
        let words = bare.split(whereSeparator: { $0 == " " || $0 == "\t" })
        let withAt = words.filter { $0.contains("@") }
        guard withAt.count == 1, let address = normalize(String(withAt[0])) else { return nil }
        if name.isEmpty {
            var rest = words.filter { !$0.contains("@") }.joined(separator: " ")
            if rest.hasPrefix("\"") { rest = HeaderParameters.unquote(rest) }
            name = EncodedWords.decode(rest).trimmed
        }
        return MailAddress(name: name, address: address)
    }

    static func normalize(_ address: String) -> String? {
        var value = address.trimmed
        if value.hasPrefix("mailto:") { value.removeFirst(7) }
        guard let at = value.lastIndex(of: "@"), at > value.startIndex, value.index(after: at) < value.endIndex,
              !value.contains(where: { $0 == " " || $0 == "<" || $0 == ">" || $0 == "," }) else { return nil }
        return value.lowercased()
    }
}

/// Message-ID lists (`<a@b> <c@d>`), without the angle brackets.
public enum MessageIDs {
    public static func parse(_ raw: String?) -> [String] {
        guard let raw else { return [] }
        var ids: [String] = []
        var rest = Substring(raw)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            let id = rest[rest.index(after: open)..<close].trimmed
            if !id.isEmpty, !id.contains(" ") { ids.append(id) }
            rest = rest[rest.index(after: close)...]
        }
        if ids.isEmpty {
            ids = raw.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" }).map(String.init).filter { $0.contains("@") }
        }
        // An id is printable ASCII-or-better with no controls (RFC 5322 msg-id); others are no ids at all.
        return ids.filter { id in id.utf8.count <= 998 && !id.unicodeScalars.contains { $0.value < 0x21 || $0.value == 0x7F } }
    }
}

enum Hexa {
    static func value(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}

/// Content-Transfer-Encoding: base64, lenient (skips anything outside the alphabet, tolerates
/// missing padding).
public enum Base64 {
    private static let table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, byte) in Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8).enumerated() {
            table[Int(byte)] = UInt8(index)
        }
        table[Int(UInt8(ascii: "-"))] = 62 // base64url, seen in the wild
        table[Int(UInt8(ascii: "_"))] = 63
        return table
    }()

    public static func decode(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in bytes {
            if byte == 0x3D { break } // '=' padding ends the data
            let value = table[Int(byte)]
            if value == 0xFF { continue }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((accumulator >> UInt32(bits)) & 0xFF))
            }
        }
        return out
    }
}

/// Content-Transfer-Encoding: quoted-printable (RFC 2045 §6.7), and the Q encoding of RFC 2047.
public enum QuotedPrintable {
    public static func decode(_ bytes: ArraySlice<UInt8>, underscoreIsSpace: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let byte = bytes[i]
            if byte == 0x3D {
                let next = i + 1
                if next < bytes.endIndex, bytes[next] == 0x0A { i = next + 1; continue } // soft break, LF
                if next + 1 < bytes.endIndex, bytes[next] == 0x0D, bytes[next + 1] == 0x0A { i = next + 2; continue }
                if next + 1 < bytes.endIndex, let hi = Hexa.value(bytes[next]), let lo = Hexa.value(bytes[next + 1]) {
                    out.append(hi << 4 | lo)
                    i = next + 2
                    continue
                }
                // Soft break followed by trailing spaces, or a stray '=': keep what can be kept.
                var j = next
                while j < bytes.endIndex, bytes[j] == 0x20 || bytes[j] == 0x09 { j += 1 }
                if j < bytes.endIndex, bytes[j] == 0x0A { i = j + 1; continue }
                if j + 1 < bytes.endIndex, bytes[j] == 0x0D, bytes[j + 1] == 0x0A { i = j + 2; continue }
                if j == bytes.endIndex { break }
                out.append(byte)
                i = next
                continue
            }
            out.append(underscoreIsSpace && byte == 0x5F ? 0x20 : byte)
            i += 1
        }
        return out
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// Encodes text bytes with CRLF line breaks, lines of at most 76 characters.
    public static func encode(_ text: String) -> String {
        var text = text
        return text.withUTF8 { bytes in
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count * 3 + bytes.count / 25 + 8)
            var lineLength = 0
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte == 0x0D && index + 1 < bytes.count && bytes[index + 1] == 0x0A { index += 1; continue }
                if byte == 0x0A {
                    out.append(0x0D)
                    out.append(0x0A)
                    lineLength = 0
                    index += 1
                    continue
                }
                let atLineEnd = index + 1 == bytes.count || bytes[index + 1] == 0x0A || bytes[index + 1] == 0x0D
                let literal = (byte >= 0x21 && byte <= 0x7E && byte != 0x3D) || ((byte == 0x20 || byte == 0x09) && !atLineEnd)
                let width = literal ? 1 : 3
                if lineLength + width > 75 {
                    out.append(0x3D)
                    out.append(0x0D)
                    out.append(0x0A)
                    lineLength = 0
                }
                if literal {
                    out.append(byte)
                } else {
                    out.append(0x3D)
                    out.append(hexDigits[Int(byte >> 4)])
                    out.append(hexDigits[Int(byte & 0x0F)])
                }
                lineLength += width
                index += 1
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
