import Foundation
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore

@Suite("Backup and restore", .serialized)
struct BackupTests {
    /// Every table's rows as text, ordered: what "the same data" means.
    static func dump(_ sql: any SQLDatabase) async throws -> [String: [String]] {
        let tables = try await sql.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all()
            .map { try $0.decode(column: "name", as: String.self) }
        var result: [String: [String]] = [:]
        for table in tables {
            let rows = try await sql.raw("SELECT * FROM \(ident: table)").all()
            result[table] = try rows.map { row in
                try row.allColumns.sorted().map { column in
                    let value = (try? row.decode(column: column, as: String?.self)) ?? (try? row.decode(column: column, as: Double?.self)).map { $0.map { "\($0)" } } ?? nil
                    return "\(column)=\(value ?? "NULL")"
                }.joined(separator: "|")
            }.sorted()
        }
        return result
    }

    static func files(in folder: URL) throws -> [String: Data] {
        var result: [String: Data] = [:]
        for key in Backup.attachmentKeys(in: folder.appendingPathComponent("attachments")) {
            result[key] = try Data(contentsOf: folder.appendingPathComponent("attachments").appendingPathComponent(key))
        }
        return result
    }

    @Test("a backup taken under write load restores into a fresh folder with every acknowledged ticket, every table and every file")
    func underLoad() async throws {
        let archive = FileManager.default.temporaryDirectory.appendingPathComponent("zayavka-backup-\(UUID().uuidString).tar").path
        let quiet = archive + ".quiet.tar"
        defer { try? FileManager.default.removeItem(atPath: archive); try? FileManager.default.removeItem(atPath: quiet) }
        var liveDump: [String: [String]] = [:]
        var liveFiles: [String: Data] = [:]
        var acknowledged: [Int] = []
        try await TestServer.with(.sqlite) { server in
            let token = server.adminToken
            let upload = try await server.request(.POST, "/api/v1/attachments?filename=%D0%B0%D0%BA%D1%82.pdf", token: token,
                                                  body: Data("%PDF-1.4 акт сверки".utf8), headers: [("Content-Type", "application/pdf")])
            let attachment = try #require((upload["attachments"] as? [[String: Any]])?.first?["id"] as? String)
            let first = try await server.makeTicket(token: token, extra: ["attachments": [attachment], "requester_email": "ivan@backup.ru"])
            acknowledged.append(try #require(first["number"] as? Int))

            // Tickets keep coming while the backup is taken.
            let load = Task {
                var numbers: [Int] = []
                for index in 0..<60 {
                    let reply = try await server.makeTicket(token: token, subject: "Под нагрузкой \(index)")
                    if let number = reply["number"] as? Int { numbers.append(number) }
                }
                return numbers
            }
            try await Task.sleep(for: .milliseconds(50))
            let before = try await server.sql.raw("SELECT number FROM tickets").all().map { try $0.decode(column: "number", as: Int.self) }
            let manifest = try await Backup.write(app: server.app, to: archive)
            _ = try await load.value
            #expect(manifest.database == "sqlite" && manifest.files.contains { $0.name == "database/zayavka.sqlite" })
            #expect(manifest.files.filter { $0.name.hasPrefix("attachments/") }.count == 1)
            #expect((manifest.tables["tickets"] ?? 0) >= before.count)
            acknowledged += before

            // Restoring into the running desk's own folder is refused, and changes nothing.
            let files = try Self.files(in: server.dataDirectory)
            await #expect(throws: Backup.Failure.self) {
                try await Restore.run(archive: archive, dataDirectory: server.dataDirectory, postgres: false)
            }
            #expect(try Self.files(in: server.dataDirectory) == files)

            // A quiet backup compares table by table with the desk it came from (the background
            // workers may still be finishing: the same data before and after the backup).
            for _ in 0..<10 {
                let earlier = try await Self.dump(server.sql)
                _ = try await Backup.write(app: server.app, to: quiet)
                liveDump = try await Self.dump(server.sql)
                if earlier == liveDump { break }
                try await Task.sleep(for: .milliseconds(300))
            }
            liveFiles = files
            // The comparison below compares values, not placeholders.
            #expect(liveDump["tickets"]?.contains { $0.contains("subject=Под нагрузкой 59") } == true)
            #expect(liveDump["users"]?.contains { $0.contains("email=ivan@backup.ru") } == true)
        }

        // Into a fresh folder, and a server on it serves what was acknowledged before the backup.
        try await TestServer.with(.sqlite, before: { folder, _ in
            let outcome = try await Restore.run(archive: archive, dataDirectory: folder, postgres: false)
            #expect(outcome.keptAside == nil)
        }) { restored in
            let numbers = Set(try await restored.sql.raw("SELECT number FROM tickets").all().map { try $0.decode(column: "number", as: Int.self) })
            #expect(Set(acknowledged).isSubset(of: numbers))
            let ticket = try await restored.request(.GET, "/api/v1/tickets/\(acknowledged[0])/comments", token: restored.adminToken)
            let file = try #require(ticket.items.first?["attachments"] as? [[String: Any]]).first
            let download = try await restored.request(.GET, try #require(file?["url"] as? String), token: restored.adminToken)
            #expect(download.status == .ok && download.text == "%PDF-1.4 акт сверки")
            // Each restored ticket is whole: its first comment and its created event.
            let orphans = try await restored.sql.raw("""
                SELECT COUNT(*) AS n FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM comments c WHERE c.ticket_id = t.id)
                   OR NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'created')
                """).first()!.decode(column: "n", as: Int.self)
            #expect(orphans == 0)
        }

        // The quiet one: every table and every file the same as the desk it came from.
        let fresh = FileManager.default.temporaryDirectory.appendingPathComponent("zayavka-restore-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: fresh) }
        _ = try await Restore.run(archive: quiet, dataDirectory: fresh, postgres: false)
        #expect(try Self.files(in: fresh) == liveFiles)
        try await TestServer.with(.sqlite, before: { folder, _ in
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: fresh.appendingPathComponent("zayavka.sqlite"), to: folder.appendingPathComponent("zayavka.sqlite"))
        }) { restored in
            let restoredDump = try await Self.dump(restored.sql)
            for table in liveDump.keys.sorted() where table != "web_sessions" && table != "api_tokens" {
                #expect(restoredDump[table] == liveDump[table], "table \(table) differs")
            }
        }
    }

    @Test("a damaged or foreign file is refused and the desk's folder is left exactly as it was; a second restore keeps the replaced data aside")
    func damaged() async throws {
        let archive = FileManager.default.temporaryDirectory.appendingPathComponent("zayavka-backup-\(UUID().uuidString).tar").path
        defer { try? FileManager.default.removeItem(atPath: archive) }
        try await TestServer.with(.sqlite) { server in
            _ = try await server.makeTicket(token: server.adminToken)
            _ = try await Backup.write(app: server.app, to: archive)
        }
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("zayavka-restore-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: target) }
        _ = try await Restore.run(archive: archive, dataDirectory: target, postgres: false)
        func listing() throws -> [String: Int] {
            var result: [String: Int] = [:]
            for case let url as URL in FileManager.default.enumerator(at: target, includingPropertiesForKeys: nil)! {
                result[url.lastPathComponent] = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? -1
            }
            return result
        }
        let before = try listing()
        let original = try Data(contentsOf: URL(fileURLWithPath: archive))
        var variants: [(String, Data)] = [
            ("truncated", original.prefix(original.count / 2)),
            ("empty", Data()),
            ("not a tar", Data(repeating: 0x41, count: 4096)),
        ]
        var flipped = original
        flipped[flipped.count / 3] ^= 0xFF
        variants.append(("a flipped byte", flipped))
        var header = original
        header[100] ^= 0x01
        variants.append(("a damaged header", header))
        for (what, bytes) in variants {
            try bytes.write(to: URL(fileURLWithPath: archive + ".bad"))
            await #expect(throws: Backup.Failure.self, "\(what)") {
                try await Restore.run(archive: archive + ".bad", dataDirectory: target, postgres: false)
            }
            #expect(try listing() == before, "\(what) changed the folder")
        }
        try? FileManager.default.removeItem(atPath: archive + ".bad")
        await #expect(throws: Backup.Failure.self) { try await Restore.run(archive: archive, dataDirectory: target, postgres: true) }
        // A good one over an existing desk: the old data is kept aside, not deleted.
        let second = try await Restore.run(archive: archive, dataDirectory: target, postgres: false)
        let aside = try #require(second.keptAside)
        #expect(FileManager.default.fileExists(atPath: aside + "/zayavka.sqlite"))
    }

    @Test("the archive is a tar any tar reads; long names, and an entry trying to leave the folder, are handled")
    func tarFormat() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("zayavka-tar-\(UUID().uuidString).tar").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: path))
        var writer = Tar.Writer(handle: handle)
        let long = "attachments/" + String(repeating: "ab/", count: 40) + "file.bin"
        try writer.add(name: long, data: Data("long".utf8))
        try writer.add(name: "manifest.json", data: Data("{}".utf8))
        try writer.finish()
        try handle.close()
        let listed = Process()
        listed.executableURL = URL(fileURLWithPath: "/usr/bin/tar")
        listed.arguments = ["tf", path]
        let pipe = Pipe()
        listed.standardOutput = pipe
        try listed.run()
        listed.waitUntilExit()
        let names = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(listed.terminationStatus == 0 && names == [long, "manifest.json"])
        var read: [String: String] = [:]
        let input = try #require(FileHandle(forReadingAtPath: path))
        try Tar.read(input) { name, _, next in
            var data = Data()
            while let chunk = try next() { data += chunk }
            read[name] = String(decoding: data, as: UTF8.self)
        }
        #expect(read == [long: "long", "manifest.json": "{}"])
        let staging = URL(fileURLWithPath: "/tmp/staging")
        for hostile in ["../etc/passwd", "/etc/passwd", "attachments/../../x", "database/other.sqlite", "attachments", "attachments//x"] {
            #expect(throws: Backup.Failure.self, "\(hostile)") { try Restore.stagedPath(for: hostile, in: staging) }
        }
        #expect(try Restore.stagedPath(for: "attachments/ab/cd/x", in: staging) == "/tmp/staging/attachments/ab/cd/x")
    }

    @Test("on PostgreSQL the backup holds the attachments and restores them; the database is pg_dump's")
    func postgresAttachments() async throws {
        guard case .postgres = TestDatabase.all.last else { return }
        let archive = FileManager.default.temporaryDirectory.appendingPathComponent("zayavka-backup-\(UUID().uuidString).tar").path
        defer { try? FileManager.default.removeItem(atPath: archive) }
        try await TestServer.with(TestDatabase.all.last!) { server in
            let upload = try await server.request(.POST, "/api/v1/attachments?filename=scan.png", token: server.adminToken,
                                                  body: Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3]), headers: [("Content-Type", "image/png")])
            #expect(upload.status == .created)
            let manifest = try await Backup.write(app: server.app, to: archive)
            #expect(manifest.database == "postgresql" && manifest.tables.isEmpty)
            #expect(manifest.files.map(\.name).allSatisfy { $0.hasPrefix("attachments/") } && manifest.files.count == 1)
        }
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("zayavka-restore-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: target) }
        await #expect(throws: Backup.Failure.self) { try await Restore.run(archive: archive, dataDirectory: target, postgres: false) }
        _ = try await Restore.run(archive: archive, dataDirectory: target, postgres: true)
        #expect(try Self.files(in: target).values.first == Data([0x89, 0x50, 0x4E, 0x47, 1, 2, 3]))
    }
}
