/// uuencoding (POSIX `uuencode`): the transfer encodings `x-uuencode` / `uuencode` and files that
/// old clients and scripts put straight into a plain-text body between `begin MODE NAME` and `end`.
/// Each line starts with its byte count (`' ' + n`), then groups of four characters carry three
/// bytes, six bits each offset by 0x20 (a backquote is zero).
public enum UUEncode {
    public struct Block: Sendable, Equatable {
        public var name: String
        public var data: [UInt8]
    }

    /// Every `begin … end` block in the bytes, decoded (a uuencoded transfer encoding's body).
    public static func blocks(in bytes: ArraySlice<UInt8>) -> [Block] {
        extract(from: String(decoding: bytes, as: UTF8.self)).files
    }

    /// The text with its uuencoded blocks cut out, and the files they held. Only whole blocks count
    /// (a `begin` line, valid lines, an `end` line); anything else stays text.
    public static func extract(from text: String) -> (text: String, files: [Block]) {
        guard text.contains("begin ") else { return (text, []) }
        // "\r\n" is one Character in Swift: split on both line ends.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        var kept: [Substring] = []
        var files: [Block] = []
        var index = 0
        while index < lines.count {
            let line = lines[index].hasSuffix("\r") ? lines[index].dropLast() : lines[index]
            guard let name = beginName(Array(line.utf8)[...]) else {
                kept.append(lines[index])
                index += 1
                continue
            }
            var data: [UInt8] = []
            var end: Int?
            var cursor = index + 1
            while cursor < lines.count {
                let body = lines[cursor].hasSuffix("\r") ? lines[cursor].dropLast() : lines[cursor]
                let bytes = Array(body.utf8)[...]
                if isEnd(bytes) { end = cursor; break }
                guard let decoded = decodeLine(bytes) else { break }
                data += decoded
                cursor += 1
            }
            if let end {
                files.append(Block(name: name, data: data))
                index = end + 1
            } else {
                kept.append(lines[index])
                index += 1
            }
        }
        return (kept.joined(separator: "\n"), files)
    }

    /// `begin 644 name.ext` → `name.ext` (also `begin-base64` is not ours: nil).
    static func beginName(_ line: ArraySlice<UInt8>) -> String? {
        guard line.starts(with: Array("begin ".utf8)) else { return nil }
        let rest = line.dropFirst(6)
        let mode = rest.prefix(while: { $0 >= 0x30 && $0 <= 0x37 })
        guard (3...4).contains(mode.count), rest.dropFirst(mode.count).first == 0x20 else { return nil }
        let name = String(decoding: rest.dropFirst(mode.count + 1), as: UTF8.self).trimmed
        guard !name.isEmpty else { return nil }
        // Only the last path component: a name never chooses a folder.
        return String(name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last ?? "file")
    }

    static func isEnd(_ line: ArraySlice<UInt8>) -> Bool {
        var trimmed = line
        while let last = trimmed.last, last == 0x20 || last == 0x09 { trimmed = trimmed.dropLast() }
        return trimmed.elementsEqual([0x65, 0x6E, 0x64]) // "end"
    }

    /// One encoded line's bytes, or nil when it is no uuencode line. The zero-length line (a lone
    /// backquote or space) decodes to nothing.
    static func decodeLine(_ line: ArraySlice<UInt8>) -> [UInt8]? {
        guard let first = line.first else { return [] }
        guard first >= 0x20, first <= 0x60 else { return nil }
        let count = Int((first &- 0x20) & 0x3F)
        let chars = line.dropFirst()
        guard chars.allSatisfy({ $0 >= 0x20 && $0 <= 0x60 }) else { return nil }
        // Four characters for every three bytes; some encoders trim trailing spaces, so pad.
        let needed = (count + 2) / 3 * 4
        guard chars.count + 2 >= needed || count == 0 else { return nil }
        var values = chars.map { ($0 &- 0x20) & 0x3F }
        while values.count < needed { values.append(0) }
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var index = 0
        while out.count < count, index + 4 <= values.count {
            let a = values[index], b = values[index + 1], c = values[index + 2], d = values[index + 3]
            out.append(a << 2 | b >> 4)
            if out.count < count { out.append((b & 0x0F) << 4 | c >> 2) }
            if out.count < count { out.append((c & 0x03) << 6 | d) }
            index += 4
        }
        return out.count == count ? out : nil
    }
}
