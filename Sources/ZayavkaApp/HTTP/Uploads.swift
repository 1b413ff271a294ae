import Foundation
import NIOCore
import NIOPosix
import Vapor
import ZayavkaCore

/// The API's upload: reading the body is HTTP's part; recording the files is the service's.
enum Uploads {
    /// Streams an upload to disk: a raw body (name in `?filename=` or Content-Disposition) or a
    /// multipart/form-data body with one or more files. Over the size limit: 413 and nothing kept.
    static func receive(_ request: Request) async throws -> AttachmentList {
        let viewer = try request.viewer
        let limit = request.services.configuration.maxAttachmentBytes
        if let length = request.headers.first(name: .contentLength).flatMap(Int.init), length > limit + 64 * 1024 {
            throw ZayavkaError.payloadTooLarge(limitBytes: limit)
        }
        try await PendingUploads.checkQuota(viewer: viewer, bytes: request.headers.first(name: .contentLength).flatMap { Int($0) }, on: try request.sql)
        if let type = request.headers.contentType, type.type == "multipart" {
            let form = try await StreamedForm.receive(request, fileLimit: limit)
            guard !form.files.isEmpty else { throw ZayavkaError.validation([FieldError("file", .required)]) }
            let records = try await StreamedForm.record(form.files, uploaderID: viewer.userID, context: try request.context)
            return AttachmentList(attachments: records.map(AttachmentDTO.init))
        }
        let filename = (try? request.query.get(String.self, at: "filename"))
            ?? request.headers.first(name: .contentDisposition).flatMap(ConversationService.filename(fromDisposition:))
        guard let filename, !filename.isEmpty else { throw ZayavkaError.validation([FieldError("filename", .required)]) }
        let io = NonBlockingFileIO(threadPool: request.application.threadPool)
        let writer = try await request.services.files.makeWriter(io: io, eventLoop: request.eventLoop)
        let file: ReceivedForm.File
        do {
            for try await chunk in request.bodyChunks() {
                try await writer.write(chunk)
                if writer.size > limit { throw ZayavkaError.payloadTooLarge(limitBytes: limit) }
            }
            file = .init(writer: writer, field: "file", filename: filename,
                         contentType: request.headers.first(name: .contentType) ?? "application/octet-stream", sha256: try writer.finish())
        } catch {
            writer.abort()
            throw error
        }
        let records = try await StreamedForm.record([file], uploaderID: viewer.userID, context: try request.context)
        return AttachmentList(attachments: records.map(AttachmentDTO.init))
    }

    /// A CSV file in the body, up to `DirectoryCSV.maxBytes`.
    static func csv(_ request: Request) async throws -> Data {
        let data = Data(try await bytes(request, limit: DirectoryCSV.maxBytes))
        // A NUL byte is no text: PostgreSQL refuses it, SQLite would keep it. Refused like in every other field.
        if data.contains(0) { throw ZayavkaError.validation([FieldError("body", .controlCharacters)]) }
        return data
    }

    /// A raw message in the body, up to the configured message size.
    static func message(_ request: Request) async throws -> [UInt8] {
        try await bytes(request, limit: request.services.configuration.mail.maxMessageBytes)
    }

    /// The whole body in memory, up to `limit` bytes (413 past it). Read through `bodyChunks`, so the
    /// draining of unread bodies knows it was read: Vapor's own `collect` leaves it waiting for a
    /// stream that already ended, and the client for an answer that never comes.
    static func bytes(_ request: Request, limit: Int) async throws -> [UInt8] {
        if let length = request.headers.first(name: .contentLength).flatMap(Int.init), length > limit {
            throw ZayavkaError.payloadTooLarge(limitBytes: limit)
        }
        var collected = ByteBuffer()
        for try await var chunk in request.bodyChunks() {
            collected.writeBuffer(&chunk)
            if collected.readableBytes > limit { throw ZayavkaError.payloadTooLarge(limitBytes: limit) }
        }
        return collected.readBytes(length: collected.readableBytes) ?? []
    }
}

extension Request {
    /// The hash of the bearer token this request came with, if any.
    var bearerTokenHash: String? {
        headers.bearerAuthorization.map { APIToken.hash($0.token) }
    }
}
