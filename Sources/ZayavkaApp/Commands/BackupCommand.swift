import Foundation
import Vapor

/// `zayavka backup FILE`: a consistent copy of the running desk (see `Backup`).
struct BackupCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "file", help: "where to write the backup (a tar file)")
        var file: String
    }

    var help: String { "Writes a consistent backup of the desk (database and attachments) while it runs: `backup FILE`." }

    func run(using context: CommandContext, signature: Signature) async throws {
        let started = Date()
        let manifest: Backup.Manifest
        do {
            manifest = try await Backup.write(app: context.application, to: signature.file)
        } catch {
            context.console.error("The backup was not written: \(error)")
            throw ExitCode(1)
        }
        let bytes = manifest.files.reduce(0) { $0 + $1.size }
        let attachments = manifest.files.filter { $0.name.hasPrefix("attachments/") }.count
        let what = manifest.database == "sqlite"
            ? "the SQLite database (\(manifest.tables.values.reduce(0, +)) rows in \(manifest.tables.count) tables) and \(attachments) attachments"
            : "\(attachments) attachments (the PostgreSQL database is backed up with pg_dump: docs/operations.md)"
        context.console.print(String(format: "Backup written to %@: %@, %.1f MB, in %.1f s.", signature.file, what,
                                     Double(bytes) / 1_048_576, Date().timeIntervalSince(started)))
    }
}

/// `zayavka restore FILE`: runs before the application starts (it must not open the database).
enum RestoreCommand {
    static func run(arguments: [String], configuration: AppConfiguration) async -> Int32 {
        guard let file = arguments.first(where: { !$0.hasPrefix("-") }) else {
            FileHandle.standardError.write(Data("usage: zayavka restore FILE [--data-dir DIR]\n".utf8))
            return 64
        }
        do {
            let outcome = try await Restore.run(archive: file, dataDirectory: configuration.dataDirectory,
                                                postgres: configuration.databaseURL != nil)
            let attachments = outcome.manifest.files.filter { $0.name.hasPrefix("attachments/") }.count
            var lines = ["Restored \(file) (made \(ISO8601DateFormatter().string(from: outcome.manifest.createdAt))) into \(configuration.dataDirectory.path): "
                         + (outcome.manifest.database == "sqlite" ? "the database and " : "") + "\(attachments) attachments."]
            if let aside = outcome.keptAside { lines.append("The data it replaced is kept in \(aside).") }
            if outcome.manifest.database == "postgresql" { lines.append("Restore the PostgreSQL database with pg_restore (docs/operations.md).") }
            print(lines.joined(separator: "\n"))
            return 0
        } catch {
            FileHandle.standardError.write(Data("zayavka restore: \(error)\n".utf8))
            return 1
        }
    }
}
