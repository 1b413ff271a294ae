import Foundation
import Vapor

/// A streamed request body that a handler never read (it refused the request first: a 403, a 415,
/// a missing CSRF token) is read to its end and dropped before the response goes out. Left unread, a
/// body larger than NIO's buffer stalls the connection, and a debug build stops on Vapor's
/// "BodyStream deinitialized before closing" assertion.
extension Request {
    private struct BodyReadKey: StorageKey { typealias Value = Bool }

    /// Every reader of a streamed body calls this before it starts (`bodyChunks` does).
    func markBodyRead() { storage[BodyReadKey.self] = true }

    /// Runs a handler of a streamed route and drains the body it left unread, whether it answered or threw.
    func drainingBody(_ handler: (Request) async throws -> Response) async throws -> Response {
        do {
            let response = try await handler(self)
            await drainUnreadBody()
            return response
        } catch {
            await drainUnreadBody()
            throw error
        }
    }

    /// Reads and drops a streamed body nobody read (at most 256 MiB; past that the connection is left to close).
    func drainUnreadBody() async {
        guard method != .GET, method != .HEAD, storage[BodyReadKey.self] != true, body.data == nil else { return }
        var total = 0
        do {
            for try await chunk in bodyChunks() {
                total += chunk.readableBytes
                if total > 256 << 20 { break }
            }
        } catch {
            // The client went away: nothing left to drain.
        }
    }
}
