import Fluent
import Foundation
import SQLKit
import Vapor

/// `zayavka search reindex`: builds the full-text index of articles and ticket messages again
/// (after restoring a backup made by hand, or to check the index). The desk may keep running:
/// the rebuild runs in batches of a few thousand rows, each its own transaction, and writes that
/// land meanwhile index themselves (a batch replaces the entries of the rows it reads).
struct SearchCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "action", help: "reindex")
        var action: String
    }

    var help: String { "Search index maintenance: `search reindex` rebuilds it." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard signature.action == "reindex" else {
            context.console.error("Unknown action '\(signature.action)'; use: zayavka search reindex")
            throw ExitCode(2)
        }
        let app = context.application
        try await app.autoMigrate()
        let started = Date()
        let console = context.console
        let services = app.services
        let db = app.db
        // One transaction a batch, through the write gate: the desk keeps writing meanwhile.
        try await SearchIndex.rebuild(on: db as! any SQLDatabase, runner: { work in
            try await services.write(on: db) { db in try await work(db as! any SQLDatabase) }
        }, progress: { done in
            if done % 100_000 < 5000 { console.print("… \(done) entries") }
        })
        let row = try await (app.db as! any SQLDatabase).raw("SELECT COUNT(*) AS n FROM search_docs").first()
        let count = try row?.decode(column: "n", as: Int.self) ?? 0
        console.print("Search index rebuilt: \(count) entries in \(String(format: "%.1f", Date().timeIntervalSince(started))) s.")
    }
}
