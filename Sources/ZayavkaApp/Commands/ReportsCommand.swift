import Fluent
import Foundation
import SQLKit
import Vapor

/// `zayavka reports rebuild`: computes the reports' daily rollups again from the tickets, ratings
/// and SLA outcomes (after restoring a backup by hand, or to check them). The desk may keep
/// running: each day is its own transaction, and changes meanwhile mark their days again.
struct ReportsCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "action", help: "rebuild")
        var action: String
    }

    var help: String { "Report rollups: `reports rebuild` computes every day again from the tickets." }

    func run(using context: CommandContext, signature: Signature) async throws {
        guard signature.action == "rebuild" else {
            context.console.error("Unknown action '\(signature.action)'; use: zayavka reports rebuild")
            throw ExitCode(2)
        }
        let app = context.application
        try await app.autoMigrate()
        let started = Date()
        let console = context.console
        let days = try await ReportRollup.rebuild(context: .system(app)) { done in
            if done % 100 == 0 { console.print("… \(done) days") }
        }
        console.print("Report rollups rebuilt: \(days) days in \(String(format: "%.1f", Date().timeIntervalSince(started))) s.")
    }
}
