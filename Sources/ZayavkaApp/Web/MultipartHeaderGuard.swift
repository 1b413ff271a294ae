import NIOCore

/// MultipartKit 4 traps (index out of range, the whole process) when a part's header name holds a
/// byte of 0x80 or more: it looks the byte up in a 128-entry table. This guard reads the same
/// stream just before the parser and refuses such a body, so the parser never sees the byte.
///
/// It follows the stream as the parser does: a delimiter (`--` + boundary, found with a KMP
/// matcher across chunk boundaries) is followed by header lines up to an empty line; in each line
/// the name runs up to the first `:`.
struct MultipartHeaderGuard {
    private let delimiter: [UInt8]
    private let failure: [Int]
    private var matched = 0
    private enum State { case body, afterDelimiter, lineStart, name, value, valueCR, blankCR }
    private var state = State.body

    init(boundary: String) {
        delimiter = Array("--\(boundary)".utf8)
        var failure = [0]
        var k = 0
        for i in 1..<max(delimiter.count, 1) {
            while k > 0, delimiter[i] != delimiter[k] { k = failure[k - 1] }
            if delimiter[i] == delimiter[k] { k += 1 }
            failure.append(k)
        }
        self.failure = failure
    }

    /// False when the chunk puts a non-ASCII byte into a part's header name.
    mutating func accepts(_ chunk: ByteBuffer) -> Bool {
        for byte in chunk.readableBytesView {
            switch state {
            case .body:
                while matched > 0, byte != delimiter[matched] { matched = failure[matched - 1] }
                if byte == delimiter[matched] { matched += 1 }
                if matched == delimiter.count {
                    matched = 0
                    state = .afterDelimiter
                }
            case .afterDelimiter:
                // The rest of the delimiter line (`--` closes the body, or transport padding), up to LF.
                if byte == UInt8(ascii: "\n") { state = .lineStart }
            case .lineStart:
                if byte == UInt8(ascii: "\r") {
                    state = .blankCR
                } else if byte >= 0x80 {
                    return false
                } else {
                    state = byte == UInt8(ascii: ":") ? .value : .name
                }
            case .name:
                if byte >= 0x80 { return false }
                if byte == UInt8(ascii: ":") { state = .value } else if byte == UInt8(ascii: "\r") { state = .valueCR }
            case .value:
                if byte == UInt8(ascii: "\r") { state = .valueCR }
            case .valueCR:
                state = byte == UInt8(ascii: "\n") ? .lineStart : .value
            case .blankCR:
                state = byte == UInt8(ascii: "\n") ? .body : .name
            }
        }
        return true
    }
}
