import Foundation

/// A file a service hands out. Shown inline only when the service says so (safe types); otherwise a
/// download. Either way the browser may not sniff it or run anything in it (`HTTP/ResponseEncoding`).
struct Download: Sendable {
    enum Source: Sendable { case bytes(Data), text(String), file(String), chunks(String) }
    let source: Source
    let contentType: String
    let filename: String
    var inline = false

    /// A CSV file as the exports write it (UTF-8 with a BOM, `;`).
    static func csv(_ text: String, filename: String) -> Download {
        Download(source: .text(text), contentType: "text/csv; charset=utf-8", filename: filename)
    }
}
