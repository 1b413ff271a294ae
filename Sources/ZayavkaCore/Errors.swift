import Foundation

/// What went wrong in the domain, with the ids involved. The app maps each case to an HTTP
/// status and a message in the user's language (`Localizer`).
public enum ZayavkaError: Error, Sendable, Equatable {
    case notFound(entity: String, id: String)
    case forbidden(reason: String)
    case unauthenticated
    case illegalTransition(from: String, to: String)
    case unknownStatus(String)
    case ticketClosed(number: Int)
    case validation([FieldError])
    case conflict(field: String, value: String)
    case payloadTooLarge(limitBytes: Int)
    /// The body is not of a type the operation reads (`expected` is the media type it wants).
    case unsupportedMediaType(expected: String)
    /// Too many attempts from this client or at this account; try again after the given seconds.
    case tooManyRequests(retryAfterSeconds: Int)
    /// Something that was valid is no longer (an expired link); the reason names it.
    case gone(reason: String)
    /// The person or address is banned (SPEC X1); `until` is when the ban ends by itself (nil: until lifted).
    case banned(until: Date?)
    /// Over a load limit (SPEC X2): wait `retryAfterSeconds`; `blockedUntil` when sustained abuse
    /// has blocked the account or address for a time.
    case overloaded(retryAfterSeconds: Int, blockedUntil: Date?)
    /// The widget refused to open a session (issue 19, SPEC C4): a forged or expired identity token, a mode that is off, a staff address.
    case widget(WidgetRefusal)
}

/// One invalid input: which field and why, as a message key the localizer turns into words.
public struct FieldError: Sendable, Equatable, Codable {
    public let field: String
    public let code: FieldErrorCode
    public let argument: String?

    public init(_ field: String, _ code: FieldErrorCode, _ argument: String? = nil) {
        self.field = field
        self.code = code
        self.argument = argument
    }
}

public enum FieldErrorCode: String, Sendable, Codable {
    case required, tooShort, tooLong, invalid, unknownValue, mustBeInFuture, notAllowed
    /// NUL, other control characters or line breaks where none may be.
    case controlCharacters = "control_characters"
    /// Over a per-person quota; the argument says the limit ("files/MiB").
    case quotaExceeded = "quota_exceeded"
    /// Only for customers on a paid plan (seed 002: the consultation line).
    case paidPlanOnly = "paid_plan_only"
    /// Under a legal hold (kept for a court, an audit or an investigation); the argument is the hold's reason.
    case legalHold = "legal_hold"
    /// Outside what is allowed; the argument says what is (a report period: "from ≤ to", "at most 1096 days").
    case outOfRange = "out_of_range"
    /// A URL that reaches a private, local or link-local address, or the desk itself (webhooks); the argument is the address.
    case privateAddress = "private_address"
    /// A host name that does not resolve.
    case unresolvable
    /// The customer or address is banned (SPEC X1).
    case banned
    /// Nobody is on shift to take a chat (the widget offers a request instead).
    case offline
}

/// Why the widget refused a session.
public enum WidgetRefusal: String, Sendable, Equatable {
    /// The host's identity token is malformed or its signature does not match the shared secret.
    case invalid = "widget_token_invalid"
    /// The token's `exp` has passed, or it lives longer than a day.
    case expired = "widget_token_expired"
    /// No shared secret is configured: the desk takes no identity tokens.
    case identityOff = "widget_identity_off"
    /// The desk serves only users the host identifies.
    case anonymousOff = "widget_anonymous_off"
    /// The address belongs to staff: they work in the desk, not in the widget.
    case staff = "widget_staff_account"
    /// The widget session's token is unknown or has expired: the panel starts a new one.
    case session = "widget_session_invalid"
}
