import NIOCore
import Vapor

/// A streamed request body as an async sequence of chunks, with backpressure, in place of Vapor's
/// `Request.Body` AsyncSequence. Vapor's bridge stops the process with a `preconditionFailure` when
/// the producer's and the consumer's signals cross (vapor/vapor#3153, #3227: `produceMore0` in state
/// `noSignalReceived`), which a client can bring about with an upload; a debug build also stops when
/// a half-read body is dropped. Here every piece of state lives on the request's event loop and no
/// order of signals is fatal:
/// - the connection writes a chunk: it is queued, and the write is held while 16 chunks wait;
/// - the reader takes a chunk: a held write is let go once the queue is short again;
/// - the reader stops early (a 413, a 422, a thrown error): the rest of the body is read and dropped,
///   so the stream always reaches its end and the connection stays usable.
extension Request {
    /// The body's chunks; read them once. A body that was collected (not streamed) is one chunk.
    func bodyChunks() -> BodyChunks {
        markBodyRead()
        if let collected = body.data { return BodyChunks(lease: nil, collected: collected) }
        return BodyChunks(lease: BodyReader.Lease(BodyReader.start(self)), collected: nil)
    }
}

struct BodyChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    /// Shared by the sequence and its iterator: when both are gone, the rest of the body is dropped.
    fileprivate let lease: BodyReader.Lease?
    fileprivate let collected: ByteBuffer?

    func makeAsyncIterator() -> Iterator { Iterator(lease: lease, collected: collected) }

    struct Iterator: AsyncIteratorProtocol {
        fileprivate let lease: BodyReader.Lease?
        fileprivate var collected: ByteBuffer?

        mutating func next() async throws -> ByteBuffer? {
            if let lease { return try await lease.reader.next() }
            defer { collected = nil }
            return collected
        }
    }
}

/// The state machine behind `BodyChunks`; touched only on the event loop.
final class BodyReader: @unchecked Sendable {
    /// Released when the iterator goes away: whatever the reader did not take is dropped from then on.
    fileprivate final class Lease: Sendable {
        let reader: BodyReader
        init(_ reader: BodyReader) { self.reader = reader }
        deinit { reader.abandon() }
    }

    private static let highWater = 16

    private let eventLoop: any EventLoop
    private var queue = CircularBuffer<ByteBuffer>()
    private var finished = false
    private var failure: (any Error)?
    /// The reader waits for the next chunk.
    private var waitingReader: EventLoopPromise<ByteBuffer?>?
    /// The connection waits to write more.
    private var heldWrite: EventLoopPromise<Void>?
    /// Nobody reads any more: chunks are dropped as they come.
    private var discarding = false

    private init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    static func start(_ request: Request) -> BodyReader {
        let reader = BodyReader(eventLoop: request.eventLoop)
        request.body.drain { [reader] result in reader.receive(result) }
        return reader
    }

    /// Called by the connection, on the event loop (for a request without a body Vapor calls it at
    /// once on the caller's thread: then it hops).
    private func receive(_ result: BodyStreamResult) -> EventLoopFuture<Void> {
        guard eventLoop.inEventLoop else { return eventLoop.flatSubmit { self.receive(result) } }
        switch result {
        case .buffer(let buffer):
            if discarding { return eventLoop.makeSucceededVoidFuture() }
            if let waiting = waitingReader {
                waitingReader = nil
                waiting.succeed(buffer)
                return eventLoop.makeSucceededVoidFuture()
            }
            queue.append(buffer)
            guard queue.count >= Self.highWater else { return eventLoop.makeSucceededVoidFuture() }
            let hold = heldWrite ?? eventLoop.makePromise(of: Void.self)
            heldWrite = hold
            return hold.futureResult
        case .end:
            finish(nil)
            return eventLoop.makeSucceededVoidFuture()
        case .error(let error):
            finish(error)
            return eventLoop.makeSucceededVoidFuture()
        }
    }

    private func finish(_ error: (any Error)?) {
        finished = true
        if let error, failure == nil { failure = error }
        releaseWrite()
        if let waiting = waitingReader {
            waitingReader = nil
            if let failure, queue.isEmpty { waiting.fail(failure) } else { waiting.succeed(queue.popFirst()) }
        }
    }

    private func releaseWrite() {
        if let hold = heldWrite {
            heldWrite = nil
            hold.succeed(())
        }
    }

    /// The next chunk, nil at the end; throws when the connection failed.
    func next() async throws -> ByteBuffer? {
        try await eventLoop.flatSubmit { [self] () -> EventLoopFuture<ByteBuffer?> in
            if let chunk = queue.popFirst() {
                if queue.count < Self.highWater / 2 { releaseWrite() }
                return eventLoop.makeSucceededFuture(chunk)
            }
            if finished {
                if let failure { return eventLoop.makeFailedFuture(failure) }
                return eventLoop.makeSucceededFuture(nil)
            }
            releaseWrite()
            let promise = waitingReader ?? eventLoop.makePromise(of: ByteBuffer?.self)
            waitingReader = promise
            return promise.futureResult
        }.get()
    }

    /// The reader is gone: drop what is queued and whatever still comes, to the end of the body.
    fileprivate func abandon() {
        eventLoop.execute { [self] in
            discarding = true
            queue.removeAll()
            releaseWrite()
            if let waiting = waitingReader {
                waitingReader = nil
                waiting.succeed(nil)
            }
        }
    }
}
