import Foundation

/// Mail HTML made safe to show inside the help desk, and turned into plain text.
///
/// An allow-list: a fixed set of formatting tags and a few attributes survive; scripts, styles,
/// frames, forms, event handlers, `style` attributes (CSS can fetch URLs) and every URL scheme but
/// http(s)/mailto (links) and cid:/data:image (images) are dropped. Remote images are not loaded
/// (they tell the sender who read the message and when); their alt text stays.
public enum HTMLSanitizer {
    static let allowedTags: Set<String> = [
        "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "col", "colgroup", "dd", "del", "div", "dl", "dt",
        "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "ol", "p", "pre", "q", "s", "small",
        "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    ]
    /// Dropped together with everything inside them.
    static let droppedWithContent: Set<String> = [
        "script", "style", "iframe", "object", "embed", "noscript", "template", "head", "title", "svg", "math", "frameset",
        "frame", "applet", "xml", "textarea", "select", "noembed", "noframes", "audio", "video", "canvas",
    ]
    static let voidTags: Set<String> = ["br", "hr", "img", "col", "meta", "link", "input", "base", "area", "wbr", "source", "param"]
    static let renamed: [String: String] = ["center": "div", "font": "span", "body": "div", "section": "div", "article": "div",
                                            "header": "div", "footer": "div", "main": "div", "nav": "div", "aside": "div",
                                            "figure": "div", "figcaption": "div", "address": "div"]
    static let allowedAttributes: [String: Set<String>] = [
        "a": ["href", "title"], "img": ["src", "alt", "title", "width", "height"], "td": ["colspan", "rowspan", "align", "valign"],
        "th": ["colspan", "rowspan", "align", "valign"], "col": ["span"], "colgroup": ["span"], "ol": ["start"], "abbr": ["title"],
        "blockquote": ["cite"], "q": ["cite"],
    ]

    /// Safe HTML. `cid:` images are kept when `allowCID` knows the id (the caller rewrites them to
    /// its own file URLs); `rewriteCID` maps such a reference to a URL.
    public static func sanitize(_ html: String, allowCID: (String) -> Bool = { _ in false }, rewriteCID: ((String) -> String?)? = nil) -> String {
        var out = ""
        var open: [String] = []
        var dropped = DroppedContent()
        for token in HTMLTokenizer(html) {
            switch token {
            case .text(let text):
                if !dropped.isInside { out += escape(decodeEntities(text)) }
            case .start(let rawName, let attributes, let selfClosing):
                let name = rawName.lowercased()
                if dropped.swallows(start: name, selfClosing: selfClosing) { continue }
                let tag = renamed[name] ?? name
                guard allowedTags.contains(tag) else { continue }
                var rendered = "<" + tag
                let allowed = allowedAttributes[tag] ?? []
                var keep = true
                for (attributeName, value) in attributes where allowed.contains(attributeName) {
                    let decoded = decodeEntities(value).trimmed
                    if attributeName == "href" {
                        guard isSafeLink(decoded) else { continue }
                    } else if attributeName == "src" {
                        let lower = decoded.lowercased()
                        if lower.hasPrefix("cid:") {
                            let id = String(decoded.dropFirst(4))
                            guard allowCID(id) else { keep = tag != "img"; continue }
                            rendered += " src=\"" + escape(rewriteCID?(id) ?? decoded) + "\""
                            continue
                        }
                        guard lower.hasPrefix("data:image/png") || lower.hasPrefix("data:image/jpeg") || lower.hasPrefix("data:image/gif")
                                || lower.hasPrefix("data:image/webp") else { continue }
                    }
                    rendered += " " + attributeName + "=\"" + escape(decoded) + "\""
                }
                if tag == "img" && !rendered.contains(" src=") {
                    // A remote or unknown image: show its alt text instead.
                    if let alt = attributes.first(where: { $0.0 == "alt" })?.1, !alt.isEmpty { out += escape("[" + decodeEntities(alt) + "]") }
                    continue
                }
                guard keep else { continue }
                if tag == "a" { rendered += " rel=\"noopener noreferrer nofollow\" target=\"_blank\"" }
                out += rendered + ">"
                if !voidTags.contains(tag) && !selfClosing { open.append(tag) }
            case .end(let rawName):
                let name = rawName.lowercased()
                if dropped.swallows(end: name) { continue }
                let tag = renamed[name] ?? name
                guard let index = open.lastIndex(of: tag) else { continue }
                for closing in open[index...].reversed() { out += "</" + closing + ">" }
                open.removeSubrange(index...)
            case .comment:
                continue
            }
        }
        for closing in open.reversed() { out += "</" + closing + ">" }
        return out
    }

    static func isSafeLink(_ url: String) -> Bool {
        let compact = url.lowercased().filter { !$0.isWhitespace && $0 != "\0" }
        return compact.hasPrefix("http://") || compact.hasPrefix("https://") || compact.hasPrefix("mailto:")
    }

    static let blockTags: Set<String> = ["p", "div", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "dt", "dd",
                                         "blockquote", "pre", "hr", "center", "section", "article", "header", "footer", "address"]

    /// Plain text of an HTML body: blocks become lines, `<br>` a line break, list items "• ",
    /// blockquotes "> " (so quoted mail folds like plain-text quotes), entities decoded.
    public static func text(from html: String) -> String {
        var lines: [String] = []
        var current = ""
        var dropped = DroppedContent()
        var quoteDepth = 0
        var preDepth = 0
        var cellStarted = false
        func breakLine(force: Bool = false) {
            let trimmed = current.trimmed
            if !trimmed.isEmpty || force {
                lines.append(String(repeating: "> ", count: quoteDepth) + trimmed)
            }
            current = ""
            cellStarted = false
        }
        for token in HTMLTokenizer(html) {
            switch token {
            case .text(let raw):
                guard !dropped.isInside else { continue }
                var text = decodeEntities(raw)
                if preDepth > 0 {
                    let parts = text.split(separator: "\n", omittingEmptySubsequences: false)
                    for (index, part) in parts.enumerated() {
                        current += part
                        if index < parts.count - 1 { breakLine(force: true) }
                    }
                    continue
                }
                text = String(text.map { $0 == "\u{00A0}" ? " " : $0 })
                let collapsed = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }).joined(separator: " ")
                if collapsed.isEmpty {
                    if !current.isEmpty && !current.hasSuffix(" ") { current += " " }
                    continue
                }
                if let first = text.first, first.isWhitespace, !current.isEmpty, !current.hasSuffix(" ") { current += " " }
                current += collapsed
                if let last = text.last, last.isWhitespace { current += " " }
            case .start(let rawName, _, let selfClosing):
                let name = rawName.lowercased()
                if dropped.swallows(start: name, selfClosing: selfClosing) { continue }
                switch name {
                case "br": breakLine(force: true)
                case "li": breakLine(); current = "• "
                case "td", "th":
                    if cellStarted { current += "\t" }
                    cellStarted = true
                case "blockquote": breakLine(); quoteDepth += 1
                case "pre": breakLine(); preDepth += 1
                default: if blockTags.contains(name) { breakLine() }
                }
            case .end(let rawName):
                let name = rawName.lowercased()
                if dropped.swallows(end: name) { continue }
                switch name {
                case "blockquote": breakLine(); quoteDepth = max(0, quoteDepth - 1)
                case "pre": breakLine(); preDepth = max(0, preDepth - 1)
                case "td", "th": break
                default: if blockTags.contains(name) || name == "li" { breakLine() }
                }
            case .comment:
                continue
            }
        }
        breakLine()
        // No runs of blank lines.
        var result: [String] = []
        for line in lines where !(line.isEmpty && (result.last?.isEmpty ?? true)) { result.append(line) }
        return result.joined(separator: "\n").trimmed
    }

    public static func escape(_ text: String) -> String {
        // Bytes, not characters: the five are ASCII, and UTF-8 never holds them inside another character.
        func special(_ byte: UInt8) -> Bool { byte == 0x26 || byte == 0x3C || byte == 0x3E || byte == 0x22 || byte == 0x27 }
        guard text.utf8.contains(where: special) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 32)
        for byte in text.utf8 {
            switch byte {
            case 0x26: out.append(contentsOf: "&amp;".utf8)
            case 0x3C: out.append(contentsOf: "&lt;".utf8)
            case 0x3E: out.append(contentsOf: "&gt;".utf8)
            case 0x22: out.append(contentsOf: "&quot;".utf8)
            case 0x27: out.append(contentsOf: "&#39;".utf8)
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes character references: every HTML5 named one (`&ouml;`, `&frac12;`, `&szlig;`), the
    /// legacy names without a semicolon when no letter, digit or `=` follows (`&copy 2024`, but not
    /// `?a=1&copy=2` in a link), and numeric ones, where 0x80–0x9F mean windows-1252 as HTML5 says.
    public static func decodeEntities(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            let after = rest[rest.index(after: amp)...]
            if let (replacement, end) = reference(at: after) {
                out += replacement
                rest = after[end...]
                continue
            }
            out += "&"
            rest = after
        }
        out += rest
        return out
    }

    /// The reference right after an `&`: its text and where the rest begins.
    private static func reference(at after: Substring) -> (String, Substring.Index)? {
        let window = after.prefix(HTMLEntityTable.longestName + 2)
        if let semicolon = window.firstIndex(of: ";") {
            let name = after[..<semicolon]
            let end = after.index(after: semicolon)
            if name.hasPrefix("#x") || name.hasPrefix("#X") {
                return UInt32(name.dropFirst(2), radix: 16).flatMap(numeric).map { ($0, end) }
            } else if name.hasPrefix("#") {
                return UInt32(name.dropFirst()).flatMap(numeric).map { ($0, end) }
            } else if let value = HTMLEntityTable.named[String(name)] {
                return (value, end)
            }
        }
        // A legacy name without its semicolon: the longest that matches.
        let letters = after.prefix(while: { $0.isASCII && ($0.isLetter || $0.isNumber) }).prefix(8)
        var length = letters.count
        while length >= 2 {
            let name = String(letters.prefix(length))
            if HTMLEntityTable.legacy.contains(name), let value = HTMLEntityTable.named[name] {
                let end = after.index(after.startIndex, offsetBy: length)
                let next = end < after.endIndex ? after[end] : " "
                guard !(next.isLetter || next.isNumber || next == "=") else { return nil }
                return (value, end)
            }
            length -= 1
        }
        return nil
    }

    private static let windows1252: [UInt32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D, 0x017D, 0x8F,
        0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D, 0x017E, 0x0178,
    ]

    private static func numeric(_ code: UInt32) -> String? {
        guard code != 0 else { return "\u{FFFD}" }
        let mapped = (0x80...0x9F).contains(code) ? windows1252[Int(code - 0x80)] : code
        return Unicode.Scalar(mapped).map { String($0) } ?? "\u{FFFD}"
    }
}

/// Whether the tokens are inside an element dropped with everything in it (script, style, …),
/// counting nested elements of the same name.
struct DroppedContent {
    private var tag: String?
    private var depth = 0

    var isInside: Bool { tag != nil }

    /// Whether a start tag is swallowed: inside dropped content, or the start of it.
    mutating func swallows(start name: String, selfClosing: Bool) -> Bool {
        if let tag {
            if name == tag && !selfClosing { depth += 1 }
            return true
        }
        guard HTMLSanitizer.droppedWithContent.contains(name) else { return false }
        if !selfClosing && !HTMLSanitizer.voidTags.contains(name) {
            tag = name
            depth = 1
        }
        return true
    }

    /// Whether an end tag is swallowed (inside dropped content); the element's own end leaves it.
    mutating func swallows(end name: String) -> Bool {
        guard let tag else { return false }
        if name == tag {
            depth -= 1
            if depth == 0 { self.tag = nil }
        }
        return true
    }
}

/// A forgiving HTML tokenizer: text, start tags with attributes, end tags, comments. Anything that
/// is not a well-formed tag is text.
struct HTMLTokenizer: Sequence, IteratorProtocol {
    enum Token: Equatable {
        case text(String)
        case start(String, [(String, String)], selfClosing: Bool)
        case end(String)
        case comment

        static func == (lhs: Token, rhs: Token) -> Bool {
            switch (lhs, rhs) {
            case (.text(let a), .text(let b)): a == b
            case (.end(let a), .end(let b)): a == b
            case (.comment, .comment): true
            case (.start(let a, let x, let s), .start(let b, let y, let t)):
                a == b && s == t && x.map { $0.0 + "=" + $0.1 } == y.map { $0.0 + "=" + $0.1 }
            default: false
            }
        }
    }

    private let scalars: [Unicode.Scalar]
    private var index = 0
    /// Inside <script>/<style> and friends, only their end tag ends the raw text.
    private var rawTextEnd: String?

    init(_ html: String) { scalars = Array(html.unicodeScalars) }

    mutating func next() -> Token? {
        guard index < scalars.count else { return nil }
        if let end = rawTextEnd {
            let start = index
            while index < scalars.count {
                if scalars[index] == "<", matches("</" + end, at: index) { break }
                index += 1
            }
            rawTextEnd = nil
            if index > start { return .text(String(String.UnicodeScalarView(scalars[start..<index]))) }
        }
        if scalars[index] == "<" {
            if matches("<!--", at: index) {
                index += 4
                while index < scalars.count, !matches("-->", at: index) { index += 1 }
                index = Swift.min(scalars.count, index + 3)
                return .comment
            }
            if index + 1 < scalars.count, scalars[index + 1] == "!" || scalars[index + 1] == "?" {
                while index < scalars.count, scalars[index] != ">" { index += 1 }
                index = Swift.min(scalars.count, index + 1)
                return .comment
            }
            if let token = tag() { return token }
            index += 1
            return .text("<")
        }
        let start = index
        while index < scalars.count, scalars[index] != "<" { index += 1 }
        return .text(String(String.UnicodeScalarView(scalars[start..<index])))
    }

    private func matches(_ text: String, at position: Int) -> Bool {
        var i = position
        for scalar in text.unicodeScalars {
            guard i < scalars.count, scalars[i].properties.lowercaseMapping == String(scalar).lowercased() else { return false }
            i += 1
        }
        return true
    }

    private static func isNameScalar(_ s: Unicode.Scalar) -> Bool {
        (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || s == "-" || s == ":" || s == "_"
    }

    private mutating func tag() -> Token? {
        var i = index + 1
        let closing = i < scalars.count && scalars[i] == "/"
        if closing { i += 1 }
        guard i < scalars.count, (scalars[i] >= "a" && scalars[i] <= "z") || (scalars[i] >= "A" && scalars[i] <= "Z") else { return nil }
        let nameStart = i
        while i < scalars.count, Self.isNameScalar(scalars[i]) { i += 1 }
        let name = String(String.UnicodeScalarView(scalars[nameStart..<i])).lowercased()
        var attributes: [(String, String)] = []
        var selfClosing = false
        while i < scalars.count {
            let s = scalars[i]
            if s == ">" { i += 1; break }
            if s == "/" { selfClosing = true; i += 1; continue }
            if s.properties.isWhitespace { i += 1; continue }
            // attribute name
            let attrStart = i
            while i < scalars.count, !scalars[i].properties.isWhitespace, scalars[i] != "=", scalars[i] != ">", scalars[i] != "/" || i == attrStart {
                i += 1
            }
            let attrName = String(String.UnicodeScalarView(scalars[attrStart..<i])).lowercased()
            selfClosing = false
            while i < scalars.count, scalars[i].properties.isWhitespace { i += 1 }
            var value = ""
            if i < scalars.count, scalars[i] == "=" {
                i += 1
                while i < scalars.count, scalars[i].properties.isWhitespace { i += 1 }
                if i < scalars.count, scalars[i] == "\"" || scalars[i] == "'" {
                    let quote = scalars[i]
                    i += 1
                    let valueStart = i
                    while i < scalars.count, scalars[i] != quote { i += 1 }
                    value = String(String.UnicodeScalarView(scalars[valueStart..<Swift.min(i, scalars.count)]))
                    i = Swift.min(scalars.count, i + 1)
                } else {
                    let valueStart = i
                    while i < scalars.count, !scalars[i].properties.isWhitespace, scalars[i] != ">" { i += 1 }
                    value = String(String.UnicodeScalarView(scalars[valueStart..<i]))
                }
            }
            if !attrName.isEmpty, !attributes.contains(where: { $0.0 == attrName }) { attributes.append((attrName, value)) }
        }
        index = i
        if closing { return .end(name) }
        if !selfClosing, ["script", "style", "textarea", "title", "xmp", "noscript", "iframe", "noembed", "noframes"].contains(name) {
            rawTextEnd = name
        }
        return .start(name, attributes, selfClosing: selfClosing)
    }
}
