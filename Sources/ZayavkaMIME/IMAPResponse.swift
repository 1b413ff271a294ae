/// The server side of IMAP (RFC 9051, RFC 3501) as data: a framer that cuts the byte stream into
/// responses (lines with their literals) and a parser that turns one response into values. No
/// networking here, so the fuzzer and the unit tests reach all of it; `ZayavkaMail`'s client feeds it.

/// One value of a response: an atom (`FLAGS`, `\Seen`, `BODY[]`), a number, a string (quoted or a
/// literal, as bytes), NIL, or a parenthesized list.
public enum IMAPValue: Sendable, Equatable {
    case atom(String)
    case number(UInt64)
    case string([UInt8])
    case nil_
    case list([IMAPValue])

    /// An atom's or string's text (upper case is left as sent).
    public var text: String? {
        switch self {
        case .atom(let a): a
        case .string(let s): String(decoding: s, as: UTF8.self)
        case .number(let n): String(n)
        default: nil
        }
    }

    public var number: UInt64? {
        if case .number(let n) = self { return n }
        return nil
    }

    public var bytes: [UInt8]? {
        switch self {
        case .string(let s): s
        case .atom(let a): Array(a.utf8)
        default: nil
        }
    }

    public var list: [IMAPValue]? {
        if case .list(let l) = self { return l }
        return nil
    }
}

/// A complete response as it came off the wire: the text with `{n}` markers where literals were,
/// and the literals in order. The framer produces it; `IMAPParser` reads it.
public struct IMAPRawResponse: Sendable, Equatable {
    public var line: [UInt8]
    public var literals: [[UInt8]]

    public init(line: [UInt8], literals: [[UInt8]] = []) {
        self.line = line
        self.literals = literals
    }
}

public enum IMAPStatus: String, Sendable, Equatable { case ok = "OK", no = "NO", bad = "BAD", preauth = "PREAUTH", bye = "BYE" }

/// A parsed response.
public enum IMAPResponse: Sendable, Equatable {
    /// `+ text`: the server waits for more from us (a literal, IDLE, AUTHENTICATE).
    case continuation(String)
    /// `A12 OK [CODE …] text`: the end of one of our commands.
    case tagged(tag: String, status: IMAPStatus, code: [IMAPValue], text: String)
    /// `* OK [CODE …] text`, `* BYE …`: a status the server volunteers.
    case status(IMAPStatus, code: [IMAPValue], text: String)
    /// `* 5 EXISTS`, `* 12 FETCH (…)`: data about a message number.
    case message(number: UInt64, keyword: String, values: [IMAPValue])
    /// `* CAPABILITY …`, `* SEARCH 1 2`, `* FLAGS (…)`, `* LIST …`: other data.
    case data(keyword: String, values: [IMAPValue])
}

public struct IMAPProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Cuts a byte stream into responses. A line ending in `{n}` (or `{n+}`) is followed by n bytes of
/// literal and then the rest of the response; each literal is read into one buffer of its announced
/// size, so a 35 MB message is held once. Limits keep a hostile server from taking the memory.
public struct IMAPFramer: Sendable {
    public let maxLineBytes: Int
    public let maxLiteralBytes: Int

    private var buffer: [UInt8] = []
    private var start = 0
    private var line: [UInt8] = []
    private var literals: [[UInt8]] = []
    private var literal: [UInt8] = []
    private var literalRemaining = 0
    private var inLiteral = false

    public init(maxLineBytes: Int = 1 << 20, maxLiteralBytes: Int = 64 << 20) {
        self.maxLineBytes = maxLineBytes
        self.maxLiteralBytes = maxLiteralBytes
    }

    /// Bytes buffered but not yet part of a returned response.
    public var pendingBytes: Int { buffer.count - start + line.count + literal.count }

    public mutating func append<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete response, or nil when more bytes are needed.
    public mutating func next() throws(IMAPProtocolError) -> IMAPRawResponse? {
        while true {
            if inLiteral {
                let available = buffer.count - start
                let take = min(available, literalRemaining)
                if take > 0 {
                    literal.append(contentsOf: buffer[start..<(start + take)])
                    start += take
                    literalRemaining -= take
                }
                guard literalRemaining == 0 else { return nil }
                literals.append(literal)
                literal = []
                inLiteral = false
                continue
            }
            guard let newline = buffer[start...].firstIndex(of: 0x0A) else {
                if line.count + buffer.count - start > maxLineBytes { throw IMAPProtocolError("a response line longer than \(maxLineBytes) bytes") }
                return nil
            }
            var end = newline
            if end > start && buffer[end - 1] == 0x0D { end -= 1 }
            if line.count + end - start > maxLineBytes { throw IMAPProtocolError("a response line longer than \(maxLineBytes) bytes") }
            line.append(contentsOf: buffer[start..<end])
            start = newline + 1
            if let size = try Self.literalSize(at: line) {
                guard size <= maxLiteralBytes else { throw IMAPProtocolError("a literal of \(size) bytes, more than the \(maxLiteralBytes) allowed") }
                literal = []
                literal.reserveCapacity(size)
                literalRemaining = size
                inLiteral = true
                continue
            }
            let response = IMAPRawResponse(line: line, literals: literals)
            line = []
            literals = []
            return response
        }
    }

    /// The size announced by a `{n}` or `{n+}` at the end of a line, if there is one.
    static func literalSize(at line: [UInt8]) throws(IMAPProtocolError) -> Int? {
        guard line.last == UInt8(ascii: "}") else { return nil }
        var index = line.count - 2
        if index >= 0 && line[index] == UInt8(ascii: "+") { index -= 1 }
        var value = 0
        var multiplier = 1
        var digits = 0
        while index >= 0, line[index] >= 0x30, line[index] <= 0x39 {
            digits += 1
            guard digits <= 12 else { throw IMAPProtocolError("a literal size with too many digits") }
            value += Int(line[index] - 0x30) * multiplier
            multiplier *= 10
            index -= 1
        }
        guard digits > 0, index >= 0, line[index] == UInt8(ascii: "{") else { return nil }
        return value
    }
}

/// Reads one response.
public enum IMAPParser {
    public static func parse(_ raw: IMAPRawResponse) throws(IMAPProtocolError) -> IMAPResponse {
        var reader = Reader(bytes: raw.line, literals: raw.literals)
        if reader.peek == UInt8(ascii: "+") {
            reader.index += 1
            reader.skipSpaces()
            return .continuation(reader.rest())
        }
        let tag = reader.word()
        guard !tag.isEmpty else { throw IMAPProtocolError("a response without a tag") }
        guard reader.skipSpace() else {
            throw IMAPProtocolError("a response with nothing after its tag")
        }
        if tag == "*" {
            let first = reader.word()
            if let number = UInt64(first), first.utf8.count <= 19 {
                guard reader.skipSpace() else { throw IMAPProtocolError("message data without a keyword") }
                let keyword = reader.word().uppercased()
                let values = reader.atEnd ? [] : try reader.values(until: nil)
                return .message(number: number, keyword: keyword, values: values)
            }
            let keyword = first.uppercased()
            if let status = IMAPStatus(rawValue: keyword) {
                let (code, text) = try reader.statusRest()
                return .status(status, code: code, text: text)
            }
            if keyword.isEmpty { throw IMAPProtocolError("untagged data without a keyword") }
            let values = reader.atEnd ? [] : try reader.values(until: nil)
            return .data(keyword: keyword, values: values)
        }
        let word = reader.word().uppercased()
        guard let status = IMAPStatus(rawValue: word) else { throw IMAPProtocolError("a tagged response with status \(word.prefix(20))") }
        let (code, text) = try reader.statusRest()
        return .tagged(tag: tag, status: status, code: code, text: text)
    }

    /// A FETCH response's items by upper-cased name: `UID`, `FLAGS`, `BODY[]`, `RFC822.SIZE`, ….
    public static func fetchItems(_ values: [IMAPValue]) -> [String: IMAPValue] {
        guard let list = values.first?.list else { return [:] }
        var items: [String: IMAPValue] = [:]
        var index = 0
        while index + 1 < list.count {
            if let name = list[index].text { items[name.uppercased()] = list[index + 1] }
            index += 2
        }
        return items
    }

    /// Quotes a string for a command: a quoted string when it can be one, else nil (send a literal).
    public static func quoted(_ text: String) -> String? {
        guard text.utf8.count <= 1000, !text.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0 }) else { return nil }
        var out = "\""
        for c in text {
            if c == "\"" || c == "\\" { out.append("\\") }
            out.append(c)
        }
        return out + "\""
    }

    struct Reader {
        let bytes: [UInt8]
        var literals: [[UInt8]]
        var literalIndex = 0
        var index = 0
        var depth = 0

        init(bytes: [UInt8], literals: [[UInt8]]) {
            self.bytes = bytes
            self.literals = literals
        }

        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpaces() { while peek == 0x20 { index += 1 } }

        mutating func skipSpace() -> Bool {
            guard peek == 0x20 else { return false }
            skipSpaces()
            return true
        }

        /// Up to the next space.
        mutating func word() -> String {
            let begin = index
            while let b = peek, b != 0x20 { index += 1 }
            return String(decoding: bytes[begin..<index], as: UTF8.self)
        }

        mutating func rest() -> String {
            let text = String(decoding: bytes[min(index, bytes.count)...], as: UTF8.self)
            index = bytes.count
            return text
        }

        /// `[CODE args] text` after a status word.
        mutating func statusRest() throws(IMAPProtocolError) -> ([IMAPValue], String) {
            skipSpaces()
            var code: [IMAPValue] = []
            if peek == UInt8(ascii: "[") {
                index += 1
                code = try values(until: UInt8(ascii: "]"))
                skipSpaces()
            }
            return (code, rest())
        }

        /// Values separated by spaces up to `close` (consumed) or the end of the line.
        mutating func values(until close: UInt8?) throws(IMAPProtocolError) -> [IMAPValue] {
            depth += 1
            defer { depth -= 1 }
            guard depth <= 64 else { throw IMAPProtocolError("lists nested deeper than 64") }
            var out: [IMAPValue] = []
            while true {
                skipSpaces()
                guard let b = peek else {
                    if close != nil { throw IMAPProtocolError("a list that is not closed") }
                    return out
                }
                if let close, b == close {
                    index += 1
                    return out
                }
                out.append(try value())
                guard out.count <= 1_000_000 else { throw IMAPProtocolError("too many values") }
            }
        }

        mutating func value() throws(IMAPProtocolError) -> IMAPValue {
            guard let b = peek else { throw IMAPProtocolError("a value expected") }
            switch b {
            case UInt8(ascii: "("):
                index += 1
                return .list(try values(until: UInt8(ascii: ")")))
            case UInt8(ascii: ")"), UInt8(ascii: "]"):
                throw IMAPProtocolError("an unexpected \(Character(Unicode.Scalar(b)))")
            case UInt8(ascii: "\""):
                index += 1
                var out: [UInt8] = []
                while true {
                    guard let c = peek else { throw IMAPProtocolError("a quoted string that is not closed") }
                    index += 1
                    if c == UInt8(ascii: "\"") { return .string(out) }
                    if c == UInt8(ascii: "\\") {
                        guard let escaped = peek else { throw IMAPProtocolError("a quoted string that is not closed") }
                        index += 1
                        out.append(escaped)
                    } else {
                        out.append(c)
                    }
                }
            case UInt8(ascii: "{"):
                // The framer joined the line's parts around each literal, keeping the `{n}` marker where the
                // literal was: the marker stands for the next literal.
                let begin = index
                index += 1
                while let c = peek, (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "+") { index += 1 }
                guard peek == UInt8(ascii: "}"), index - begin >= 2 else {
                    throw IMAPProtocolError("a malformed literal marker \(String(decoding: bytes[begin..<min(index + 1, bytes.count)], as: UTF8.self).prefix(30))")
                }
                index += 1
                guard literalIndex < literals.count else { throw IMAPProtocolError("a literal marker without its literal") }
                let literal = literals[literalIndex]
                literals[literalIndex] = []
                literalIndex += 1
                return .string(literal)
            default:
                let begin = index
                var brackets = 0
                while let c = peek {
                    if c == UInt8(ascii: "[") { brackets += 1 } else if c == UInt8(ascii: "]") {
                        if brackets == 0 { break }
                        brackets -= 1
                    } else if brackets == 0 && (c == 0x20 || c == UInt8(ascii: "(") || c == UInt8(ascii: ")") || c == UInt8(ascii: "{") || c == UInt8(ascii: "\"")) {
                        // `BODY[HEADER.FIELDS (X)]` keeps its parenthesis inside the brackets; `(` opens a list only outside.
                        break
                    }
                    index += 1
                }
                if brackets > 0 { throw IMAPProtocolError("an atom with an unclosed [") }
                guard index > begin else { throw IMAPProtocolError("an unexpected \(Character(Unicode.Scalar(b)))") }
                let atom = String(decoding: bytes[begin..<index], as: UTF8.self)
                if atom.utf8.count <= 19, atom.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let n = UInt64(atom) { return .number(n) }
                if atom.uppercased() == "NIL" { return .nil_ }
                return .atom(atom)
            }
        }
    }
}
