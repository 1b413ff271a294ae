import Foundation
import NIOConcurrencyHelpers
import ZayavkaCore

/// Counts sign-in attempts, to slow down password guessing without letting anyone lock an owner
/// out: 10 failures within 15 minutes lock one email *from one client address*; 30 failures from an
/// address lock that address for every email. Each attempt is counted before its password is
/// checked (a slot is taken under the lock), so concurrent guesses cannot slip past the limit. The
/// owner of a locked email gets in from another address or by the password-reset link, which clears
/// the email's locks.
final class SignInGuard: Sendable {
    struct Limits: Sendable {
        var perEmailAndAddress = 10
        var perAddress = 30
        var window: TimeInterval = 900
    }

    private struct Entry {
        var failures = 0
        var inFlight = 0
        var since: Date
        var attempts: Int { failures + inFlight }
    }

    private struct State {
        var pairs: [String: Entry] = [:]
        var addresses: [String: Entry] = [:]
    }

    let limits: Limits
    private let state = NIOLockedValueBox(State())

    init(limits: Limits = Limits()) { self.limits = limits }

    /// One attempt in progress; `finish` must be called with its outcome.
    struct Ticket: Sendable {
        let pair: String
        let address: String
    }

    /// Takes a slot for an attempt, or throws `.tooManyRequests` when the email (from this address)
    /// or the address is locked.
    func begin(email: String, address: String, now: Date) throws -> Ticket {
        let pair = email + "\u{1F}" + address
        let window = limits.window
        let outcome: Int? = state.withLockedValue { state in
            func fresh(_ entry: Entry?) -> Entry {
                guard let entry, now.timeIntervalSince(entry.since) <= window else { return Entry(since: now) }
                return entry
            }
            var pairEntry = fresh(state.pairs[pair])
            var addressEntry = fresh(state.addresses[address])
            if pairEntry.attempts >= limits.perEmailAndAddress {
                return max(1, Int(window - now.timeIntervalSince(pairEntry.since)))
            }
            if addressEntry.attempts >= limits.perAddress {
                return max(1, Int(window - now.timeIntervalSince(addressEntry.since)))
            }
            pairEntry.inFlight += 1
            addressEntry.inFlight += 1
            state.pairs[pair] = pairEntry
            state.addresses[address] = addressEntry
            // Bounded memory: a flood of made-up emails cannot grow the table without end.
            if state.pairs.count > 100_000 { state.pairs = state.pairs.filter { now.timeIntervalSince($0.value.since) <= window } }
            if state.addresses.count > 100_000 { state.addresses = state.addresses.filter { now.timeIntervalSince($0.value.since) <= window } }
            return nil
        }
        if let retry = outcome { throw ZayavkaError.tooManyRequests(retryAfterSeconds: retry) }
        return Ticket(pair: pair, address: address)
    }

    /// Ends an attempt: a failure counts against the email and the address; a success clears the email's count.
    func finish(_ ticket: Ticket, succeeded: Bool) {
        state.withLockedValue { state in
            if var entry = state.pairs[ticket.pair] {
                entry.inFlight = max(0, entry.inFlight - 1)
                if succeeded { entry.failures = 0 } else { entry.failures += 1 }
                state.pairs[ticket.pair] = entry.attempts == 0 && succeeded ? nil : entry
            }
            if var entry = state.addresses[ticket.address] {
                entry.inFlight = max(0, entry.inFlight - 1)
                if !succeeded { entry.failures += 1 }
                state.addresses[ticket.address] = entry
            }
        }
    }

    /// The owner proved they read the mailbox (a password set from a mailed link): every lock on the email goes.
    func clear(email: String) {
        let prefix = email + "\u{1F}"
        state.withLockedValue { state in state.pairs = state.pairs.filter { !$0.key.hasPrefix(prefix) } }
    }
}
