import Foundation
import Logging
import Vapor

/// Runs the `zayavka` command line: `serve` (default), `reset-database`, and Vapor's own commands.
public enum Zayavka {
    public static func main() async throws {
        var arguments = CommandLine.arguments
        // --data-dir is ours, not Vapor's: take it out before Vapor parses the rest.
        var dataDirectory: String?
        if let index = arguments.firstIndex(where: { $0 == "--data-dir" || $0.hasPrefix("--data-dir=") }) {
            if arguments[index].contains("=") {
                dataDirectory = String(arguments[index].split(separator: "=", maxSplits: 1)[1])
                arguments.remove(at: index)
            } else if index + 1 < arguments.count {
                dataDirectory = arguments[index + 1]
                arguments.removeSubrange(index...(index + 1))
            }
        }
        let configuration: AppConfiguration
        do {
            configuration = try AppConfiguration.load(dataDirectoryOverride: dataDirectory)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            exit(2)
        }
        var environment = try Environment.detect(arguments: arguments)
        try bootstrapLogging(format: configuration.logFormat, environment: &environment)
        let app = try await Application.make(environment)
        app.asyncCommands.use(ResetDatabaseCommand(), as: "reset-database")
        app.asyncCommands.use(OpenAPICommand(), as: "openapi")
        let command = arguments.dropFirst().first { !$0.hasPrefix("-") }
        do {
            try await configure(app, configuration: configuration, prepare: !["reset-database", "openapi"].contains(command ?? "serve"))
            try await app.execute()
        } catch let exit as ExitCode {
            try? await app.asyncShutdown()
            Foundation.exit(exit.code)
        } catch {
            app.logger.report(error: error)
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }
}
