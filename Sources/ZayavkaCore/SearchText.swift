import CLibstemmer
import Foundation

/// How the search engine reads text (issue 17): the same rules for what is indexed and for what is
/// asked, so inflected forms find each other whatever the database.
///
/// - A word is a run of letters and digits; case is folded, ё is е, stress marks are dropped.
/// - A Cyrillic word is reduced to its stem by Snowball's Russian stemmer, a Latin word by the
///   English one («принтеры», «принтера», «принтер» → «принтер»; "printers" → "printer"); digits
///   and mixed words are kept as they are.
/// - A stem holds only letters and digits, so a query built from stems cannot carry query syntax.
public enum SearchText {
    /// Longer words are cut (nobody searches for them; they only bloat the index).
    public static let maxWordLength = 40
    /// Words of a query that count; the rest of a long query is ignored.
    public static let maxQueryTerms = 16
    /// Characters of one document that are indexed (a huge mail body does not make a huge index).
    public static let maxIndexedCharacters = 100_000

    // MARK: Words

    /// The words of `text`, lower case, ё as е, stress marks dropped.
    public static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        var length = 0
        func flush() {
            if !current.isEmpty { words.append(String(current)) }
            current = String.UnicodeScalarView()
            length = 0
        }
        var scanned = 0
        for scalar in text.unicodeScalars {
            scanned += 1
            if scanned > maxIndexedCharacters { break }
            let value = scalar.value
            // Fast paths: ASCII and basic Cyrillic, the text of nearly every ticket.
            if value < 0x80 {
                if (0x61...0x7A).contains(value) || (0x30...0x39).contains(value) {
                    if length < maxWordLength { current.append(scalar) }
                    length += 1
                } else if (0x41...0x5A).contains(value) {
                    if length < maxWordLength { current.append(Unicode.Scalar(value + 0x20)!) }
                    length += 1
                } else {
                    flush()
                }
                continue
            }
            if (0x0430...0x044F).contains(value) {
                if length < maxWordLength { current.append(scalar) }
                length += 1
                continue
            }
            if (0x0410...0x042F).contains(value) {
                if length < maxWordLength { current.append(Unicode.Scalar(value + 0x20)!) }
                length += 1
                continue
            }
            if value == 0x0451 || value == 0x0401 {  // ё, Ё
                if length < maxWordLength { current.append("е") }
                length += 1
                continue
            }
            let properties = scalar.properties
            if properties.generalCategory == .nonspacingMark || properties.generalCategory == .enclosingMark {
                continue  // a stress mark (U+0301) or another diacritic inside a word
            }
            if properties.isAlphabetic || properties.numericType != nil {
                for lowered in properties.lowercaseMapping.unicodeScalars {
                    if length < maxWordLength { current.append(lowered.value == 0x0451 ? "е" : lowered) }
                    length += 1
                }
            } else {
                flush()
            }
        }
        flush()
        return words
    }

    // MARK: Stems

    private enum Script { case cyrillic, latin, other }

    private static func script(_ word: String) -> Script {
        var cyrillic = false
        var latin = false
        for scalar in word.unicodeScalars {
            switch scalar.value {
            case 0x61...0x7A: latin = true
            case 0x0400...0x04FF: cyrillic = true
            default: return .other
            }
        }
        if cyrillic && !latin { return .cyrillic }
        if latin && !cyrillic { return .latin }
        return .other
    }

    /// The stem of one word as `words` returns it.
    public static func stem(_ word: String) -> String {
        switch script(word) {
        case .cyrillic: Stemmers.shared.stem(word, russian: true)
        case .latin: Stemmers.shared.stem(word, russian: false)
        case .other: word
        }
    }

    /// The stems of every word of `text`, in order.
    public static func terms(_ text: String) -> [String] {
        words(text).map(stem)
    }

    /// What the index stores for `text`: its stems, separated by spaces.
    public static func indexed(_ text: String) -> String {
        terms(text).joined(separator: " ")
    }

    // MARK: Queries

    /// A query as the engine runs it: distinct stems in the order asked.
    public struct Query: Sendable, Equatable {
        public let terms: [String]
        /// The last word may be unfinished (search as you type): it matches as a prefix.
        public let lastIsPrefix: Bool

        public var isEmpty: Bool { terms.isEmpty }
        /// The stems and the words asked, for highlighting.
        public let highlight: Set<String>

        /// `prefix`: the last word is still being typed.
        public init(_ raw: String, prefix: Bool = false) {
            let typed = SearchText.words(String(raw.prefix(2_000)))
            var meaningful = typed.filter { !SearchText.stopWords.contains($0) }
            // A query made only of small words ("что это") still searches for them.
            if meaningful.isEmpty { meaningful = typed }
            var seen = Set<String>()
            var terms: [String] = []
            for word in meaningful {
                let stem = SearchText.stem(word)
                if seen.insert(stem).inserted { terms.append(stem) }
                if terms.count == SearchText.maxQueryTerms { break }
            }
            self.terms = terms
            // Too short a prefix matches half the index: two letters at least.
            self.lastIsPrefix = prefix && (terms.last?.count ?? 0) >= 2 && !(raw.last.map { $0.isWhitespace } ?? true)
            self.highlight = Set(terms)
        }
    }

    /// Small words left out of a query (prepositions, conjunctions, pronouns, particles): they would
    /// match nearly every text.
    public static let stopWords: Set<String> = [
        "а", "без", "бы", "в", "во", "вот", "все", "всё", "вы", "где", "да", "для", "до", "его", "ее", "её", "если", "есть", "еще",
        "ещё", "же", "за", "и", "из", "или", "им", "их", "к", "как", "ко", "когда", "кто", "ли", "мне", "мы", "на", "над", "не",
        "нет", "ни", "но", "о", "об", "он", "она", "они", "оно", "от", "по", "под", "при", "про", "с", "со", "так", "там", "то",
        "тоже", "только", "у", "уже", "чем", "что", "чтобы", "это", "этот", "эта", "эти", "я", "меня", "нас", "вас", "мой", "наш",
        "ваш", "свой", "сам", "был", "была", "было", "были", "будет",
        "a", "an", "and", "are", "as", "at", "be", "by", "do", "does", "for", "from", "has", "have", "how", "i", "in", "is", "it",
        "me", "my", "no", "not", "of", "on", "or", "our", "so", "that", "the", "this", "to", "was", "we", "what", "when", "with",
        "you", "your",
    ].reduce(into: Set<String>()) { $0.insert($1.replacingOccurrences(of: "ё", with: "е")) }

    // MARK: Snippets

    /// A piece of a snippet: text, and whether it is a matched word.
    public struct Segment: Sendable, Equatable {
        public let text: String
        public let isMatch: Bool
        public init(_ text: String, isMatch: Bool) {
            self.text = text
            self.isMatch = isMatch
        }
    }

    private static func headKey(_ first: UInt32, _ second: UInt32) -> UInt64 { UInt64(first) << 32 | UInt64(second) }

    /// A letter or digit as `words` folds it, for ASCII and basic Cyrillic; nil for anything else.
    private static func foldedLetter(_ value: UInt32) -> UInt32? {
        switch value {
        case 0x61...0x7A, 0x30...0x39, 0x0430...0x044F: value
        case 0x41...0x5A: value + 0x20
        case 0x0410...0x042F: value + 0x20
        case 0x0451, 0x0401: 0x0435
        default: nil
        }
    }

    /// About `length` characters of `text` around its first matched word, with every word whose stem
    /// (or, for the unfinished last word, whose stem's beginning) the query holds marked.
    public static func snippet(_ text: String, query: Query, length: Int = 220) -> [Segment] {
        // Unicode scalars, the first 20,000 (a match further on is shown from the beginning): cheap to
        // scan, and the text of a help desk is nearly all one scalar a character.
        let scalars = Array(text.unicodeScalars.prefix(20_000))
        func isWordScalar(_ s: Unicode.Scalar) -> Bool {
            let v = s.value
            if v < 0x80 { return (0x30...0x39).contains(v) || (0x41...0x5A).contains(v) || (0x61...0x7A).contains(v) }
            if (0x0400...0x04FF).contains(v) { return true }
            let p = s.properties
            return p.isAlphabetic || p.numericType != nil || p.generalCategory == .nonspacingMark
        }
        var ranges: [Range<Int>] = []  // words, as scalar ranges
        var start: Int?
        for (i, s) in scalars.enumerated() {
            if isWordScalar(s) {
                if start == nil { start = i }
            } else if let begun = start {
                ranges.append(begun..<i)
                start = nil
            }
        }
        if let begun = start { ranges.append(begun..<scalars.count) }
        func piece(_ range: Range<Int>) -> String { String(String.UnicodeScalarView(scalars[range])) }
        /// Text between matches, on one line.
        func flatPiece(_ range: Range<Int>) -> String {
            String(String.UnicodeScalarView(scalars[range].lazy.map { $0 == "\n" || $0 == "\r" ? " " : $0 }))
        }
        // A stem begins with its word's first letters (Snowball strips endings): words that share no
        // beginning with any term are passed over without stemming.
        // The heads are compared as folded scalar pairs, without making a string, for the letters
        // `words` folds by itself (ASCII, basic Cyrillic, ё); other words take the long way.
        let heads = Set(query.terms.map { String($0.prefix(2)) })
        let headKeys = Set(heads.compactMap { head -> UInt64? in
            let values = head.unicodeScalars.map(\.value)
            return values.isEmpty ? nil : headKey(values[0], values.count > 1 ? values[1] : 0)
        })
        func matches(_ range: Range<Int>) -> Bool {
            let first = foldedLetter(scalars[range.lowerBound].value)
            let second = range.count > 1 ? foldedLetter(scalars[range.lowerBound + 1].value) : 0
            if let first, let second {
                guard headKeys.contains(headKey(first, second)) else { return false }
            } else {
                let head = words(piece(range.lowerBound..<min(range.upperBound, range.lowerBound + 3))).first.map { String($0.prefix(2)) } ?? ""
                guard heads.contains(head) else { return false }
            }
            guard let word = words(piece(range)).first else { return false }
            let stem = stem(word)
            if query.highlight.contains(stem) { return true }
            if query.lastIsPrefix, let last = query.terms.last { return word.hasPrefix(last) || stem.hasPrefix(last) }
            return false
        }
        // Stem word by word only until the first match, then only the words the window shows.
        let first = ranges.first(where: matches)
        let from: Int
        if let first, scalars.count > length {
            from = max(0, min(first.lowerBound - length / 4, scalars.count - length))
        } else {
            from = 0
        }
        let to = min(scalars.count, from + length)
        let matched = ranges.filter { $0.lowerBound >= from && $0.upperBound <= to && matches($0) }
        var segments: [Segment] = []
        var cursor = from
        for range in matched {
            if range.lowerBound > cursor { segments.append(Segment(flatPiece(cursor..<range.lowerBound), isMatch: false)) }
            segments.append(Segment(piece(range), isMatch: true))
            cursor = range.upperBound
        }
        if cursor < to { segments.append(Segment(flatPiece(cursor..<to), isMatch: false)) }
        if from > 0, let first = segments.first {
            // Start at a word boundary: a cut word is noise.
            if first.isMatch { segments.insert(Segment("…", isMatch: false), at: 0) }
            else { segments[0] = Segment("…" + first.text.drop(while: { !$0.isWhitespace }), isMatch: false) }
        }
        if to < scalars.count { segments.append(Segment("…", isMatch: false)) }
        return segments
    }
}

/// Snowball stemmers are not thread-safe: each thread takes a pair from the pool and puts it back.
private final class Stemmers: @unchecked Sendable {  // the pool is guarded by `lock`
    static let shared = Stemmers()

    private final class Pair {
        let russian: OpaquePointer
        let english: OpaquePointer
        init() {
            // Both algorithms are compiled into libstemmer; a missing one is a broken install.
            guard let russian = sb_stemmer_new("russian", "UTF_8"), let english = sb_stemmer_new("english", "UTF_8") else {
                fatalError("libstemmer has no Russian or English stemmer")
            }
            self.russian = russian
            self.english = english
        }
    }

    private let lock = NSLock()
    private var idle: [Pair] = []

    func stem(_ word: String, russian: Bool) -> String {
        lock.lock()
        let pair = idle.popLast() ?? Pair()
        lock.unlock()
        defer {
            lock.lock()
            idle.append(pair)
            lock.unlock()
        }
        var utf8 = Array(word.utf8)
        let count = Int32(utf8.count)
        let stemmer = russian ? pair.russian : pair.english
        guard let out = utf8.withUnsafeMutableBufferPointer({ sb_stemmer_stem(stemmer, $0.baseAddress, count) }) else { return word }
        let length = Int(sb_stemmer_length(stemmer))
        let stem = String(decoding: UnsafeBufferPointer(start: out, count: length), as: UTF8.self)
        return stem.isEmpty ? word : stem
    }
}
