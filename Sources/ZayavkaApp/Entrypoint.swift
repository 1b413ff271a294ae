import Foundation
import Logging
import Vapor

/// Runs the `zayavka` command line: `serve` (default), `reset-database`, and Vapor's own commands.
public enum Zayavka {
    public static func main() async throws {
        var arguments = CommandLine.arguments
        // --data-dir and --smtp-port are ours, not Vapor's: take them out before Vapor parses the rest.
        func takeOption(_ name: String) -> String? {
            guard let index = arguments.firstIndex(where: { $0 == name || $0.hasPrefix(name + "=") }) else { return nil }
            if arguments[index].contains("=") {
                defer { arguments.remove(at: index) }
                return String(arguments[index].split(separator: "=", maxSplits: 1)[1])
            } else if index + 1 < arguments.count {
                defer { arguments.removeSubrange(index...(index + 1)) }
                return arguments[index + 1]
            }
            return nil
        }
        let dataDirectory = takeOption("--data-dir")
        let smtpPort = takeOption("--smtp-port")
        let configuration: AppConfiguration
        do {
            configuration = try AppConfiguration.load(dataDirectoryOverride: dataDirectory, smtpPortOverride: smtpPort)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            exit(arguments.dropFirst().first { !$0.hasPrefix("-") } == "mail" ? 75 : 2)
        }
        // `restore` must not open the database it replaces: it runs before the application.
        if arguments.dropFirst().first(where: { !$0.hasPrefix("-") }) == "restore" {
            exit(await RestoreCommand.run(arguments: Array(arguments.dropFirst().drop(while: { $0 != "restore" }).dropFirst()),
                                          configuration: configuration))
        }
        if arguments.dropFirst().first(where: { !$0.hasPrefix("-") }) == "openapi", !arguments.contains("--help") {
            try OpenAPICommand.write(serverURL: configuration.publicURL)
            return
        }
        var environment = try Environment.detect(arguments: arguments)
        try bootstrapLogging(format: configuration.logFormat, environment: &environment)
        let app = try await Application.make(environment)
        app.asyncCommands.use(ResetDatabaseCommand(), as: "reset-database")
        app.asyncCommands.use(SearchCommand(), as: "search")
        app.asyncCommands.use(ReportsCommand(), as: "reports")
        app.asyncCommands.use(OpenAPICommand(), as: "openapi")
        app.asyncCommands.use(MailCommand(), as: "mail")
        app.asyncCommands.use(BackupCommand(), as: "backup")
        let command = arguments.dropFirst().first { !$0.hasPrefix("-") }
        do {
            try await configure(app, configuration: configuration, prepare: !["reset-database", "openapi"].contains(command ?? "serve"),
                                background: (command ?? "serve") == "serve")
            try await app.execute()
        } catch let exit as ExitCode {
            try? await app.asyncShutdown()
            Foundation.exit(exit.code)
        } catch {
            app.logger.report(error: error)
            try? await app.asyncShutdown()
            // An MTA's pipe transport retries on EX_TEMPFAIL and bounces on anything else: a
            // database that cannot be reached must not lose the customer's message.
            if command == "mail" {
                FileHandle.standardError.write(Data("zayavka mail: \(error)\n".utf8))
                Foundation.exit(75)
            }
            throw error
        }
        try await app.asyncShutdown()
    }
}
