import Foundation

/// Separates what a person wrote from the earlier messages their client quoted and from their
/// signature, so a ticket shows each reply once. Knows the reply headers of Gmail, Outlook,
/// Thunderbird, Apple Mail, Yandex and Mail.ru in Russian and English. Forwarded messages are
/// not folded: what is forwarded is the point of the message.
public enum ReplyFolding {
    public static func split(_ text: String) -> (new: String, quoted: String) {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init)
        var cut: Int?
        var index = 0
        // quotedToEnd[i]: from line i on there is nothing but quotes and blank lines (one pass, not one per line).
        var quotedToEnd = [Bool](repeating: true, count: lines.count + 1)
        for i in stride(from: lines.count - 1, through: 0, by: -1) {
            let trimmed = lines[i].trimmed
            quotedToEnd[i] = quotedToEnd[i + 1] && (trimmed.isEmpty || trimmed.hasPrefix(">"))
        }
        scan: while index < lines.count {
            let line = lines[index].trimmed
            if isForwardMarker(line) { break scan }
            if isSeparator(line) || isReplyHeader(line) { cut = index; break scan }
            // A header wrapped over two lines ("On Mon, … <ivan@" / "x.ru> wrote:").
            if index + 1 < lines.count, !line.isEmpty, !line.hasPrefix(">"), lines[index + 1].trimmed.hasSuffix(":") {
                let joined = line + " " + lines[index + 1].trimmed
                if isReplyHeader(joined), !isReplyHeader(lines[index + 1].trimmed) {
                    cut = index
                    break scan
                }
            }
            if isOutlookBlock(lines, at: index) { cut = index; break scan }
            if line.hasPrefix(">"), quotedToEnd[index] {
                // A trailing block of quoted lines (nothing but quotes and blanks after it).
                cut = index
                break scan
            }
            index += 1
        }
        var newLines = Array(lines[..<(cut ?? lines.count)])
        var quotedLines = cut.map { Array(lines[$0...]) } ?? []
        // Interleaved quotes in what is left are quotes too.
        if newLines.contains(where: { $0.trimmed.hasPrefix(">") }),
           newLines.contains(where: { let t = $0.trimmed; return !t.isEmpty && !t.hasPrefix(">") }) {
            quotedLines = newLines.filter { $0.trimmed.hasPrefix(">") } + quotedLines
            newLines = newLines.filter { !$0.trimmed.hasPrefix(">") }
        }
        if let signature = signatureStart(newLines) {
            quotedLines = Array(newLines[signature...]) + quotedLines
            newLines = Array(newLines[..<signature])
        }
        let new = newLines.joined(separator: "\n").trimmed
        let quoted = quotedLines.joined(separator: "\n").trimmed
        // All of it quoted (a bare forward, a quote-only reply): show everything rather than nothing.
        if new.isEmpty { return (text.trimmed, "") }
        return (new, quoted)
    }

    static func isForwardMarker(_ line: String) -> Bool {
        guard let first = line.first, first == "-" || first == "B" || first == "b" || first == "Н" || first == "н" else { return false }
        let lower = line.lowercased()
        return (lower.contains("forwarded message") || lower.contains("пересылаемое сообщение") || lower.contains("пересланное сообщение")
            || lower.hasPrefix("begin forwarded message") || lower.hasPrefix("начало переадресованного сообщения"))
    }

    static func isSeparator(_ line: String) -> Bool {
        guard line.hasPrefix("--") || line.hasPrefix("__") else { return false }
        let lower = line.lowercased()
        return lower.contains("original message") || lower.contains("исходное сообщение") || lower.contains("исходное письмо")
            || lower.contains("reply message") || lower.contains("ответное сообщение")
    }

    private static let headerPatterns: [NSRegularExpression] = [
        #"^>?\s*On\b.{4,}\bwrote:\s*$"#,
        #"^.{4,}\s(пишет|написал|написала|написал\(а\)|писал|писала)\s*:\s*$"#,
        #"^.*\d{1,2}:\d{2}.*<[^>\s]+@[^>\s]+>\s*:\s*$"#,
        #"^.*\d{4}.*\b(пользователь|user)\b.*:\s*$"#,
        #"^Le .{4,} a écrit\s*:\s*$"#,
        #"^Am .{4,} schrieb .*:\s*$"#,
    ].map { try! NSRegularExpression(pattern: $0, options: [.caseInsensitive]) }

    static func isReplyHeader(_ line: String) -> Bool {
        guard line.count < 300, line.hasSuffix(":") || line.hasSuffix(": ") else { return false }
        let range = NSRange(line.startIndex..., in: line)
        return headerPatterns.contains { $0.firstMatch(in: line, range: range) != nil }
    }

    /// Outlook's quoted-header block: From/От followed within a few lines by Sent/Отправлено/Date/Дата.
    static func isOutlookBlock(_ lines: [String], at index: Int) -> Bool {
        guard let first = lines[index].trimmed.first, "FfОо*".contains(first) else { return false }
        let line = lines[index].trimmed.filter { $0 != "*" }
        let fromPrefixes = ["from:", "от:", "от кого:"]
        guard fromPrefixes.contains(where: { line.lowercased().hasPrefix($0) }) else { return false }
        let sentPrefixes = ["sent:", "отправлено:", "date:", "дата:", "to:", "кому:"]
        var seen = 0
        for next in lines[(index + 1)..<min(lines.count, index + 5)] {
            let lower = next.trimmed.filter { $0 != "*" }.lowercased()
            if sentPrefixes.contains(where: { lower.hasPrefix($0) }) { seen += 1 }
        }
        return seen >= 1
    }

    static func signatureStart(_ lines: [String]) -> Int? {
        for (index, line) in lines.enumerated() where line == "-- " || line == "--" {
            return index
        }
        let trailers = ["sent from my ", "sent from mail for", "get outlook for", "отправлено с ", "отправлено из ", "sent from yandex",
                        "отправлено с моего", "sent via ", "послано с "]
        // A mobile trailer among the last lines.
        for index in lines.indices.reversed().prefix(4) {
            let lower = lines[index].trimmed.lowercased()
            if trailers.contains(where: { lower.hasPrefix($0) }) { return index }
        }
        return nil
    }
}
