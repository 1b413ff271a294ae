import Foundation
import ZayavkaMail

/// `zayavka-bench mime-parse [FOLDER] [--seconds N]`: parses every `.eml` in FOLDER (default the
/// parser's corpus) over and over for N seconds (default 5) per group and prints messages and
/// megabytes per second: all of them, the ones in charsets our own tables decode, and the ones that
/// go through iconv (Japanese, Korean, Chinese), so the cost of the C library's decoders shows.
func mimeParseBenchmark(_ arguments: [String]) {
    var folder = "Tests/ZayavkaMailTests/Corpus"
    var seconds = 5.0
    var index = 0
    while index < arguments.count {
        if arguments[index] == "--seconds", index + 1 < arguments.count, let value = Double(arguments[index + 1]), value > 0, value <= 600 {
            seconds = value
            index += 2
        } else {
            folder = arguments[index]
            index += 1
        }
    }
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder).filter({ $0.hasSuffix(".eml") }).sorted(),
          !names.isEmpty else {
        print("no .eml files in \(folder)")
        exit(1)
    }
    let cjkNames: Set<String> = ["iso-2022-jp", "korean", "euc-kr", "gb2312", "big5"]
    var all: [[UInt8]] = [], iconv: [[UInt8]] = [], tables: [[UInt8]] = []
    for name in names {
        guard let data = FileManager.default.contents(atPath: folder + "/" + name) else { continue }
        let bytes = Array(data)
        // The 200 KB one-line message would dominate every figure; it has its own test.
        guard bytes.count < 100_000 else { continue }
        all.append(bytes)
        if cjkNames.contains(where: { name.contains($0) }) { iconv.append(bytes) } else { tables.append(bytes) }
    }
    print("mime-parse: \(all.count) messages from \(folder), \(Int(seconds)) s per group")
    for (label, group) in [("all", all), ("our tables (Cyrillic, Western, UTF-8)", tables), ("iconv (Japanese, Korean, Chinese)", iconv)] {
        guard !group.isEmpty else { continue }
        let bytesPerPass = group.reduce(0) { $0 + $1.count }
        var passes = 0
        var failures = 0
        let start = Date()
        while Date().timeIntervalSince(start) < seconds {
            for message in group where (try? MIMEParser.parse(message)) == nil { failures += 1 }
            passes += 1
        }
        let elapsed = Date().timeIntervalSince(start)
        let messages = Double(passes * group.count) / elapsed
        let megabytes = Double(passes * bytesPerPass) / elapsed / 1_048_576
        let padded = label.padding(toLength: 40, withPad: " ", startingAt: 0)
        print(padded + String(format: " %8.0f messages/s  %6.1f MB/s  (%d messages, %d refused per pass, as the corpus expects)",
                              messages, megabytes, group.count, failures / max(passes, 1)))
    }
}
