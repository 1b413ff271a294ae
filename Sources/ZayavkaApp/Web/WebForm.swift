import Foundation
import MultipartKit
import NIOCore
import NIOPosix
import SQLKit
import Vapor
import ZayavkaCore

/// A submitted form: its text fields and the files it carried, already streamed to disk.
struct ReceivedForm: Sendable {
    struct File: Sendable {
        let writer: FileStore.Writer
        let field: String
        let filename: String
        let contentType: String
        let sha256: String
    }

    var fields: [String: [String]] = [:]
    var files: [File] = []

    /// The first value of a field, nil when absent.
    func value(_ name: String) -> String? { fields[name]?.first }

    /// The first value, trimmed; nil when absent or blank.
    func text(_ name: String) -> String? {
        value(name)?.trimmingCharacters(in: .whitespacesAndNewlines).nilIfEmpty
    }

    func values(_ name: String) -> [String] { fields[name] ?? [] }

    /// Removes the files from disk (the form was refused).
    func discardFiles() { for file in files { file.writer.abort() } }
}

/// Reads request bodies as forms: `application/x-www-form-urlencoded` (collected, up to 1 MiB) or
/// `multipart/form-data`, whose files are streamed to disk as they arrive (at most `fileLimit`
/// bytes each; over it: 413 and nothing kept). Used by the web pages and by the API's upload.
enum StreamedForm {
    static let fieldBytesLimit = 1 << 20

    static func receive(_ request: Request, fileLimit: Int) async throws -> ReceivedForm {
        guard let type = request.headers.contentType else { return ReceivedForm() }
        if type.type == "multipart", let boundary = type.parameters["boundary"] {
            // RFC 2046: 1 to 70 characters. MultipartKit traps on an empty one, which any client can send.
            guard (1...70).contains(boundary.utf8.count) else { throw ZayavkaError.validation([FieldError("boundary", .invalid)]) }
            return try await multipart(request, boundary: boundary, fileLimit: fileLimit)
        }
        var collected = ByteBuffer()
        for try await var chunk in request.bodyChunks() {
            collected.writeBuffer(&chunk)
            if collected.readableBytes > fieldBytesLimit { throw ZayavkaError.payloadTooLarge(limitBytes: fieldBytesLimit) }
        }
        return ReceivedForm(fields: try screen(parseURLEncoded(String(buffer: collected))))
    }

    /// Every field of every form goes through `TextInput` (as every JSON string does): a control
    /// character other than a line break or tab is refused naming the field, runs of combining marks
    /// are cut, and no value may exceed `FieldLimits.anyText`.
    static func screen(_ fields: [String: [String]]) throws -> [String: [String]] {
        var errors: [FieldError] = []
        var screened: [String: [String]] = [:]
        for (name, values) in fields {
            if TextInput.hasForbiddenControl(name, multiline: false) { errors.append(FieldError("form", .controlCharacters)); continue }
            screened[name] = values.map { value in
                if TextInput.hasForbiddenControl(value) { errors.append(FieldError(name, .controlCharacters)); return "" }
                let cleaned = TextInput.clean(value)
                if let error = TextInput.limitError(cleaned, field: name, maxCharacters: FieldLimits.anyText) { errors.append(error) }
                return cleaned
            }
        }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        return screened
    }

    /// `a=1&b=x+y&a=2` → ["a": ["1", "2"], "b": ["x y"]].
    static func parseURLEncoded(_ body: String) -> [String: [String]] {
        var fields: [String: [String]] = [:]
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ raw: Substring) -> String {
                let spaced = raw.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let name = decode(parts[0])
            fields[name, default: []].append(parts.count > 1 ? decode(parts[1]) : "")
        }
        return fields
    }

    private enum PartEvent { case header(String, String), body(ByteBuffer), complete }

    private static func multipart(_ request: Request, boundary: String, fileLimit: Int) async throws -> ReceivedForm {
        let store = request.services.files
        let io = NonBlockingFileIO(threadPool: request.application.threadPool)
        var form = ReceivedForm()
        var current: (writer: FileStore.Writer, field: String, filename: String, type: String)?
        var fieldBytes = ByteBuffer()
        var totalFieldBytes = 0
        var headers = HTTPHeaders()
        let parser = MultipartParser(boundary: boundary)
        var headerGuard = MultipartHeaderGuard(boundary: boundary)
        var events: [PartEvent] = []
        parser.onHeader = { name, value in events.append(.header(name, value)) }
        parser.onBody = { buffer in events.append(.body(buffer)) }
        parser.onPartComplete = { events.append(.complete) }
        do {
            for try await chunk in request.bodyChunks() {
                // MultipartKit would trap on a non-ASCII header name: refused before it reads one.
                guard headerGuard.accepts(chunk) else { throw ZayavkaError.validation([FieldError("body", .invalid)]) }
                do { try parser.execute(chunk) } catch {
                    // A malformed multipart body is the client's mistake: 422 naming the body, not 500.
                    throw ZayavkaError.validation([FieldError("body", .invalid)])
                }
                for event in events {
                    switch event {
                    case .header(let name, let value): headers.add(name: name, value: value)
                    case .body(var buffer):
                        let disposition = headers.first(name: .contentDisposition) ?? ""
                        if let filename = ConversationService.filename(fromDisposition: disposition) {
                            // A file input left empty sends a part with no name and no bytes: skipped.
                            guard !filename.isEmpty else { continue }
                            if current == nil {
                                let writer = try await store.makeWriter(io: io, eventLoop: request.eventLoop)
                                current = (writer, parameter("name", in: disposition) ?? "", filename, headers.first(name: .contentType) ?? "application/octet-stream")
                            }
                            try await current!.writer.write(buffer)
                            if current!.writer.size > fileLimit { throw ZayavkaError.payloadTooLarge(limitBytes: fileLimit) }
                        } else {
                            totalFieldBytes += buffer.readableBytes
                            if totalFieldBytes > fieldBytesLimit { throw ZayavkaError.payloadTooLarge(limitBytes: fieldBytesLimit) }
                            fieldBytes.writeBuffer(&buffer)
                        }
                    case .complete:
                        if let part = current {
                            form.files.append(.init(writer: part.writer, field: part.field, filename: part.filename,
                                                    contentType: part.type, sha256: try part.writer.finish()))
                            current = nil
                        } else if let name = parameter("name", in: headers.first(name: .contentDisposition) ?? ""),
                                  ConversationService.filename(fromDisposition: headers.first(name: .contentDisposition) ?? "") == nil {
                            form.fields[name, default: []].append(String(buffer: fieldBytes))
                        }
                        fieldBytes.clear()
                        headers = HTTPHeaders()
                    }
                }
                events.removeAll(keepingCapacity: true)
            }
            // A body that ends inside a file part was cut off: nothing of it is kept.
            if current != nil { throw ZayavkaError.validation([FieldError("body", .invalid)]) }
            form.fields = try screen(form.fields)
        } catch {
            current?.writer.abort()
            form.discardFiles()
            throw error
        }
        return form
    }

    /// A parameter of a header value such as `form-data; name="subject"`.
    static func parameter(_ key: String, in header: String) -> String? {
        for part in header.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard part.lowercased().hasPrefix(key + "=") else { continue }
            var raw = String(part.dropFirst(key.count + 1))
            if raw.hasPrefix("\""), raw.hasSuffix("\""), raw.count >= 2 { raw = String(raw.dropFirst().dropLast()) }
            return raw
        }
        return nil
    }

    /// Records the received files as uploads of `uploaderID`, not yet attached to anything.
    static func record(_ files: [ReceivedForm.File], uploaderID: Int, context: ServiceContext) async throws -> [AttachmentRecord] {
        guard !files.isEmpty else { return [] }
        let now = context.now
        let records = files.map { file in
            AttachmentRecord(uploaderID: uploaderID, filename: file.filename, contentType: file.contentType, size: file.writer.size,
                             sha256: file.sha256, storageKey: file.writer.key, at: now)
        }
        let store = context.services.files
        let keys = records.map(\.storageKey)
        do {
            try await context.write { db in
                for record in records { try await record.create(on: db) }
                try await store.persist(keys: keys, on: db as! any SQLDatabase)
            }
        } catch {
            for file in files { file.writer.abort() }
            throw error
        }
        store.dropSpool(keys: keys)
        return records
    }
}

extension StreamedForm {
    /// Undoes `record` when the form the files came with was refused: rows and files go.
    static func forget(_ records: [AttachmentRecord], request: Request) async {
        guard let context = try? request.context else {
            // No database any more (shutting down): the files go all the same, as before the context existed.
            for record in records { request.services.files.remove(key: record.storageKey) }
            return
        }
        await forget(records, context: context)
    }

    static func forget(_ records: [AttachmentRecord], context: ServiceContext) async {
        let ids = records.compactMap(\.id)
        guard !ids.isEmpty else { return }
        let store = context.services.files
        let keys = records.map(\.storageKey)
        try? await context.write { db in
            try await (db as! any SQLDatabase).raw("DELETE FROM attachments WHERE id IN (\(binds: ids)) AND comment_id IS NULL").run()
            try await store.removeChunks(keys: keys, on: db as! any SQLDatabase)
        }
        for record in records { context.services.files.remove(key: record.storageKey) }
    }
}
