import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// What the application layer needs of its caller, whoever that is: the person acting, their
/// language, the database, the services, the moment the work happens and the channel it came
/// through. An HTTP request makes one in one place (`Request.context`); mail intake, the periodic
/// jobs and tests make one directly, with no HTTP request behind it. `now` is the time every write
/// of the operation records, so a test can set it instead of rewriting rows afterwards.
struct ServiceContext: Sendable {
    let signedIn: SignedIn?
    let language: Language
    let db: any Database
    let services: AppServices
    let now: Date
    /// Mail intake: the channel a ticket gets and the message it came from.
    let mailIntake: MailIntakeContext?
    /// For file I/O (uploads): the thread pool and event loops.
    let application: Application
    /// Where the caller is (an IP address; "unknown" when there is none), for sign-in limits.
    var clientAddress = "unknown"
    /// How the caller signed in: kept when they change their own password, every other one ends.
    var credential: Credential?

    enum Credential: Sendable, Equatable {
        case webSession(id: Int)
        case token(hash: String)
    }

    init(application: Application, signedIn: SignedIn?, language: Language? = nil, db: (any Database)? = nil,
         now: Date = Date(), mailIntake: MailIntakeContext? = nil) {
        self.application = application
        self.signedIn = signedIn
        self.language = language ?? signedIn?.language ?? application.services.configuration.defaultLanguage
        self.db = db ?? application.db
        self.services = application.services
        self.now = now
        self.mailIntake = mailIntake
    }

    /// The desk acting on its own (periodic jobs): nobody signed in, the default language.
    static func system(_ application: Application, at now: Date = Date()) -> ServiceContext {
        ServiceContext(application: application, signedIn: nil, now: now)
    }

    /// The same names a request offers, so service code reads the same whoever calls it.
    var database: any Database { db }
    var sql: any SQLDatabase { db as! any SQLDatabase }
    var logger: Logger { application.logger }

    /// The person acting; 401 when nobody is signed in.
    var person: SignedIn {
        get throws {
            guard let signedIn else { throw ZayavkaError.unauthenticated }
            return signedIn
        }
    }

    var viewer: Viewer {
        get throws { try person.viewer }
    }

    /// Throws `.forbidden` unless the viewer's role has `permission`.
    func require(_ permission: Permission) throws {
        guard try viewer.role.can(permission) else { throw ZayavkaError.forbidden(reason: "\(permission)") }
    }

    /// The same work at another moment (tests, replays) or by another person.
    func at(_ moment: Date) -> ServiceContext {
        var moved = ServiceContext(application: application, signedIn: signedIn, language: language, db: db, now: moment, mailIntake: mailIntake)
        moved.clientAddress = clientAddress
        moved.credential = credential
        return moved
    }

    /// A database transaction that SQLite runs alone (see `WriteGate`).
    func write<T: Sendable>(file: String = #fileID, line: Int = #line,
                            _ work: @escaping @Sendable (any Database) async throws -> T) async throws -> T {
        try await services.write(on: db, file: file, line: line, work)
    }
}

extension Request {
    /// The application layer's view of this request: built here and nowhere else.
    var context: ServiceContext {
        get throws {
            var context = ServiceContext(application: application, signedIn: signedInIfAny, language: language, db: try database)
            context.clientAddress = clientAddress
            if let session = webSession {
                context.credential = .webSession(id: session.id)
            } else if let hash = bearerTokenHash {
                context.credential = .token(hash: hash)
            }
            return context
        }
    }
}
