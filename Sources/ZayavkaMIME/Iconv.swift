import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The C library's iconv (glibc on every Linux machine) for every charset our own tables lack:
/// Japanese (ISO-2022-JP, Shift_JIS, EUC-JP), Korean (EUC-KR, KS C 5601), Chinese (GB2312, GBK,
/// GB18030, Big5), Thai, Hebrew, Greek, the other Latin sets and whatever else iconv knows.
///
/// Mail's labels go through `name(for:)` first: a few are spelled differently for iconv, and a few
/// mean in practice the superset the sending program really wrote (what the WHATWG Encoding standard
/// also does): `ks_c_5601-1987` and `euc-kr` are Windows' CP949, `shift_jis` is Windows' CP932,
/// `gb2312` and `gbk` are GB18030, `big5` is Big5-HKSCS, `iso-2022-jp` is ISO-2022-JP-2.
/// Any other label is asked of iconv itself (only labels made of letters, digits and `-_.:`, so a
/// label can never carry iconv's `//` options); the answers are remembered.
public enum Iconv {
    /// Mail labels (lowercased) → the iconv name that decodes what is sent under them.
    static let aliases: [String: String] = [
        "ks_c_5601-1987": "CP949", "ks_c_5601-1989": "CP949", "ks_c_5601": "CP949", "ksc_5601": "CP949", "ksc5601": "CP949",
        "korean": "CP949", "euc-kr": "CP949", "euckr": "CP949", "cseuckr": "CP949", "x-euc-kr": "CP949",
        "cp949": "CP949", "windows-949": "CP949", "x-windows-949": "CP949", "uhc": "CP949", "iso-ir-149": "CP949", "csksc56011987": "CP949",
        "iso-2022-kr": "ISO-2022-KR", "csiso2022kr": "ISO-2022-KR",
        "shift_jis": "CP932", "shift-jis": "CP932", "sjis": "CP932", "x-sjis": "CP932", "ms_kanji": "CP932", "csshiftjis": "CP932",
        "windows-31j": "CP932", "cswindows31j": "CP932", "cp932": "CP932", "x-ms-cp932": "CP932", "ms932": "CP932",
        "iso-2022-jp": "ISO-2022-JP-2", "csiso2022jp": "ISO-2022-JP-2", "iso-2022-jp-1": "ISO-2022-JP-2", "iso-2022-jp-2": "ISO-2022-JP-2",
        "csiso2022jp2": "ISO-2022-JP-2", "iso-2022-jp-3": "ISO-2022-JP-3",
        "euc-jp": "EUC-JP", "eucjp": "EUC-JP", "x-euc-jp": "EUC-JP", "cseucpkdfmtjapanese": "EUC-JP",
        "gb2312": "GB18030", "gb_2312-80": "GB18030", "gb_2312": "GB18030", "csgb2312": "GB18030", "euc-cn": "GB18030", "euccn": "GB18030",
        "x-gbk": "GB18030", "gbk": "GB18030", "cp936": "GB18030", "ms936": "GB18030", "windows-936": "GB18030", "chinese": "GB18030",
        "iso-ir-58": "GB18030", "csiso58gb231280": "GB18030", "gb18030": "GB18030", "hz-gb-2312": "HZ",
        "big5": "BIG5-HKSCS", "big-5": "BIG5-HKSCS", "big-five": "BIG5-HKSCS", "bigfive": "BIG5-HKSCS", "x-big5": "BIG5-HKSCS",
        "cn-big5": "BIG5-HKSCS", "csbig5": "BIG5-HKSCS", "cp950": "BIG5-HKSCS", "big5-hkscs": "BIG5-HKSCS",
        "tis-620": "CP874", "tis620": "CP874", "iso-8859-11": "CP874", "windows-874": "CP874", "cp874": "CP874", "x-windows-874": "CP874",
        "dos-874": "CP874",
    ]

    private static let known = KnownNames()

    /// The iconv name for a mail charset label, nil when iconv cannot decode it.
    public static func name(for label: String) -> String? {
        let lower = label.lowercased()
        if let alias = aliases[lower] { return alias }
        guard (1...40).contains(lower.utf8.count),
              lower.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E || $0 == 0x3A })
        else { return nil }
        let upper = lower.uppercased()
        if let answer = known.answer(upper) { return answer ? upper : nil }
        let works = canOpen(from: upper, to: "UTF-8")
        known.remember(upper, works)
        return works ? upper : nil
    }

    /// Decodes `bytes` in the iconv charset `name`. Never fails: a byte sequence the charset does not
    /// define becomes U+FFFD and decoding goes on (`exact` is false then); nil only when iconv cannot
    /// open the charset at all.
    public static func decode<C: Collection>(_ bytes: C, from name: String) -> (text: String, exact: Bool)? where C.Element == UInt8 {
        guard let (output, exact) = convert(Array(bytes), from: name, to: "UTF-8", substitute: Array("\u{FFFD}".utf8)) else { return nil }
        // iconv's UTF-8 is valid UTF-8; the repairing initializer only guards against a broken C library.
        return (String(decoding: output, as: UTF8.self), exact)
    }

    /// The bytes of `text` in the iconv charset `name`; nil when the charset lacks a character.
    public static func encode(_ text: String, to name: String) -> [UInt8]? {
        guard let (output, exact) = convert(Array(text.utf8), from: "UTF-8", to: name, substitute: nil), exact else { return nil }
        return output
    }

    static func canOpen(from: String, to: String) -> Bool {
        guard let cd = iconv_open(to, from), Int(bitPattern: cd) != -1 else { return false }
        iconv_close(cd)
        return true
    }

    /// One conversion with its own descriptor (an iconv descriptor holds state, so it is never
    /// shared between threads). With `substitute`, an invalid or truncated sequence skips one input
    /// byte and writes the substitute; without it, conversion stops there (`exact` false).
    static func convert(_ input: [UInt8], from: String, to: String, substitute: [UInt8]?) -> (output: [UInt8], exact: Bool)? {
        guard let cd = iconv_open(to, from), Int(bitPattern: cd) != -1 else { return nil }
        defer { iconv_close(cd) }
        var output = [UInt8](repeating: 0, count: max(64, input.count * 3 + 16))
        var written = 0
        var exact = true
        var input = input
        let total = input.count
        var consumed = 0
        input.withUnsafeMutableBufferPointer { inBuffer in
            func run(flush: Bool) -> Int32? {
                // Returns nil when done, else errno.
                while true {
                    if output.count - written < 16 { output += [UInt8](repeating: 0, count: output.count) }
                    var inLeft = total - consumed
                    var outLeft = output.count - written
                    let result: Int = output.withUnsafeMutableBufferPointer { outBuffer in
                        var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuffer.baseAddress! + written)
                            .assumingMemoryBound(to: CChar.self)
                        if flush {
                            return iconv(cd, nil, nil, &outPointer, &outLeft)
                        }
                        var inPointer: UnsafeMutablePointer<CChar>? = inBuffer.baseAddress.map {
                            UnsafeMutableRawPointer($0 + consumed).assumingMemoryBound(to: CChar.self)
                        }
                        return iconv(cd, &inPointer, &inLeft, &outPointer, &outLeft)
                    }
                    let error = result == -1 ? errno : 0
                    if !flush { consumed = total - inLeft }
                    written = output.count - outLeft
                    if result != -1 { return nil }
                    if error == E2BIG { output += [UInt8](repeating: 0, count: output.count); continue }
                    return error
                }
            }
            while consumed < total {
                guard let error = run(flush: false) else { break }
                exact = false
                guard let substitute, error == EILSEQ || error == EINVAL else { return }
                // Skip the byte iconv stopped at (a truncated sequence at the end is one byte at a time too).
                if output.count - written < substitute.count { output += [UInt8](repeating: 0, count: output.count) }
                output.replaceSubrange(written..<(written + substitute.count), with: substitute)
                written += substitute.count
                consumed += 1
            }
            if total == 0 || consumed >= total { _ = run(flush: true) } // shift back to the initial state (ISO-2022 encoders)
        }
        return (Array(output[0..<written]), exact)
    }
}

/// Which labels iconv can open, remembered (at most 512: labels come from strangers' mail).
private final class KnownNames: @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [String: Bool] = [:]

    func answer(_ name: String) -> Bool? {
        lock.lock()
        defer { lock.unlock() }
        return answers[name]
    }

    func remember(_ name: String, _ works: Bool) {
        lock.lock()
        defer { lock.unlock() }
        if answers.count >= 512 { answers.removeAll(keepingCapacity: true) }
        answers[name] = works
    }
}
