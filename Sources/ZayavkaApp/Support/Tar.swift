import Crypto
import Foundation

/// A minimal POSIX ustar archive of regular files, written and read as a stream: what
/// `zayavka backup` writes and `restore` reads (and `tar tf` lists). Sizes of 8 GiB and more use
/// the GNU base-256 form. The reader checks every header's checksum and refuses anything damaged
/// or truncated rather than guess.
enum Tar {
    struct Damaged: Error, CustomStringConvertible {
        let reason: String
        var description: String { reason }
    }

    static let block = 512

    /// The 512-byte header of one regular file.
    static func header(name: String, size: Int, modified: Date) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: block)
        var path = Array(name.utf8)
        var prefix: [UInt8] = []
        if path.count > 100 {
            // ustar: up to 155 bytes of folder in `prefix`, the rest (≤ 100) in `name`.
            guard let cut = path.indices.last(where: { path[$0] == 0x2F && $0 <= 155 && path.count - $0 - 1 <= 100 }) else {
                throw Damaged(reason: "the name \(name) is too long for the archive")
            }
            prefix = Array(path[..<cut])
            path = Array(path[(cut + 1)...])
        }
        func put(_ value: [UInt8], at offset: Int) { for (i, byte) in value.enumerated() { bytes[offset + i] = byte } }
        func octal(_ value: Int, width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8) + [0]
        }
        put(path, at: 0)
        put(octal(0o644, width: 8), at: 100)
        put(octal(0, width: 8), at: 108)
        put(octal(0, width: 8), at: 116)
        if size < 0o77777777777 {
            put(octal(size, width: 12), at: 124)
        } else {
            var big = [UInt8](repeating: 0, count: 12)
            big[0] = 0x80
            var rest = UInt64(size)
            for i in stride(from: 11, through: 4, by: -1) { big[i] = UInt8(rest & 0xFF); rest >>= 8 }
            put(big, at: 124)
        }
        put(octal(max(0, Int(modified.timeIntervalSince1970)), width: 12), at: 136)
        put(Array("        ".utf8), at: 148)
        bytes[156] = 0x30 // regular file
        put(Array("ustar".utf8) + [0], at: 257)
        put(Array("00".utf8), at: 263)
        put(prefix, at: 345)
        let sum = bytes.reduce(0) { $0 + Int($1) }
        put(octal(sum, width: 7) + [0x20], at: 148)
        return bytes
    }

    /// Writes files one after another into `handle`.
    struct Writer {
        let handle: FileHandle
        private(set) var written = 0

        init(handle: FileHandle) { self.handle = handle }

        /// Adds the file at `path` as `name`, streamed in 1 MiB chunks; returns its size and SHA-256.
        mutating func add(name: String, contentsOf path: String) throws -> (size: Int, sha256: String) {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            let size = (attributes[.size] as? NSNumber)?.intValue ?? 0
            let source = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            defer { try? source.close() }
            try write(try Tar.header(name: name, size: size, modified: (attributes[.modificationDate] as? Date) ?? Date()))
            var hasher = SHA256()
            var copied = 0
            while copied < size, let chunk = try source.read(upToCount: min(1 << 20, size - copied)), !chunk.isEmpty {
                hasher.update(data: chunk)
                try write(chunk)
                copied += chunk.count
            }
            // A file that shrank while it was copied would break the archive: refuse it.
            guard copied == size else { throw Damaged(reason: "\(path) changed while it was copied") }
            try pad(size)
            return (size, Hex.encode(hasher.finalize()))
        }

        mutating func add(name: String, data: Data) throws {
            try write(try Tar.header(name: name, size: data.count, modified: Date()))
            try write(data)
            try pad(data.count)
        }

        /// The two empty blocks that end an archive.
        mutating func finish() throws {
            try write(Data(count: 2 * Tar.block))
            try handle.synchronize()
        }

        private mutating func pad(_ size: Int) throws {
            let rest = size % Tar.block
            if rest != 0 { try write(Data(count: Tar.block - rest)) }
        }

        private mutating func write(_ bytes: [UInt8]) throws { try write(Data(bytes)) }

        private mutating func write(_ data: Data) throws {
            try handle.write(contentsOf: data)
            written += data.count
        }
    }

    /// Reads an archive entry by entry: `each(name, size, read)` where `read()` gives the next chunk
    /// of the entry's bytes (nil at its end). Stops at the end blocks; throws on a bad header or a
    /// truncated archive.
    static func read(_ handle: FileHandle, each: (String, Int, () throws -> Data?) throws -> Void) throws {
        while true {
            guard let headerData = try handle.read(upToCount: block), headerData.count == block else {
                throw Damaged(reason: "the archive ends without its end marker (truncated)")
            }
            let bytes = [UInt8](headerData)
            if bytes.allSatisfy({ $0 == 0 }) { return }
            var unsigned = 0
            for (i, byte) in bytes.enumerated() { unsigned += (148..<156).contains(i) ? 0x20 : Int(byte) }
            guard let stored = octal(bytes[148..<156]), stored == unsigned else {
                throw Damaged(reason: "an entry header's checksum does not match (damaged archive)")
            }
            guard bytes[156] == 0x30 || bytes[156] == 0 else { throw Damaged(reason: "the archive holds something other than plain files") }
            func text(_ range: Range<Int>) -> String {
                String(decoding: bytes[range].prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            let prefix = text(345..<500)
            let name = prefix.isEmpty ? text(0..<100) : prefix + "/" + text(0..<100)
            let size: Int
            if bytes[124] & 0x80 != 0 {
                var value: UInt64 = 0
                for byte in bytes[128..<136] { value = value << 8 | UInt64(byte) }
                guard value < UInt64(Int.max) else { throw Damaged(reason: "an entry's size is impossible") }
                size = Int(value)
            } else {
                guard let value = octal(bytes[124..<136]) else { throw Damaged(reason: "an entry's size is not a number") }
                size = value
            }
            var left = size
            try each(name, size) {
                guard left > 0 else { return nil }
                guard let chunk = try handle.read(upToCount: min(1 << 20, left)), !chunk.isEmpty else {
                    throw Damaged(reason: "the archive is truncated inside \(name)")
                }
                left -= chunk.count
                return chunk
            }
            // Whatever the reader did not take, and the padding.
            var skip = left + (size % block == 0 ? 0 : block - size % block)
            while skip > 0 {
                guard let chunk = try handle.read(upToCount: min(1 << 20, skip)), !chunk.isEmpty else {
                    throw Damaged(reason: "the archive is truncated inside \(name)")
                }
                skip -= chunk.count
            }
        }
    }

    private static func octal(_ field: ArraySlice<UInt8>) -> Int? {
        var value = 0
        var seen = false
        for byte in field {
            if byte == 0 || byte == 0x20 { if seen { break } else { continue } }
            guard (0x30...0x37).contains(byte), value < Int.max / 8 else { return nil }
            value = value * 8 + Int(byte - 0x30)
            seen = true
        }
        return seen ? value : nil
    }
}
