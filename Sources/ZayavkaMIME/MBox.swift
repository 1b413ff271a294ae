/// The mbox envelope line (`From sender date`) that Postfix's pipe transport (`flags=F`), procmail,
/// fetchmail and every mbox export put before a message, and the `>From ` quoting of body lines that
/// comes with it (RFC 4155). The parser reads past the line; the raw copy keeps it.
public enum MBox {
    /// When `data` starts (after any empty lines) with a `From ` line: the sender it names (nil for
    /// `MAILER-DAEMON`, `<>` and anything else that is not an address) and where the message proper
    /// begins.
    public static func envelope(_ data: ArraySlice<UInt8>) -> (sender: String?, start: Int)? {
        var index = data.startIndex
        while index < data.endIndex, data[index] == 0x0D || data[index] == 0x0A { index += 1 }
        let prefix: [UInt8] = [0x46, 0x72, 0x6F, 0x6D, 0x20] // "From "
        guard data.endIndex - index > prefix.count, data[index..<(index + prefix.count)].elementsEqual(prefix) else { return nil }
        let lineStart = index + prefix.count
        guard let newline = data[lineStart...].firstIndex(of: 0x0A) else { return nil }
        var senderStart = lineStart
        while senderStart < newline, data[senderStart] == 0x20 || data[senderStart] == 0x09 { senderStart += 1 }
        // `From  : Name <address>` is a header field with obsolete spaces before its colon, not an envelope.
        guard senderStart < newline, data[senderStart] != 0x3A else { return nil }
        var senderEnd = senderStart
        while senderEnd < newline, data[senderEnd] != 0x20, data[senderEnd] != 0x09, data[senderEnd] != 0x0D { senderEnd += 1 }
        var sender = String(decoding: data[senderStart..<senderEnd], as: UTF8.self)
        if sender.hasPrefix("<"), sender.hasSuffix(">") { sender = String(sender.dropFirst().dropLast()) }
        let usable = sender.utf8.count <= 254 && sender.contains("@") && !sender.hasPrefix("@") && !sender.hasSuffix("@")
        return (usable ? sender : nil, newline + 1)
    }

    /// The message after the envelope line with the mbox quoting undone: a line that starts with
    /// one or more `>` and then `From ` loses one `>` (mboxrd; for mboxo this is the same for the
    /// only quoting it does).
    public static func unescape(_ data: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count)
        for index in data.indices {
            // Only the first `>` of the line: the next one no longer starts it.
            if index == data.startIndex || data[index - 1] == 0x0A, isQuotedFrom(data, at: index) { continue }
            out.append(data[index])
        }
        return out
    }

    /// Whether any line needs unescaping (so the common message is not copied for nothing).
    static func hasQuotedFrom(_ data: ArraySlice<UInt8>) -> Bool {
        data.indices.contains { (index: Int) in (index == data.startIndex || data[index - 1] == 0x0A) && isQuotedFrom(data, at: index) }
    }

    /// `>…>From ` starts at `index`.
    private static func isQuotedFrom(_ data: ArraySlice<UInt8>, at index: Int) -> Bool {
        guard data[index] == 0x3E else { return false }
        var end = index
        while end < data.endIndex, data[end] == 0x3E { end += 1 }
        return data.endIndex - end >= 5 && data[end..<(end + 5)].elementsEqual([0x46, 0x72, 0x6F, 0x6D, 0x20])
    }
}
