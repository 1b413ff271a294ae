import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import ZayavkaCore

/// What every handler needs besides the request: configuration, the write gate, caches, storage.
/// One per application, kept in `app.storage`.
final class AppServices: Sendable {
    let configuration: AppConfiguration
    let gate: WriteGate
    let tokens: TokenCache
    let catalog: CatalogCache
    let files: FileStore
    let tickets: TicketBatcher
    let sla: SLASetupCache
    let critical: CriticalRuleCache
    let failureKinds: CriticalRuleCache
    let incidentBanner = IncidentBannerCache()
    let mailTemplates = MailTemplateCache()
    let quality = QualityCache()
    let mailboxes = MailboxDirectory()
    /// The bans in force (issue 19, SPEC X1), checked by every channel.
    let bans = BanDirectory()
    /// Live chat (issue 19): this instance's sockets, and whether anyone is on shift (2 s).
    let chats = ChatHub()
    /// The agents' live queues and ticket pages (issue 20).
    let feed: TicketFeed
    let chatAvailability = RefreshingCache<Bool>(ttl: 2)
    /// Load protection (issue 19, SPEC X2): buckets per address and account, blocks.
    let shield: LoadShield
    /// The reverse proxies whose X-Forwarded-For names the client.
    let trustedProxies: [AddressBlock]
    let mailSignal = MailSignal()
    let inbox: InboxBatcher
    let customers: CustomerBatcher
    let passwords: PasswordHasher
    let signIns = SignInGuard()
    /// Whether any organization lists email domains (mail from a new sender looks its domain up only
    /// then): read at most every 5 seconds, dropped when this instance saves or imports organizations.
    let emailDomainsListed = RefreshingCache<Bool>(ttl: 5)
    /// Bulk writes under way (a problem's broadcast, a mass incident's linking): while any runs, the
    /// notifier waits, so its work does not stretch the bulk batches' hold on the write lock.
    let bulkWrites = BulkWrites()

    init(configuration: AppConfiguration) {
        self.configuration = configuration
        self.gate = WriteGate(serialises: !configuration.usesPostgres)
        self.tokens = TokenCache(ttl: configuration.tokenCacheSeconds)
        self.catalog = CatalogCache()
        let feed = TicketFeed()
        self.feed = feed
        self.tickets = TicketBatcher(gate: gate, committed: { feed.poke() })
        self.inbox = InboxBatcher(gate: gate)
        self.customers = CustomerBatcher(gate: gate)
        self.passwords = PasswordHasher(cost: configuration.bcryptCost)
        self.shield = LoadShield(configuration: configuration)
        self.trustedProxies = configuration.trustedProxies.compactMap(AddressBlock.init)
        self.sla = SLASetupCache()
        self.critical = CriticalRuleCache(.critical)
        self.failureKinds = CriticalRuleCache(.failureKinds)
        self.files = FileStore(root: configuration.dataDirectory.appendingPathComponent("attachments", isDirectory: true),
                               inDatabase: configuration.attachmentsInDatabase)
    }

    /// A database transaction that SQLite runs alone (see `WriteGate`).
    func write<T: Sendable>(on db: any Database, file: String = #fileID, line: Int = #line,
                            _ work: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        let result = try await gate.run(file: file, line: line) { try await db.transaction { try await work($0) } }
        // Committed: this instance's live pages look within 50 ms (a flag; nothing runs without listeners).
        feed.poke()
        return result
    }
}

extension Application {
    private struct ServicesKey: StorageKey { typealias Value = AppServices }

    var services: AppServices {
        get {
            guard let services = storage[ServicesKey.self] else { fatalError("configure(_:) sets up AppServices before routes run") }
            return services
        }
        set { storage[ServicesKey.self] = newValue }
    }
}

extension Request {
    var services: AppServices { application.services }

    /// The database for this request. Fluent's `db` crashes once the databases are shut down, which
    /// a request still running during shutdown can meet: this answers 503 instead.
    var database: any Database {
        get throws {
            guard let database = application.databases.database(logger: logger, on: eventLoop) else {
                throw Abort(.serviceUnavailable, reason: "The server is shutting down.")
            }
            return database
        }
    }

    /// A database transaction that SQLite runs alone (see `WriteGate`).
    func write<T: Sendable>(file: String = #fileID, line: Int = #line,
                            _ work: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await services.write(on: try database, file: file, line: line, work)
    }

    var sql: any SQLDatabase {
        get throws { try database as! any SQLDatabase }
    }
}

/// Configuration that changes rarely and is read on hot paths: loaded at most every `ttl` seconds,
/// and dropped at once when this instance changes it. Other instances see a change within `ttl`.
final class RefreshingCache<Value: Sendable>: Sendable {
    /// The value and when it was loaded, and how many times it was dropped: a load that began before
    /// a drop may have read the old state, so it is returned to its caller but not kept.
    private let box = NIOLockedValueBox<(current: (value: Value, loadedAt: Date)?, generation: Int)>((nil, 0))
    private let ttl: TimeInterval

    init(ttl: TimeInterval = 5) { self.ttl = ttl }

    func value(_ load: () async throws -> Value) async throws -> Value {
        let (current, generation) = box.withLockedValue { $0 }
        if let current, Date().timeIntervalSince(current.loadedAt) < ttl { return current.value }
        let value = try await load()
        box.withLockedValue { if $0.generation == generation { $0.current = (value, Date()) } }
        return value
    }

    func invalidate() {
        box.withLockedValue {
            $0.current = nil
            $0.generation += 1
        }
    }
}

/// Statuses and intake fields, read on every ticket write.
final class CatalogCache: Sendable {
    struct Snapshot: Sendable {
        let workflow: StatusWorkflow
        let statuses: [StatusDefinition]
        let intake: [IntakeFieldDefinition]
    }

    private let cache = RefreshingCache<Snapshot>()

    func snapshot(_ db: any Database) async throws -> Snapshot {
        try await cache.value {
            let statuses = try await StatusRecord.query(on: db).sort(\.$position).all().compactMap(\.definition)
            let intake = try await IntakeFieldRecord.query(on: db).filter(\.$active == true).sort(\.$position).all().map(\.definition)
            return Snapshot(workflow: StatusWorkflow(statuses: statuses), statuses: statuses, intake: intake)
        }
    }

    func invalidate() { cache.invalidate() }
}

/// Checked tokens, by hash, so a request costs no token query while the entry is fresh.
final class TokenCache: Sendable {
    struct Entry: Sendable {
        let tokenID: Int
        let signedIn: SignedIn
        let expiresAt: Date?
        let cachedAt: Date
        var viewer: Viewer { signedIn.viewer }
    }

    private let box = NIOLockedValueBox<[String: Entry]>([:])
    let ttl: TimeInterval

    init(ttl: TimeInterval) { self.ttl = ttl }

    func lookup(_ hash: String, now: Date) -> Entry? {
        box.withLockedValue { entries in
            guard let entry = entries[hash] else { return nil }
            if now.timeIntervalSince(entry.cachedAt) > ttl || (entry.expiresAt.map { $0 <= now } ?? false) {
                entries[hash] = nil
                return nil
            }
            return entry
        }
    }

    func store(_ hash: String, _ entry: Entry) {
        guard ttl > 0 else { return }
        box.withLockedValue { entries in
            if entries.count > 10_000 { entries.removeAll(keepingCapacity: true) }
            entries[hash] = entry
        }
    }

    /// Forgets a user's tokens (after a role change or deactivation on this instance).
    func forget(userID: Int) {
        box.withLockedValue { entries in entries = entries.filter { $0.value.viewer.userID != userID } }
    }

    /// Forgets one token (after a revoke on this instance).
    func forget(tokenID: Int) {
        box.withLockedValue { entries in entries = entries.filter { $0.value.tokenID != tokenID } }
    }

    /// Forgets everything (after an organization change, which affects its members' visibility).
    func forgetAll() {
        box.withLockedValue { $0.removeAll() }
    }
}

/// How many bulk writes this instance is running (see `AppServices.bulkWrites`).
final class BulkWrites: Sendable {
    private let count = NIOLockedValueBox(0)

    var active: Bool { count.withLockedValue { $0 > 0 } }

    /// Runs `work` as a bulk write.
    func run<T: Sendable>(_ work: () async throws -> T) async rethrows -> T {
        count.withLockedValue { $0 += 1 }
        defer { count.withLockedValue { $0 -= 1 } }
        return try await work()
    }
}
