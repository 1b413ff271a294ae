import Foundation

/// A file a service hands out. Shown inline only when the service says so (safe types); otherwise a
/// download. Either way the browser may not sniff it or run anything in it (`HTTP/ResponseEncoding`).
struct Download: Sendable {
    enum Source: Sendable { case bytes(Data), text(String), file(String) }
    let source: Source
    let contentType: String
    let filename: String
    var inline = false
}
