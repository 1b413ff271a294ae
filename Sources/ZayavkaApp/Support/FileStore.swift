import Crypto
import Foundation
import NIOCore
import NIOPosix
import SQLKit
import Vapor

/// Attachments on disk under `<data>/attachments/ab/cd/<uuid>`. Files are written as they stream in,
/// hashed on the way, and only then recorded in the database; a failed upload leaves no file.
struct FileStore: Sendable {
    let root: URL
    /// `ZAYAVKA_ATTACHMENTS=database`: files are spooled to `root` as they stream in, then moved
    /// into `attachment_chunks` in the transaction that records them, and read back chunk by chunk.
    var inDatabase = false
    static let chunkSize = 256 * 1024

    func path(forKey key: String) -> String { root.appendingPathComponent(key).path }

    /// A sink for one incoming file: write chunks, then `finish` or `abort`.
    final class Writer: @unchecked Sendable {
        // Used from one task at a time (the upload handler), hence unchecked.
        let key: String
        let path: String
        private let handle: NIOFileHandle
        private let io: NonBlockingFileIO
        private let eventLoop: any EventLoop
        private var hasher = SHA256()
        private(set) var size = 0

        init(key: String, path: String, handle: NIOFileHandle, io: NonBlockingFileIO, eventLoop: any EventLoop) {
            self.key = key
            self.path = path
            self.handle = handle
            self.io = io
            self.eventLoop = eventLoop
        }

        func write(_ buffer: ByteBuffer) async throws {
            size += buffer.readableBytes
            buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            try await io.write(fileHandle: handle, buffer: buffer, eventLoop: eventLoop).get()
        }

        func finish() throws -> String {
            try handle.close()
            return Hex.encode(hasher.finalize())
        }

        func abort() {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// A fresh key, `ab/cd/<uuid>`, with its folder created.
    private func newKey() throws -> (key: String, path: String) {
        let id = UUID().uuidString.lowercased()
        let key = "\(id.prefix(2))/\(id.dropFirst(2).prefix(2))/\(id)"
        let path = self.path(forKey: key)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        return (key, path)
    }

    /// Stores bytes already in memory (a mail attachment); returns the key.
    func write(_ bytes: [UInt8]) throws -> String {
        let (key, path) = try newKey()
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw Abort(.internalServerError, reason: "cannot write \(path)")
        }
        return key
    }

    func makeWriter(io: NonBlockingFileIO, eventLoop: any EventLoop) async throws -> Writer {
        let (key, path) = try newKey()
        let handle = try await io.openFile(path: path, mode: .write, flags: .allowFileCreation(posixMode: 0o640), eventLoop: eventLoop).get()
        return Writer(key: key, path: path, handle: handle, io: io, eventLoop: eventLoop)
    }

    func remove(key: String) { try? FileManager.default.removeItem(atPath: path(forKey: key)) }

    /// In database mode: copies spooled files into `attachment_chunks`, one chunk at a time, on the
    /// caller's transaction (never a whole file in memory). Call `dropSpool` once it is committed.
    func persist(keys: [String], on sql: any SQLDatabase) async throws {
        guard inDatabase else { return }
        for key in keys {
            guard let handle = FileHandle(forReadingAtPath: path(forKey: key)) else {
                throw Abort(.internalServerError, reason: "the spooled file \(key) is missing")
            }
            defer { try? handle.close() }
            var seq = 0
            while let chunk = try handle.read(upToCount: Self.chunkSize), !chunk.isEmpty {
                try await sql.raw("INSERT INTO attachment_chunks (storage_key, seq, data) VALUES (\(bind: key), \(bind: seq), \(bind: chunk))").run()
                seq += 1
            }
        }
    }

    /// In database mode the spooled copies go once their chunks are committed.
    func dropSpool(keys: [String]) {
        guard inDatabase else { return }
        for key in keys { remove(key: key) }
    }

    /// Removes the files' chunks (database mode) on the caller's transaction.
    func removeChunks(keys: [String], on sql: any SQLDatabase) async throws {
        guard inDatabase, !keys.isEmpty else { return }
        try await sql.raw("DELETE FROM attachment_chunks WHERE storage_key IN (\(binds: keys))").run()
    }

    /// Database mode: a file's chunks in order, each handed to `each` as it is read (one in memory at a time).
    static func readChunks(key: String, on sql: any SQLDatabase, _ each: (Data) async throws -> Void) async throws {
        var seq = 0
        while let row = try await sql.raw("SELECT data FROM attachment_chunks WHERE storage_key = \(bind: key) AND seq = \(bind: seq)").first() {
            try await each(try row.decode(column: "data", as: Data.self))
            seq += 1
        }
    }

    /// Where a download reads the file from.
    func source(forKey key: String) -> Download.Source {
        inDatabase ? .chunks(key) : .file(path(forKey: key))
    }
}

/// Lowercase hex of bytes (digests), without a formatter per byte: token checks run on every request.
enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
