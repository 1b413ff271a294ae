import Foundation
import NIOConcurrencyHelpers
import Vapor

/// A background look at the database that feeds live connections (the chat hub, the agents' live
/// pages): it runs every `interval` once started, sooner when poked (a write on this instance),
/// until stopped. `stop()` waits for a look under way to end, so the databases close after it.
final class PollLoop: @unchecked Sendable {
    let name: String
    let interval: Duration
    private let lock = NIOLock()
    private var task: Task<Void, Never>?
    private var stopped = false
    private var poked = false

    init(_ name: String, every interval: Duration) {
        self.name = name
        self.interval = interval
    }

    /// Starts the loop unless it runs or was stopped; `look` is told whether a poke brought it.
    func start(_ app: Application, _ look: @escaping @Sendable (_ poked: Bool) async throws -> Void) {
        lock.withLock {
            guard task == nil, !stopped else { return }
            let (interval, name) = (self.interval, self.name)
            task = Task { [weak self] in
                var last = ContinuousClock.now
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(50))
                    guard let self, !Task.isCancelled else { return }
                    let due = ContinuousClock.now - last >= interval
                    let poked = self.lock.withLock { () -> Bool in
                        defer { self.poked = false }
                        return self.poked
                    }
                    guard due || poked else { continue }
                    last = ContinuousClock.now
                    do { try await look(poked) } catch {
                        app.logger.warning("\(name) failed", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
    }

    /// Asks for a look within 50 ms.
    func poke() { lock.withLock { poked = true } }

    /// Stops the loop and waits for a look under way to end.
    func stop() async {
        let running = lock.withLock { () -> Task<Void, Never>? in
            defer { task = nil; stopped = true }
            return task
        }
        running?.cancel()
        await running?.value
    }
}
