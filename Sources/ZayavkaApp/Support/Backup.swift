import Crypto
import Fluent
import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import SQLiteNIO
import SQLKit
import Vapor
#if canImport(Glibc)
import Glibc
#endif

/// `zayavka backup FILE` and `zayavka restore FILE` (issue 22, SPEC N3). A backup is a tar file:
/// `database/zayavka.sqlite` (SQLite's consistent copy, `VACUUM INTO`, taken while the desk runs),
/// every file under `attachments/`, and `manifest.json` last (format, version, database kind,
/// migrations, each file's size and SHA-256, each table's row count). On PostgreSQL the database is
/// the team's `pg_dump` (docs/operations.md) and the backup holds the attachments.
enum Backup {
    static let format = "zayavka-backup"
    static let version = 1

    struct Manifest: Codable {
        struct File: Codable, Equatable { let name: String; let size: Int; let sha256: String }
        let format: String
        let version: Int
        let createdAt: Date
        /// "sqlite" (the database is in the archive) or "postgresql" (attachments only).
        let database: String
        let migrations: [String]
        let files: [File]
        let tables: [String: Int]

        enum CodingKeys: String, CodingKey {
            case format, version, database, migrations, files, tables
            case createdAt = "created_at"
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Writes the backup of a running desk to `path` (through `path.partial`, renamed when complete).
    static func write(app: Application, to path: String) async throws -> Manifest {
        let configuration = app.services.configuration
        let folder = configuration.dataDirectory
        let partial = path + ".partial"
        FileManager.default.createFile(atPath: partial, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: partial) else { throw Failure(description: "cannot write \(partial)") }
        var finished = false
        defer {
            try? handle.close()
            if !finished { try? FileManager.default.removeItem(atPath: partial) }
        }
        var writer = Tar.Writer(handle: handle)
        var files: [Manifest.File] = []
        var tables: [String: Int] = [:]
        let isSQLite = configuration.databaseURL == nil
        if isSQLite {
            // A consistent copy while writers go on: VACUUM INTO reads one snapshot (WAL) into a new file.
            let snapshot = folder.appendingPathComponent("backup-\(UUID().uuidString.lowercased()).sqlite").path
            defer { try? FileManager.default.removeItem(atPath: snapshot) }
            try await (app.db as! any SQLDatabase).raw("VACUUM INTO \(bind: snapshot)").run()
            tables = try await rowCounts(ofSQLiteFile: snapshot)
            let added = try writer.add(name: "database/zayavka.sqlite", contentsOf: snapshot)
            files.append(.init(name: "database/zayavka.sqlite", size: added.size, sha256: added.sha256))
        }
        // Attachments are written before the row that names them and never changed: every file the
        // snapshot names is there. One removed meanwhile (an upload never attached, swept) is skipped.
        let attachments = folder.appendingPathComponent("attachments")
        for key in attachmentKeys(in: attachments) {
            do {
                let added = try writer.add(name: "attachments/" + key, contentsOf: attachments.appendingPathComponent(key).path)
                files.append(.init(name: "attachments/" + key, size: added.size, sha256: added.sha256))
            } catch let error as CocoaError where error.code == .fileReadNoSuchFile || error.code == .fileNoSuchFile {
                continue
            }
        }
        let manifest = Manifest(format: format, version: version, createdAt: Date(), database: isSQLite ? "sqlite" : "postgresql",
                                migrations: Migrations.all.map { "\(type(of: $0))" }, files: files, tables: tables)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try writer.add(name: "manifest.json", data: try encoder.encode(manifest))
        try writer.finish()
        try handle.close()
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: partial, toPath: path)
        finished = true
        return manifest
    }

    /// Files under the attachments folder, as keys relative to it, sorted.
    static func attachmentKeys(in folder: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey]) else { return [] }
        var keys: [String] = []
        let base = folder.standardizedFileURL.path + "/"
        for case let url as URL in enumerator {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let path = url.standardizedFileURL.path
            if path.hasPrefix(base) { keys.append(String(path.dropFirst(base.count))) }
        }
        return keys.sorted()
    }

    /// Each table's row count in a SQLite file (and whether SQLite finds the file sound).
    static func rowCounts(ofSQLiteFile path: String, checkIntegrity: Bool = false) async throws -> [String: Int] {
        let connection = try await SQLiteConnection.open(storage: .file(path: path))
        do {
            if checkIntegrity {
                let verdict = try await rows(connection, "PRAGMA integrity_check").first?.column("integrity_check")?.string
                guard verdict == "ok" else { throw Failure(description: "the database in the backup is damaged (\(verdict ?? "no answer"))") }
            }
            var counts: [String: Int] = [:]
            let names = try await rows(connection, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
                .compactMap { $0.column("name")?.string }
            for name in names {
                let quoted = "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                counts[name] = try await rows(connection, "SELECT COUNT(*) AS n FROM \(quoted)").first?.column("n")?.integer.map { Int($0) } ?? 0
            }
            try await connection.close()
            return counts
        } catch {
            try? await connection.close()
            throw error
        }
    }

    static func rows(_ connection: SQLiteConnection, _ query: String) async throws -> [SQLiteRow] {
        let collected = NIOLockedValueBox<[SQLiteRow]>([])
        try await connection.query(query, []) { row in collected.withLockedValue { $0.append(row) } }
        return collected.withLockedValue { $0 }
    }
}

/// `zayavka restore FILE`: brings a backup back into a stopped desk's data folder. Everything is
/// read and checked first (every entry's checksum, size and SHA-256 against the manifest, SQLite's
/// integrity check, migrations this release knows) into a staging folder; only then are the
/// current database and attachments moved aside to `before-restore-<time>/` and the restored ones
/// moved in. A refused restore changes nothing.
enum Restore {
    struct Outcome {
        let manifest: Backup.Manifest
        let keptAside: String?
    }

    static func run(archive path: String, dataDirectory folder: URL, postgres: Bool) async throws -> Outcome {
        guard let lock = try DataLock.acquire(folder, exclusive: true) else {
            throw Backup.Failure(description: "the desk in \(folder.path) is running (a server or a command has it open): stop it first. Nothing was changed.")
        }
        defer { lock.release() }
        guard let handle = FileHandle(forReadingAtPath: path) else { throw Backup.Failure(description: "cannot read \(path)") }
        defer { try? handle.close() }
        let staging = folder.appendingPathComponent("restore-staging-\(UUID().uuidString.lowercased())")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        var done = false
        defer { if !done { try? FileManager.default.removeItem(at: staging) } }

        var seen: [Backup.Manifest.File] = []
        var manifestData: Data?
        do {
            try Tar.read(handle) { name, size, next in
                if name == "manifest.json" {
                    guard size <= 64 << 20 else { throw Backup.Failure(description: "the manifest is impossibly large") }
                    var data = Data()
                    while let chunk = try next() { data += chunk }
                    manifestData = data
                    return
                }
                guard manifestData == nil else { throw Backup.Failure(description: "the archive has entries after its manifest") }
                let target = try stagedPath(for: name, in: staging)
                try FileManager.default.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                FileManager.default.createFile(atPath: target, contents: nil)
                guard let out = FileHandle(forWritingAtPath: target) else { throw Backup.Failure(description: "cannot write \(target)") }
                defer { try? out.close() }
                var hasher = SHA256()
                while let chunk = try next() {
                    hasher.update(data: chunk)
                    try out.write(contentsOf: chunk)
                }
                seen.append(.init(name: name, size: size, sha256: Hex.encode(hasher.finalize())))
            }
        } catch let damaged as Tar.Damaged {
            throw Backup.Failure(description: "the backup is damaged: \(damaged.reason). Nothing was changed.")
        }
        guard let manifestData else { throw Backup.Failure(description: "the backup has no manifest (not a Zayavka backup, or cut short). Nothing was changed.") }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let manifest = try? decoder.decode(Backup.Manifest.self, from: manifestData), manifest.format == Backup.format else {
            throw Backup.Failure(description: "the manifest is not a Zayavka backup's. Nothing was changed.")
        }
        guard manifest.version <= Backup.version else {
            throw Backup.Failure(description: "the backup was made by a newer release (format \(manifest.version)). Nothing was changed.")
        }
        guard manifest.files.sorted(by: { $0.name < $1.name }) == seen.sorted(by: { $0.name < $1.name }) else {
            throw Backup.Failure(description: "the backup's files do not match its manifest (damaged). Nothing was changed.")
        }
        let known = Set(Migrations.all.map { "\(type(of: $0))" })
        if let unknown = manifest.migrations.first(where: { !known.contains($0) }) {
            throw Backup.Failure(description: "the backup was made by a newer release (migration \(unknown)). Nothing was changed.")
        }
        let stagedDatabase = staging.appendingPathComponent("database/zayavka.sqlite").path
        switch (manifest.database, postgres) {
        case ("sqlite", false):
            let counts = try await Backup.rowCounts(ofSQLiteFile: stagedDatabase, checkIntegrity: true)
            guard counts == manifest.tables else {
                throw Backup.Failure(description: "the database's tables do not match the manifest (damaged). Nothing was changed.")
            }
        case ("postgresql", true): break
        case ("sqlite", true):
            throw Backup.Failure(description: "the backup holds a SQLite database but this desk uses PostgreSQL. Nothing was changed.")
        default:
            throw Backup.Failure(description: "the backup was made on PostgreSQL: restore its database with pg_restore (docs/operations.md) on a desk that uses PostgreSQL. Nothing was changed.")
        }

        // Everything checked: the current data goes aside, the restored data comes in.
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "-")
        let aside = folder.appendingPathComponent("before-restore-\(stamp)")
        var moves: [(from: URL, to: URL)] = []
        func move(_ from: URL, _ to: URL) throws {
            try FileManager.default.createDirectory(at: to.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.moveItem(at: from, to: to)
            moves.append((from, to))
        }
        do {
            let current = (manifest.database == "sqlite" ? ["zayavka.sqlite", "zayavka.sqlite-wal", "zayavka.sqlite-shm"] : []) + ["attachments"]
            for name in current where FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path) {
                try move(folder.appendingPathComponent(name), aside.appendingPathComponent(name))
            }
            if manifest.database == "sqlite" {
                try move(URL(fileURLWithPath: stagedDatabase), folder.appendingPathComponent("zayavka.sqlite"))
            }
            let stagedAttachments = staging.appendingPathComponent("attachments")
            if FileManager.default.fileExists(atPath: stagedAttachments.path) {
                try move(stagedAttachments, folder.appendingPathComponent("attachments"))
            }
        } catch {
            for step in moves.reversed() { try? FileManager.default.moveItem(at: step.to, to: step.from) }
            throw Backup.Failure(description: "could not move the restored data in (\(error)); the desk's data was put back as it was.")
        }
        done = true
        try? FileManager.default.removeItem(at: staging)
        let keptAside = FileManager.default.fileExists(atPath: aside.path) ? aside.path : nil
        return Outcome(manifest: manifest, keptAside: keptAside)
    }

    /// Where an archive entry goes in the staging folder: only `database/zayavka.sqlite` and files
    /// under `attachments/`, never outside (no `..`, no absolute names).
    static func stagedPath(for name: String, in staging: URL) throws -> String {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        let safe = !name.hasPrefix("/") && !parts.contains("..") && !parts.contains("") && !parts.contains(".")
        guard safe, name == "database/zayavka.sqlite" || (parts.first == "attachments" && parts.count >= 2) else {
            throw Backup.Failure(description: "the backup holds an unexpected entry \(name) (damaged or not a Zayavka backup). Nothing was changed.")
        }
        return staging.appendingPathComponent(name).path
    }
}

/// An advisory lock on `<data>/zayavka.lock`: every process that opens the desk (the server, its
/// commands) holds it shared, so `restore`, which needs it exclusive, refuses while any of them runs.
final class DataLock: @unchecked Sendable {
    private var descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// The lock, or nil when another process holds it in a conflicting way.
    static func acquire(_ folder: URL, exclusive: Bool) throws -> DataLock? {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("zayavka.lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Backup.Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0 else {
            let error = errno
            close(fd)
            if error == EWOULDBLOCK { return nil }
            throw Backup.Failure(description: "cannot lock \(path): \(String(cString: strerror(error)))")
        }
        return DataLock(descriptor: fd)
    }

    func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
