import Foundation
import ZayavkaMIME

/// libFuzzer entry point for the MIME parser and everything it feeds, and for the IMAP response
/// framer and parser (encoded words, parameters,
/// addresses, charsets, HTML sanitizing, reply folding, uuencode, the builder). Any crash or hang is
/// a bug. An input that starts like a header section is a message and goes through the whole parser
/// (which reaches every helper with structured input); anything else is a piece of text for the
/// helpers one by one. One path per input keeps a run cheap: tens of thousands of inputs a minute.
/// Built with `swift build --product zayavka-mime-fuzz -Xswiftc -sanitize=fuzzer -Xswiftc -DFUZZING`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // An IMAP server's side of a conversation (seeds in Tests/fuzz/imap): fed to the framer in two
    // reads split where the input says, each response parsed; tight limits reach the refusals.
    if bytes.starts(with: Array("* ".utf8)) || bytes.starts(with: Array("+ ".utf8)) || bytes.starts(with: Array("Z".utf8)) {
        var framer = IMAPFramer(maxLineBytes: 4096, maxLiteralBytes: 4096)
        let split = Int(bytes.last ?? 0) % (bytes.count + 1)
        for part in [bytes[..<split], bytes[split...]] {
            framer.append(part)
            while true {
                guard let raw = try? framer.next() else { break }
                guard let response = try? IMAPParser.parse(raw) else { continue }
                if case .message(_, _, let values) = response { _ = IMAPParser.fetchItems(values) }
            }
        }
        return 0
    }
    if MIMEParser.looksLikeHeaders(bytes[...]) {
        guard let message = try? MIMEParser.parse(bytes, envelopeSender: "envelope@zayavka.local") else { return 0 }
        // Whatever was parsed must render back into a message the parser accepts.
        var reply = OutgoingMail(from: MailAddress(address: "support@zayavka.local"), to: message.from.map { [$0] } ?? [],
                                 subject: message.subject, text: message.newText, messageID: "fuzz@zayavka.local")
        reply.html = message.html
        reply.references = Array(message.references.prefix(5))
        if (try? MIMEParser.parse(reply.render())) == nil && !(message.from.map { [$0] } ?? []).isEmpty {
            fatalError("a message built from a parsed one does not parse")
        }
        return 0
    }
    let text = String(decoding: bytes, as: UTF8.self)
    switch size % 4 {
    case 0:
        _ = HTMLSanitizer.sanitize(text, allowCID: { _ in true })
        _ = HTMLSanitizer.text(from: text)
    case 1:
        _ = EncodedWords.decode(text)
        _ = HeaderParameters.parse(text)
        _ = MailAddress.list(text)
    case 2:
        _ = ReplyFolding.split(text)
        _ = UUEncode.extract(from: text)
    default:
        for label in ["utf-7", "koi8-r", "utf-16", "iso-2022-jp", "ks_c_5601-1987", "gb2312", "shift_jis"] { _ = Charset.decode(bytes, label: label) }
        _ = Charset.decodeUnlabelled(bytes, declared: "big5")
        _ = MBox.unescape(bytes[...])
        _ = MailHeaders.parse(bytes[...], charset: "koi8-r")
        _ = MailDate.parse(text)
    }
    return 0
}

#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt) -> CInt

/// SwiftPM links an executable's entry point under this name; with libFuzzer it hands over to the driver.
@_cdecl("zayavka_mime_fuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in fuzzOne(data, size) }
}
#else
/// Without libFuzzer: replays the files given as arguments (a crash reproducer, the corpus).
@main
struct Replay {
    static func main() throws {
        for path in CommandLine.arguments.dropFirst() {
            let data = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            data.withUnsafeBufferPointer { buffer in
                _ = fuzzOne(buffer.baseAddress ?? UnsafePointer(bitPattern: 1)!, buffer.count)
            }
        }
        print("replayed \(CommandLine.arguments.count - 1) inputs")
    }
}
#endif
