import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import Logging
import Metrics
import NIOConcurrencyHelpers
import Prometheus
import SQLKit
import Vapor
import ZayavkaCore

/// The process-wide Prometheus registry; swift-metrics can be bootstrapped once per process.
let prometheusRegistry = PrometheusCollectorRegistry()
private let metricsBootstrapped = NIOLockedValueBox(false)

func bootstrapMetricsOnce() {
    metricsBootstrapped.withLockedValue { done in
        guard !done else { return }
        var factory = PrometheusMetricsFactory(registry: prometheusRegistry)
        factory.defaultDurationHistogramBuckets = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                                                   .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                                   .milliseconds(500), .seconds(1), .seconds(5)]
        MetricsSystem.bootstrap(factory)
        done = true
    }
}

/// Sets up logging for the process: JSON lines (default) or text.
public func bootstrapLogging(format: AppConfiguration.LogFormat, environment: inout Environment) throws {
    let level = Logger.Level(rawValue: ProcessInfo.processInfo.environment["ZAYAVKA_LOG_LEVEL"] ?? "info") ?? .info
    switch format {
    case .json: LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
    case .text: try LoggingSystem.bootstrap(from: &environment)
    }
}

/// Wires the application: database, migrations, the first admin, middleware and routes.
/// `prepare: false` skips migrations and the admin (for commands that manage the schema themselves).
/// `background: true` (serve) also starts the mail listeners and workers.
public func configure(_ app: Application, configuration: AppConfiguration, prepare: Bool = true, background: Bool = false) async throws {
    bootstrapMetricsOnce()
    app.services = AppServices(configuration: configuration)
    try FileManager.default.createDirectory(at: configuration.dataDirectory, withIntermediateDirectories: true)
    // Held (shared) for as long as the application lives: `restore` refuses while any process has the desk open.
    guard let lock = try DataLock.acquire(configuration.dataDirectory, exclusive: false) else {
        throw Backup.Failure(description: "a restore is running in \(configuration.dataDirectory.path); start the desk when it has finished")
    }
    app.storage[DataLockKey.self] = lock
    app.passwords.use(.bcrypt(cost: configuration.bcryptCost))
    app.routes.defaultMaxBodySize = "2mb"
    app.http.server.configuration.serverName = "Zayavka"

    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .iso8601
    encoder.outputFormatting = [.withoutEscapingSlashes]
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    ContentConfiguration.global.use(encoder: encoder, for: .json)
    ContentConfiguration.global.use(decoder: ScreeningJSONDecoder(base: decoder), for: .json)
    ContentConfiguration.global.use(decoder: CheckedFormDataDecoder(), for: .formData)

    try await configureDatabase(app, configuration: configuration)
    Migrations.register(on: app)
    if prepare {
        try await app.autoMigrate()
        try await ensureAdmin(app, configuration: configuration)
    }

    app.middleware = Middlewares()
    app.middleware.use(RouteLoggingMiddleware(logLevel: .info))
    app.middleware.use(WidgetCORSMiddleware())
    app.middleware.use(APIErrorMiddleware())
    app.middleware.use(LoadShieldMiddleware())
    app.middleware.use(InputScreeningMiddleware())
    try routes(app)
    app.lifecycle.use(PeriodicJobs())
    app.lifecycle.use(PasswordHasherShutdown())
    app.lifecycle.use(ChatHubLifecycle())
    // Webhook deliveries (and anything else sent out) never follow redirects: a receiver cannot bounce
    // them to an address the target check refused.
    app.http.client.configuration.redirectConfiguration = .disallow
    if background { app.lifecycle.use(MailWorker()) }
}

private func configureDatabase(_ app: Application, configuration: AppConfiguration) async throws {
    if let url = configuration.databaseURL {
        var postgres = try SQLPostgresConfiguration(url: url)
        if let schema = configuration.databaseSchema { postgres.searchPath = [schema, "public"] }
        // Two connections per event loop: a request's reads need not wait for another's transaction.
        app.databases.use(.postgres(configuration: postgres, maxConnectionsPerEventLoop: 2, connectionPoolTimeout: .seconds(10)), as: .psql)
        if let schema = configuration.databaseSchema {
            try await (app.db as! any SQLDatabase).raw("CREATE SCHEMA IF NOT EXISTS \(ident: schema)").run()
        }
    } else {
        let path = configuration.dataDirectory.appendingPathComponent("zayavka.sqlite").path
        app.databases.use(.sqlite(.file(path)), as: .sqlite)
        // WAL is a property of the file; synchronous=NORMAL is per connection, and Fluent keeps one
        // connection per event loop, so it is set on each of them (≈7× faster commits than FULL; safe in WAL).
        try await (app.db as! any SQLDatabase).raw("PRAGMA journal_mode=WAL").run()
        for eventLoop in app.eventLoopGroup.makeIterator() {
            let db = app.databases.database(.sqlite, logger: app.logger, on: eventLoop)! as! any SQLDatabase
            try await db.raw("PRAGMA synchronous=NORMAL").run()
            try await db.raw("PRAGMA temp_store=MEMORY").run()
        }
    }
}

/// The migrations, in order; they only ever grow.
enum Migrations {
    static let all: [any Migration] = [
        M001CreatePeople(), M002CreateGroups(), M003CreateTokens(), M004CreateStatuses(), M005CreateIntakeFields(),
        M006CreateTickets(), M007CreateConversation(), M008CreateEvents(), M009CreateWorkingTime(), M010CreateSLAClocks(),
        M011CreateWebSessions(), M012CreateMail(), M013CreatePlanning(), M014CreateRouting(), M015CreatePhoneAndDirectory(),
        M016SenderVerification(), M017RepairEditedMigrations(), M018CreateProblems(), M019CreateMassIncidents(),
        M020CreateIdempotencyKeys(), M021CreateAuditEvents(), M022CreateAttachmentChunks(),
        M023EventRedaction(), M024CreateMailEventQueue(), M025CreateLegalHolds(),
        M026CreateKnowledgeBase(), M027CreateSearchIndex(), M028CreateQuality(), M029CreateMailboxes(), M030CreateWebhooks(), M031CreateBans(), M032CreateLoadBlocks(), M033CreateWidgetChats(), M034AgentDay(),
    ]

    static func register(on app: Application) {
        for migration in all { app.migrations.add(migration) }
    }
}

/// Creates the first admin when there is none, and prints how to sign in (the password only when generated).
private func ensureAdmin(_ app: Application, configuration: AppConfiguration) async throws {
    let admins = try await UserRecord.query(on: app.db).filter(\.$role == Role.admin.rawValue).count()
    guard admins == 0 else { return }
    let email = configuration.adminEmail ?? "admin@zayavka.local"
    let generated = configuration.adminPassword == nil
    let password = configuration.adminPassword ?? String((0..<16).map { _ in "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789".randomElement()! })
    let hash = try await app.services.passwords.hash(password)
    if let existing = try await UserRecord.query(on: app.db).filter(\.$email == email).first() {
        existing.role = Role.admin.rawValue
        existing.passwordHash = hash
        try await existing.update(on: app.db)
    } else {
        try await UserRecord(email: email, name: "Администратор", role: .admin, passwordHash: hash).create(on: app.db)
    }
    var message = "\nZayavka admin account created:\n  email:    \(email)\n"
    message += generated ? "  password: \(password)\n  (shown once; change it after signing in)\n" : "  password: the one in ZAYAVKA_ADMIN_PASSWORD\n"
    FileHandle.standardOutput.write(Data(message.utf8))
}

/// Stops the password-hashing threads with the application.
/// The chat sockets' feed (started by the first socket) stops with the server.
private struct ChatHubLifecycle: LifecycleHandler {
    func shutdownAsync(_ application: Application) async {
        await application.services.chats.stop()
        await application.services.feed.stop()
    }
}

private struct PasswordHasherShutdown: LifecycleHandler {
    func shutdown(_ application: Application) { application.services.passwords.shutdown() }
}

/// The data folder's lock, kept in the application's storage (released when it shuts down).
struct DataLockKey: StorageKey {
    typealias Value = DataLock
}
