import Foundation
import Vapor

/// `zayavka openapi`: prints the OpenAPI 3.1 document (the same one the server serves).
struct OpenAPICommand: AsyncCommand {
    struct Signature: CommandSignature {}

    var help: String { "Prints the API's OpenAPI 3.1 document as JSON." }

    func run(using context: CommandContext, signature: Signature) async throws {
        try Self.write(serverURL: context.application.services.configuration.publicURL)
    }

    /// Writes the document to standard output. `zayavka openapi` calls this before any application or
    /// database is set up, so it touches no file (no `./data`, no database).
    static func write(serverURL: String) throws {
        let document = OpenAPIDocument.document(serverURL: serverURL)
        let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data("\n".utf8))
    }
}
