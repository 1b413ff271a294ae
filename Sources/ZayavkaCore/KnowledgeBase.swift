import Foundation

/// Who may read an article (issue 17, SPEC K1).
public enum ArticleAudience: String, Sendable, CaseIterable, Codable {
    /// Anyone, signed in or not (the public /kb pages, the bot, suggestions).
    case `public`
    /// Signed-in customers and staff.
    case customers
    /// Staff only: the agent console and the composer.
    case staff

    /// The audiences a reader may see: nil is an anonymous visitor.
    public static func visible(to role: Role?) -> [ArticleAudience] {
        guard let role else { return [.public] }
        return role.isStaff ? allCases : [.public, .customers]
    }
}

/// An article is found and shown only once published; drafts are for staff.
public enum ArticleStatus: String, Sendable, CaseIterable, Codable {
    case draft, published
}

/// What a button of the bot menu does (SPEC K3).
public enum BotAction: String, Sendable, CaseIterable, Codable {
    /// Shows its message and its own buttons.
    case menu
    /// Opens an article.
    case article
    /// Opens the new-request form, filled in, with the path taken attached.
    case handover
}

/// Readable URLs: an article's or category's address from its title, Russian transliterated.
public enum Slug {
    public static let maxLength = 80

    private static let cyrillic: [Character: String] = [
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z", "и": "i", "й": "y", "к": "k",
        "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
        "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
    ]

    /// Lower-case Latin letters, digits and single hyphens; "article" when nothing is left.
    public static func make(_ text: String) -> String {
        var out = ""
        var hyphen = false
        for ch in text.lowercased() {
            let piece: String
            if let latin = cyrillic[ch] { piece = latin } else if ch.isASCII, ch.isLetter || ch.isNumber { piece = String(ch) } else { piece = "" }
            if piece.isEmpty {
                if cyrillic[ch] == nil { hyphen = true }
                continue
            }
            if hyphen, !out.isEmpty { out += "-" }
            hyphen = false
            out += piece
            if out.count >= maxLength { break }
        }
        let trimmed = String(out.prefix(maxLength)).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
        return trimmed.isEmpty ? "article" : trimmed
    }

    /// Whether `text` is already a slug as `make` writes them.
    public static func isValid(_ text: String) -> Bool {
        !text.isEmpty && text.count <= maxLength && !text.hasPrefix("-") && !text.hasSuffix("-") && !text.contains("--")
            && text.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
    }
}

/// Tags as typed ("касса, ККТ,  касса") → distinct, trimmed, in order; at most 20 of 40 characters.
public enum ArticleTags {
    public static func parse(_ raw: [String]) -> [String] {
        var seen = Set<String>()
        var tags: [String] = []
        for piece in raw.flatMap({ $0.split(separator: ",") }) {
            let tag = String(piece.trimmingCharacters(in: .whitespacesAndNewlines).prefix(40))
            guard !tag.isEmpty, seen.insert(tag.lowercased()).inserted else { continue }
            tags.append(tag)
            if tags.count == 20 { break }
        }
        return tags
    }
}

/// Line by line differences between two revisions of a text (longest common subsequence).
public enum LineDiff {
    public enum Kind: String, Sendable, Codable, CaseIterable { case same, added, removed }

    public struct Line: Sendable, Equatable {
        public let kind: Kind
        public let text: String
        public init(_ kind: Kind, _ text: String) {
            self.kind = kind
            self.text = text
        }
    }

    /// The lines of `new` against `old`. Texts too long to compare line by line (over 4 million
    /// pairs) show as all removed, then all added.
    public static func diff(_ old: String, _ new: String) -> [Line] {
        let a = old.components(separatedBy: "\n")
        let b = new.components(separatedBy: "\n")
        // Common head and tail first: most edits touch a few lines in the middle.
        var head = 0
        while head < a.count, head < b.count, a[head] == b[head] { head += 1 }
        var tail = 0
        while tail < a.count - head, tail < b.count - head, a[a.count - 1 - tail] == b[b.count - 1 - tail] { tail += 1 }
        let midA = Array(a[head..<(a.count - tail)])
        let midB = Array(b[head..<(b.count - tail)])
        var lines = a[0..<head].map { Line(.same, $0) }
        if midA.count * midB.count > 4_000_000 {
            lines += midA.map { Line(.removed, $0) } + midB.map { Line(.added, $0) }
        } else {
            // lengths[i][j]: the longest common subsequence of midA[i...] and midB[j...].
            let n = midA.count, m = midB.count
            var lengths = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
            for i in stride(from: n - 1, through: 0, by: -1) {
                for j in stride(from: m - 1, through: 0, by: -1) {
                    lengths[i][j] = midA[i] == midB[j] ? lengths[i + 1][j + 1] + 1 : max(lengths[i + 1][j], lengths[i][j + 1])
                }
            }
            var i = 0, j = 0
            while i < n || j < m {
                if i < n, j < m, midA[i] == midB[j] {
                    lines.append(Line(.same, midA[i])); i += 1; j += 1
                } else if j < m, i == n || lengths[i][j + 1] >= lengths[i + 1][j] {
                    lines.append(Line(.added, midB[j])); j += 1
                } else {
                    lines.append(Line(.removed, midA[i])); i += 1
                }
            }
        }
        lines += a[(a.count - tail)...].map { Line(.same, $0) }
        return lines
    }
}
