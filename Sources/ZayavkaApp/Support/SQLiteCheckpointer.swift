import Foundation
import NIOCore
import SQLiteNIO
import Vapor

/// SQLite's write-ahead log grows with every commit until a checkpoint copies it into the database
/// file. Left to itself, the commit that takes the log past 1,000 pages runs that checkpoint — with
/// its fsync, about 100 ms here — while it still holds the write lock, and every other write waits
/// (the benchmark of a mass incident saw it as the only holds over 100 ms). The pooled connections
/// have that switched off (`wal_autocheckpoint=0`, see `configureDatabase`); this handler runs a
/// PASSIVE checkpoint every second on a connection of its own, which never waits for writers or
/// readers and never holds the write gate, and a TRUNCATE checkpoint at shutdown.
struct SQLiteCheckpointer: LifecycleHandler {
    let path: String

    private struct Running: @unchecked Sendable {
        let connection: SQLiteConnection
        let task: RepeatedTask
    }
    private struct RunningKey: StorageKey { typealias Value = Running }

    func didBootAsync(_ application: Application) async throws {
        let eventLoop = application.eventLoopGroup.next()
        let connection = try await SQLiteConnection.open(storage: .file(path: path), threadPool: application.threadPool,
                                                         logger: application.logger, on: eventLoop)
        let logger = application.logger
        let task = eventLoop.scheduleRepeatedAsyncTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            eventLoop.makeFutureWithTask { await Self.checkpoint(connection, mode: "PASSIVE", logger: logger) }
        }
        application.storage[RunningKey.self] = Running(connection: connection, task: task)
    }

    func shutdownAsync(_ application: Application) async {
        guard let running = application.storage[RunningKey.self] else { return }
        let stopped = application.eventLoopGroup.next().makePromise(of: Void.self)
        running.task.cancel(promise: stopped)
        try? await stopped.futureResult.get()
        await Self.checkpoint(running.connection, mode: "TRUNCATE", logger: application.logger)
        try? await running.connection.close()
    }

    private static func checkpoint(_ connection: SQLiteConnection, mode: String, logger: Logger) async {
        do {
            try await connection.query("PRAGMA wal_checkpoint(\(mode))", []) { _ in }
        } catch {
            logger.warning("SQLite checkpoint failed; the next one tries again", metadata: ["mode": "\(mode)", "error": "\(error)"])
        }
    }
}
