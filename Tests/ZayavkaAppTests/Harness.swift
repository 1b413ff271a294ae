import Fluent
import Foundation
import NIOCore
import SQLKit
import Testing
import Vapor
@testable import ZayavkaApp
import ZayavkaCore

/// The databases every API test runs on: SQLite always, PostgreSQL when
/// ZAYAVKA_TEST_DATABASE_URL is set (CI always sets it).
enum TestDatabase: CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres(String)

    static var all: [TestDatabase] {
        var result: [TestDatabase] = [.sqlite]
        if let url = ProcessInfo.processInfo.environment["ZAYAVKA_TEST_DATABASE_URL"], !url.isEmpty { result.append(.postgres(url)) }
        return result
    }

    var testDescription: String {
        switch self {
        case .sqlite: "SQLite"
        case .postgres: "PostgreSQL"
        }
    }
}

/// A real Zayavka server on a free port with a fresh database, and an HTTP client that talks to it.
final class TestServer: @unchecked Sendable {
    // Used from one test at a time.
    let app: Application
    let baseURL: String
    let dataDirectory: URL
    let database: TestDatabase
    let schema: String?
    /// A second instance on another server's database: it neither owns nor removes that data.
    let shared: Bool
    var adminToken = ""

    static let adminEmail = "admin@test.local"
    static let adminPassword = "admin-password-1"

    private init(app: Application, baseURL: String, dataDirectory: URL, database: TestDatabase, schema: String?, shared: Bool) {
        self.app = app
        self.baseURL = baseURL
        self.dataDirectory = dataDirectory
        self.database = database
        self.schema = schema
        self.shared = shared
    }

    /// Starts a server, runs `body`, and always stops it and removes its data.
    /// `before` runs once the data folder and PostgreSQL schema are chosen and before the server
    /// starts (and migrates): upgrade tests put an earlier release's database there.
    static func with(_ database: TestDatabase, environment extra: [String: String] = [:], sharing other: TestServer? = nil,
                     before: ((URL, String?) async throws -> Void)? = nil,
                     _ body: (TestServer) async throws -> Void) async throws {
        let directory = other?.dataDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("zayavka-test-\(UUID().uuidString)")
        // Load limits off unless a test sets them: tests send requests faster than any person.
        var environment = ["ZAYAVKA_BCRYPT_COST": "4", "ZAYAVKA_LIMIT_ADDRESS": "off", "ZAYAVKA_LIMIT_ACCOUNT": "off", "ZAYAVKA_ADMIN_EMAIL": adminEmail, "ZAYAVKA_ADMIN_PASSWORD": adminPassword,
                           "ZAYAVKA_TOKEN_CACHE_SECONDS": "0"]
        var schema: String?
        if case .postgres(let url) = database {
            schema = other?.schema ?? "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            environment["DATABASE_URL"] = url
            environment["ZAYAVKA_DATABASE_SCHEMA"] = schema!
        }
        environment.merge(extra) { _, new in new }
        if let before { try await before(directory, schema) }
        let configuration = try AppConfiguration.load(environment: environment, dataDirectoryOverride: directory.path)
        let app = try await Application.make(.testing)
        app.logger.logLevel = .error
        // Web tests look at redirects themselves.
        app.http.client.configuration.redirectConfiguration = .disallow
        // Tests that fire 200 requests at once queue them behind the client's 8 connections; on a loaded CI machine
        // the last ones wait longer than the 10 s default for a pooled connection (getConnectionFromPoolTimeout).
        app.http.client.configuration.timeout.connect = .seconds(120)
        // A failing test body has stopped the server already; shutting the application down twice traps.
        var stopped = false
        do {
            try await configure(app, configuration: configuration)
            app.http.server.configuration.port = 0
            app.http.server.configuration.hostname = "127.0.0.1"
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            guard let port = app.http.server.shared.localAddress?.port else { throw Abort(.internalServerError, reason: "no port") }
            let server = TestServer(app: app, baseURL: "http://127.0.0.1:\(port)", dataDirectory: directory, database: database,
                                    schema: schema, shared: other != nil)
            server.adminToken = try await server.token(email: environment["ZAYAVKA_ADMIN_EMAIL"] ?? adminEmail,
                                                       password: environment["ZAYAVKA_ADMIN_PASSWORD"] ?? adminPassword)
            do {
                try await body(server)
            } catch {
                await server.stop()
                stopped = true
                throw error
            }
            await server.stop()
        } catch {
            if !stopped { try? await app.asyncShutdown() }
            if other == nil { try? FileManager.default.removeItem(at: directory) }
            throw error
        }
    }

    private func stop() async {
        if let schema, !shared { try? await (app.db as! any SQLDatabase).raw("DROP SCHEMA \(ident: schema) CASCADE").run() }
        await app.server.shutdown()
        try? await app.asyncShutdown()
        if !shared { try? FileManager.default.removeItem(at: dataDirectory) }
    }

    var sql: any SQLDatabase { app.db as! any SQLDatabase }

    /// The application layer's view of a person (default: the admin) at a moment, as a request
    /// would build it: a test acts yesterday or next month through the services instead of
    /// rewriting rows afterwards.
    func context(email: String = TestServer.adminEmail, at now: Date = Date()) async throws -> ServiceContext {
        let row = try await sql.raw("""
            SELECT \(unsafeRaw: SignedIn.columns) FROM users u LEFT JOIN organizations o ON o.id = u.organization_id
            WHERE u.email = \(bind: email)
            """).first()
        let signedIn = try SignedIn.from(try #require(row), defaultLanguage: .ru)
        return ServiceContext(application: app, signedIn: try #require(signedIn), now: now)
    }

    // MARK: HTTP

    struct Reply: Sendable {
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let body: Data

        var json: Any { (try? JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed])) ?? NSNull() }
        var object: [String: Any] { json as? [String: Any] ?? [:] }
        var items: [[String: Any]] { object["items"] as? [[String: Any]] ?? [] }
        var text: String { String(decoding: body, as: UTF8.self) }
        var errorCode: String? { (object["error"] as? [String: Any])?["code"] as? String }
        var errorMessage: String? { (object["error"] as? [String: Any])?["message"] as? String }
        subscript(key: String) -> Any? { object[key] }
    }

    @discardableResult
    func request(_ method: HTTPMethod, _ path: String, token: String? = nil, json: Any? = nil, body: Data? = nil,
                 headers extra: [(String, String)] = []) async throws -> Reply {
        var headers = HTTPHeaders()
        if let token { headers.add(name: .authorization, value: "Bearer \(token)") }
        for (name, value) in extra { headers.add(name: name, value: value) }
        var buffer: ByteBuffer?
        if let json {
            buffer = ByteBuffer(data: try JSONSerialization.data(withJSONObject: json))
            headers.replaceOrAdd(name: .contentType, value: "application/json")
        } else if let body {
            buffer = ByteBuffer(data: body)
        }
        let response = try await app.client.send(method, headers: headers, to: URI(string: baseURL + path)) { request in
            request.body = buffer
        }
        let data = response.body.map { Data(buffer: $0) } ?? Data()
        return Reply(status: response.status, headers: response.headers, body: data)
    }

    /// Follows `next_cursor` from `path` (which has a query string) and returns every item, checking each page.
    func collect(_ path: String, token: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> [[String: Any]] {
        var items: [[String: Any]] = []
        var cursor: String?
        repeat {
            let page = try await request(.GET, path + (cursor.map { "&cursor=\($0)" } ?? ""), token: token)
            #expect(page.status == .ok, sourceLocation: sourceLocation)
            items += page.items
            cursor = page["next_cursor"] as? String
        } while cursor != nil && items.count < 10_000
        return items
    }

    func token(email: String, password: String) async throws -> String {
        let reply = try await request(.POST, "/api/v1/auth/token", json: ["email": email, "password": password])
        guard reply.status == .created, let token = reply["token"] as? String else {
            throw Abort(.internalServerError, reason: "sign-in failed: \(reply.status) \(reply.text)")
        }
        return token
    }

    /// Creates a user through the API and returns (id, token).
    func makeUser(_ email: String, name: String = "Тест", role: Role, organizationID: Int? = nil,
                  locale: Language = .ru) async throws -> (id: Int, token: String) {
        var json: [String: Any] = ["email": email, "name": name, "role": role.rawValue, "password": "password-\(email)",
                                   "locale": locale.rawValue]
        if let organizationID { json["organization_id"] = organizationID }
        let reply = try await request(.POST, "/api/v1/users", token: adminToken, json: json)
        guard reply.status == .created, let id = reply["id"] as? Int else {
            throw Abort(.internalServerError, reason: "user creation failed: \(reply.status) \(reply.text)")
        }
        return (id, try await token(email: email, password: "password-\(email)"))
    }

    func makeTicket(token: String, subject: String = "Не печатается чек", extra: [String: Any] = [:]) async throws -> Reply {
        var json: [String: Any] = ["subject": subject, "body": "Принтер чеков пишет ошибку 0x1F при печати."]
        json.merge(extra) { _, new in new }
        return try await request(.POST, "/api/v1/tickets", token: token, json: json)
    }

    // MARK: Contract

    /// Checks a response body against the OpenAPI document's schema for it.
    func expectConforms(_ value: Any, to schemaName: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let problems = SchemaCheck.problems(value, .ref(schemaName), path: schemaName)
        #expect(problems.isEmpty, "response does not match \(schemaName): \(problems)", sourceLocation: sourceLocation)
    }
}

/// Validates decoded JSON against the API's JSON Schema subset.
enum SchemaCheck {
    static func problems(_ value: Any, _ schema: JSONSchema, path: String) -> [String] {
        switch schema {
        case .ref(let name):
            guard let target = OpenAPIDocument.schemas[name] else { return ["\(path): unknown schema \(name)"] }
            return problems(value, target, path: path)
        case .nullable(let inner):
            return value is NSNull ? [] : problems(value, inner, path: path)
        case .string, .binary:
            return value is String ? [] : ["\(path): expected string, got \(value)"]
        case .dateTime:
            guard let text = value as? String, (try? Date(text, strategy: .iso8601)) != nil else { return ["\(path): expected date-time, got \(value)"] }
            return []
        case .date:
            guard let text = value as? String, text.count == 10 else { return ["\(path): expected date, got \(value)"] }
            return []
        case .enumeration(let allowed):
            guard let text = value as? String, allowed.contains(text) else { return ["\(path): \(value) not in \(allowed)"] }
            return []
        case .integer:
            guard let number = value as? NSNumber, !isBool(number), number.doubleValue == number.doubleValue.rounded() else {
                return ["\(path): expected integer, got \(value)"]
            }
            return []
        case .number:
            guard let number = value as? NSNumber, !isBool(number) else { return ["\(path): expected number, got \(value)"] }
            return []
        case .boolean:
            guard let number = value as? NSNumber, isBool(number) else { return ["\(path): expected boolean, got \(value)"] }
            return []
        case .array(let item):
            guard let array = value as? [Any] else { return ["\(path): expected array"] }
            return array.enumerated().flatMap { problems($0.element, item, path: "\(path)[\($0.offset)]") }
        case .map(let item):
            guard let object = value as? [String: Any] else { return ["\(path): expected object"] }
            return object.flatMap { problems($0.value, item, path: "\(path).\($0.key)") }
        case .object(let properties, let required):
            guard let object = value as? [String: Any] else { return ["\(path): expected object"] }
            var result: [String] = []
            for key in required where object[key] == nil { result.append("\(path).\(key): missing") }
            for (key, child) in object {
                guard let schema = properties.first(where: { $0.0 == key })?.1 else {
                    result.append("\(path).\(key): not in the schema")
                    continue
                }
                result += problems(child, schema, path: "\(path).\(key)")
            }
            return result
        }
    }

    private static func isBool(_ number: NSNumber) -> Bool {
        String(cString: number.objCType) == "c"
    }
}
