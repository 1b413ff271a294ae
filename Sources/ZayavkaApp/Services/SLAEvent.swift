import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import ZayavkaCore

/// What happened to a ticket, as far as its clocks are concerned.
enum SLAEvent {
    /// An agent's public reply: the first and the next response are given.
    case staffPublicReply
    /// The customer wrote publicly; `answered` when an agent has replied before (next-response clocks start only then).
    case customerReply(answered: Bool)
    case statusChanged(from: StatusCategory, to: StatusCategory)
    /// An agent promised a solution by this time (SPEC T9).
    case promised(Date)
}
