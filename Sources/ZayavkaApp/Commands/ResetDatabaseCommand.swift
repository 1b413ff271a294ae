import Fluent
import Vapor

/// `zayavka reset-database --yes`: reverts every migration, leaving an empty database (benchmarks, tests).
struct ResetDatabaseCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Flag(name: "yes", help: "Confirm that every ticket, user and file record is to be deleted.")
        var yes: Bool
    }

    var help: String { "Drops all Zayavka tables (asks for --yes)." }

    func run(using context: CommandContext, signature: Signature) async throws {
        // The flag is also read from the process arguments: with Vapor 4.122 / ConsoleKit the
        // signature reaches `run` already parsed once, with `--yes` consumed and reported false.
        guard signature.yes || CommandLine.arguments.contains("--yes") else {
            context.console.error("Refusing without --yes: this deletes every ticket, user and record.")
            throw ExitCode(1)
        }
        try await context.application.autoRevert()
        context.console.print("Database reset: all Zayavka tables dropped.")
    }
}

struct ExitCode: Error { let code: Int32; init(_ code: Int32) { self.code = code } }
