import Foundation
import SQLKit
import Vapor

/// A saved item: 201 when the save created it, else 200.
extension Saved: AsyncResponseEncodable where Item: Content {
    func encodeResponse(for request: Request) async throws -> Response {
        try await item.encodeResponse(status: created ? .created : .ok, for: request)
    }
}

/// A file: its type, an RFC 6266 filename (ASCII fallback and UTF-8), and no sniffing or scripts.
extension Download: AsyncResponseEncodable {
    func encodeResponse(for request: Request) async throws -> Response {
        let response: Response
        switch source {
        case .bytes(let data): response = Response(status: .ok, body: .init(data: data))
        case .text(let text): response = Response(status: .ok, body: .init(string: text))
        case .file(let path): response = try await request.fileio.asyncStreamFile(at: path)
        case .chunks(let key):
            // From the database, one chunk at a time: a large file is never whole in memory.
            let sql = request.db as! any SQLDatabase
            response = Response(status: .ok, body: .init(asyncStream: { writer in
                try await FileStore.readChunks(key: key, on: sql) { try await writer.writeBuffer(ByteBuffer(data: $0)) }
                try await writer.write(.end)
            }))
        }
        response.headers.replaceOrAdd(name: .contentType, value: contentType)
        let encoded = filename.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "file"
        let ascii = String(filename.unicodeScalars.map { $0.isASCII && $0 != "\"" && $0 != "\\" && $0.value >= 0x20 ? Character($0) : "_" })
        response.headers.replaceOrAdd(name: .contentDisposition,
                                      value: "\(inline ? "inline" : "attachment"); filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)")
        response.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        response.headers.replaceOrAdd(name: "Content-Security-Policy", value: "default-src 'none'; sandbox")
        return response
    }
}
