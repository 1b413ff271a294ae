import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import Vapor
import ZayavkaCore

/// Bcrypt on threads of its own. Hashing is meant to be slow (about 0.2 s a check at cost 12), and
/// on the application's shared thread pool a flood of wrong passwords queued every SQLite call and
/// file write behind it: 200 wrong sign-ins from 60 clients made a signed-in user wait 22 s and mail
/// intake fail. Here at most `threads` checks run at once, at most `maxWaiting` wait, and the rest are
/// refused at once with 429.
final class PasswordHasher: Sendable {
    let cost: Int
    let maxWaiting: Int
    private let pool: NIOThreadPool
    private let waiting = NIOLockedValueBox(0)
    /// A hash of a password nobody has, checked for emails without an account so that the answer
    /// takes as long as for a real one (sign-in time must not tell which emails have accounts).
    private let dummy: NIOLockedValueBox<String?> = NIOLockedValueBox(nil)

    init(cost: Int, threads: Int = max(1, System.coreCount - 1), maxWaiting: Int = 32) {
        self.cost = cost
        self.maxWaiting = maxWaiting
        self.pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
    }

    func shutdown() { try? pool.syncShutdownGracefully() }

    /// Runs `work` on the hashing threads, or refuses when too many are already waiting.
    private func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let admitted = waiting.withLockedValue { count -> Bool in
            guard count < maxWaiting else { return false }
            count += 1
            return true
        }
        guard admitted else { throw ZayavkaError.tooManyRequests(retryAfterSeconds: 5) }
        defer { waiting.withLockedValue { $0 -= 1 } }
        return try await pool.runIfActive(work)
    }

    func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await run { try Bcrypt.hash(password, cost: cost) }
    }

    /// Whether `password` matches `hash`; with no hash (no such account, no password set) a dummy hash
    /// is checked all the same and the answer is false.
    func verify(_ password: String, hash: String?) async throws -> Bool {
        let target: String
        if let hash { target = hash } else { target = try await dummyHash() }
        let matches = try await run { (try? Bcrypt.verify(password, created: target)) ?? false }
        return hash != nil && matches
    }

    private func dummyHash() async throws -> String {
        if let existing = dummy.withLockedValue({ $0 }) { return existing }
        let made = try await hash(UUID().uuidString)
        dummy.withLockedValue { $0 = $0 ?? made }
        return made
    }
}
