import Foundation
import ZayavkaCore
import ZayavkaMail

/// Everything Zayavka reads from its environment, read once at start and checked as a whole.
/// Defaults make `zayavka serve` work with nothing set.
public struct AppConfiguration: Sendable {
    /// Where SQLite's file and attachments live.
    public var dataDirectory: URL
    /// `postgres://…` selects PostgreSQL; nil means embedded SQLite in `dataDirectory`.
    public var databaseURL: String?
    public var adminEmail: String?
    public var adminPassword: String?
    public var bcryptCost: Int
    public var maxAttachmentBytes: Int
    /// Attachments in the database (`attachment_chunks`) instead of `<data>/attachments`.
    public var attachmentsInDatabase = false
    public var defaultLanguage: Language
    public var publicURL: String
    public var logFormat: LogFormat
    /// How long a verified token is trusted without asking the database again.
    public var tokenCacheSeconds: Double
    /// PostgreSQL schema to keep Zayavka's tables in (created when missing); nil means the server's default.
    public var databaseSchema: String?
    /// Days after which a solved ticket closes by itself.
    public var autoCloseDays: Double
    /// How often the periodic jobs run (auto-close, SLA timers, outbreak alerts, sweeps).
    public var jobsIntervalSeconds = 30
    /// A browser session ends after this many hours without a request.
    public var sessionIdleHours: Double
    /// Whether session cookies carry `Secure` (sent over HTTPS only).
    public var secureCookies: Bool
    /// The team's next step shown on a ticket whose customer's contract has ended, or whose quota is exceeded (SPEC A3).
    public var contractEndedStep = "Следуйте инструкции «Кредит и продление тарифа»."
    public var quotaExceededStep = "Следуйте инструкции «Переполнена квота»."
    /// `/metrics` answers requests from these client addresses, or carrying this bearer token.
    public var metricsAllowedAddresses: [String] = ["127.0.0.1", "::1"]
    public var metricsToken: String?
    /// Mail servers in front of the help desk whose `Authentication-Results` (RFC 8601) are believed:
    /// their authserv-ids. A staff member's reply by mail is filed as a reply only when one of them
    /// says DKIM or SPF passed for the sender's domain, or when it answers a notification sent to them.
    public var trustedAuthServers: [String] = []

    public var mail: MailConfiguration
    /// Encrypts stored mailbox passwords (issue 21): any string of at least 32 characters; the key is
    /// its SHA-256. Unset on SQLite: a random key is kept in `<data>/secret.key`. Every instance of a
    /// desk on PostgreSQL needs the same value.
    public var secretKey: String?
    /// How often a mailbox without IDLE is polled, in seconds.
    public var imapPollSeconds = 60
    /// How long one IDLE lasts before it is renewed (RFC 2177 asks for less than 29 minutes).
    public var imapIdleSeconds = 30
    /// Webhooks (issue 19): hosts a webhook may reach even though they are private or local.
    public var webhookAllowedHosts: Set<String> = []
    /// Any address at all (a closed network where every receiver is private).
    public var webhookAllowPrivate = false
    /// The first retry delay after a failed delivery; doubles each time, up to 6 hours.
    public var webhookRetrySeconds = 30.0
    /// Attempts before a delivery has failed for good.
    public var webhookAttempts = 8
    /// Deliveries failed for good in a row that turn a subscription off.
    public var webhookDisableAfter = 10
    /// Load protection (issue 19, SPEC X2): every request of one client address (nil: no limit).
    public var limitPerAddress: RateLimit? = RateLimit(rate: 200, burst: 1000)
    /// Every request of one signed-in account, API token or web session (nil: no limit).
    public var limitPerAccount: RateLimit? = RateLimit(rate: 100, burst: 1000)
    /// Sustained abuse: this many refusals within a minute block the party for `blockMinutes` (0: never).
    public var blockAfterRefusals = 3000
    public var blockMinutes = 15
    /// Reverse proxies (addresses or CIDR blocks) whose X-Forwarded-For names the client.
    public var trustedProxies: [String] = []
    /// The widget (issue 19, SPEC C4): origins of host pages allowed to embed it (frame-ancestors, CORS).
    public var widgetOrigins: [String] = []
    /// The secret host products sign their users' identity tokens with (HS256); nil: identified mode off.
    public var widgetSecret: String?
    /// Visitors the host does not identify may file requests and chat by giving a name and an address.
    public var widgetAnonymous = true

    public enum LogFormat: String, Sendable { case json, text }

    /// The email channel's settings (issue 4).
    public struct MailConfiguration: Sendable {
        /// The SMTP listener's port; nil turns it off.
        public var smtpPort: Int?
        /// An LMTP listener for delivery from Postfix/Exim; nil (the default) means none.
        public var lmtpPort: Int?
        public var listenHost: String
        /// Mail for these is accepted (and their +tags); empty accepts any recipient.
        public var supportAddresses: [String]
        public var from: MailAddress
        public var subjectTag: String
        public var relay: SMTPRelay?
        public var retrySeconds: Double
        public var attempts: Int
        public var senderLimitPerHour: Int
        public var maxMessageBytes: Int

        /// The domain of our Message-IDs and the name in greetings.
        public var domain: String { from.domain.isEmpty ? "zayavka.local" : from.domain }
    }

    public static let variables: [(name: String, meaning: String, fallback: String)] = [
        ("ZAYAVKA_DATA_DIR", "folder for the SQLite database and attachments (also `--data-dir`)", "./data"),
        ("DATABASE_URL", "`postgres://user:pass@host:5432/db` to use PostgreSQL instead of SQLite", "unset (SQLite)"),
        ("ZAYAVKA_ADMIN_EMAIL", "email of the admin created on first start", "admin@zayavka.local"),
        ("ZAYAVKA_ADMIN_PASSWORD", "password of that admin; printed once when generated", "generated"),
        ("ZAYAVKA_BCRYPT_COST", "Bcrypt cost for password hashes (4…31)", "12"),
        ("ZAYAVKA_MAX_ATTACHMENT_MB", "largest attachment accepted, in MiB (larger: 413)", "50"),
        ("ZAYAVKA_ATTACHMENTS", "where attachments live: `folder` (`<data>/attachments`) or `database` (in chunks, for instances on several machines)", "folder"),
        ("ZAYAVKA_DEFAULT_LANGUAGE", "`ru` or `en`, for people with no setting and no Accept-Language", "ru"),
        ("ZAYAVKA_PUBLIC_URL", "the address people use to reach this server (for links)", "http://127.0.0.1:8080"),
        ("ZAYAVKA_LOG_FORMAT", "`json` (one object a line) or `text`", "json"),
        ("ZAYAVKA_LOG_LEVEL", "trace, debug, info, notice, warning, error, critical", "info"),
        ("ZAYAVKA_SECRET_KEY", "encrypts stored mailbox passwords (at least 32 characters; the same on every instance); on SQLite without it a random key is kept in `<data>/secret.key`", "unset"),
        ("ZAYAVKA_WEBHOOK_ALLOWED_HOSTS", "hosts a webhook may reach although they are private or local (comma-separated)", "none"),
        ("ZAYAVKA_WEBHOOK_ALLOW_PRIVATE", "`true`: webhooks may reach any address (a closed network)", "false"),
        ("ZAYAVKA_WEBHOOK_RETRY_SECONDS", "first retry delay of a failed webhook delivery; doubles each time, up to 6 hours", "30"),
        ("ZAYAVKA_WEBHOOK_ATTEMPTS", "attempts before a webhook delivery has failed for good, 1…50", "8"),
        ("ZAYAVKA_WEBHOOK_DISABLE_AFTER", "deliveries failed for good in a row that turn a subscription off (admins are mailed)", "10"),
        ("ZAYAVKA_LIMIT_ADDRESS", "requests a second / burst one client address may send (every request but /healthz, /metrics and assets); over it: 429 with Retry-After; `off` for none", "200/1000"),
        ("ZAYAVKA_LIMIT_ACCOUNT", "requests a second / burst one signed-in account may send (API token or web session); `off` for none", "100/1000"),
        ("ZAYAVKA_BLOCK_AFTER", "refusals within a minute that block the account or address for a time (the owner of an account is mailed); 0: never block", "3000"),
        ("ZAYAVKA_BLOCK_MINUTES", "how long such a block lasts (1…10080); managers can unblock earlier on /admin/bans", "15"),
        ("ZAYAVKA_TRUSTED_PROXIES", "comma-separated addresses or CIDR blocks of reverse proxies whose X-Forwarded-For names the client (for the limits and the sign-in guard)", "none"),
        ("ZAYAVKA_WIDGET_ORIGINS", "comma-separated origins (`https://app.example.ru`) of host pages that may embed the widget (frame-ancestors, CORS); the desk's own origin always may", "none"),
        ("ZAYAVKA_WIDGET_SECRET", "shared secret (32+ characters) host products sign their users' identity tokens with (JWT HS256: email, name, organization, exp); unset: no identified mode", "unset"),
        ("ZAYAVKA_WIDGET_ANONYMOUS", "`false`: the widget serves only users the host identifies; by default a visitor gives a name and an email", "true"),
        ("ZAYAVKA_IMAP_POLL_SECONDS", "how often a mailbox whose server has no IDLE is checked, 1…3600", "60"),
        ("ZAYAVKA_IMAP_IDLE_SECONDS", "how long one IDLE waits before it is renewed, 5…1500", "30"),
        ("ZAYAVKA_TOKEN_CACHE_SECONDS", "how long a checked API token is trusted before the database is asked again", "10"),
        ("ZAYAVKA_AUTOCLOSE_DAYS", "days after which a solved ticket closes by itself (a later reply opens a new ticket)", "7"),
        ("ZAYAVKA_CONTRACT_ENDED_STEP", "the team's next step, shown on a ticket whose customer's contract has ended", "Следуйте инструкции «Кредит и продление тарифа»."),
        ("ZAYAVKA_QUOTA_EXCEEDED_STEP", "the team's next step, shown on a ticket whose customer's quota is exceeded", "Следуйте инструкции «Переполнена квота»."),
        ("ZAYAVKA_SESSION_HOURS", "a web session ends after this many hours without activity", "12"),
        ("ZAYAVKA_SECURE_COOKIES", "`true`/`false`: mark session cookies Secure (HTTPS only); by default true when ZAYAVKA_PUBLIC_URL is https", "auto"),
        ("ZAYAVKA_DATABASE_SCHEMA", "PostgreSQL schema for Zayavka's tables (created if missing)", "public"),
        ("ZAYAVKA_SMTP_PORT", "port of the built-in SMTP listener (also `--smtp-port`); `0` or `off` turns it off", "2525"),
        ("ZAYAVKA_LMTP_PORT", "port of an LMTP listener for delivery from Postfix/Exim", "unset (off)"),
        ("ZAYAVKA_SMTP_HOST", "address the SMTP/LMTP listeners bind to (`0.0.0.0` for all)", "127.0.0.1"),
        ("ZAYAVKA_SUPPORT_ADDRESSES", "comma-separated support addresses mail is accepted for (and their `+10042` tags)", "any recipient"),
        ("ZAYAVKA_MAIL_FROM", "sender of outgoing mail, `Name <address>`", "first support address, else `Поддержка <support@zayavka.local>`"),
        ("ZAYAVKA_MAIL_SUBJECT_TAG", "tag in the subject of outgoing mail: `[tag] Re: subject [#10042]`", "Поддержка"),
        ("ZAYAVKA_MAIL_RELAY_URL", "where outgoing mail goes: `smtp://user:pass@host:587` (STARTTLS when offered), `smtp+starttls://…` (required), `smtps://…` (TLS), `smtp+plain://…` (never TLS)", "unset: mail stays in the outbox"),
        ("ZAYAVKA_MAIL_RELAY_CA", "PEM file with extra CA certificates to trust for the relay", "system CAs only"),
        ("ZAYAVKA_MAIL_RETRY_SECONDS", "first retry delay of a failed delivery; it doubles each time (up to 6 hours)", "60"),
        ("ZAYAVKA_MAIL_ATTEMPTS", "delivery attempts before a message is marked failed", "8"),
        ("ZAYAVKA_MAIL_SENDER_LIMIT", "new tickets one sender may open by mail per hour; more go to quarantine", "30"),
        ("ZAYAVKA_MAIL_MAX_MB", "largest message the listener accepts, in MiB (SMTP SIZE)", "35"),
        ("ZAYAVKA_MAIL_TRUSTED_AUTHSERV", "comma-separated authserv-ids of the mail servers in front whose Authentication-Results headers are believed (a staff reply by mail counts when DKIM or SPF passed there)", "none"),
        ("ZAYAVKA_METRICS_ALLOW", "comma-separated client addresses allowed to read /metrics without a token (`none` for nobody)", "127.0.0.1,::1"),
        ("ZAYAVKA_METRICS_TOKEN", "bearer token that opens /metrics from any address", "unset"),
    ]

    /// Reads the environment; throws one error naming every bad value.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment,
                            dataDirectoryOverride: String? = nil, smtpPortOverride: String? = nil) throws -> AppConfiguration {
        var problems: [String] = []
        func int(_ name: String, _ fallback: Int, _ range: ClosedRange<Int>) -> Int {
            guard let raw = environment[name], !raw.isEmpty else { return fallback }
            guard let value = Int(raw), range.contains(value) else {
                problems.append("\(name)=\(raw): expected a whole number in \(range.lowerBound)…\(range.upperBound)")
                return fallback
            }
            return value
        }
        let dataPath = dataDirectoryOverride ?? environment["ZAYAVKA_DATA_DIR"] ?? "data"
        let databaseURL = environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        if let databaseURL, !(databaseURL.hasPrefix("postgres://") || databaseURL.hasPrefix("postgresql://")) {
            problems.append("DATABASE_URL: only postgres:// URLs are supported (leave it unset for SQLite)")
        }
        var language = Language.default
        if let raw = environment["ZAYAVKA_DEFAULT_LANGUAGE"], !raw.isEmpty {
            if let parsed = Language(rawValue: raw) { language = parsed } else { problems.append("ZAYAVKA_DEFAULT_LANGUAGE=\(raw): expected ru or en") }
        }
        var format = LogFormat.json
        if let raw = environment["ZAYAVKA_LOG_FORMAT"], !raw.isEmpty {
            if let parsed = LogFormat(rawValue: raw) { format = parsed } else { problems.append("ZAYAVKA_LOG_FORMAT=\(raw): expected json or text") }
        }
        var cacheSeconds = 10.0
        if let raw = environment["ZAYAVKA_TOKEN_CACHE_SECONDS"], !raw.isEmpty {
            if let parsed = Double(raw), parsed >= 0, parsed <= 3600 { cacheSeconds = parsed } else {
                problems.append("ZAYAVKA_TOKEN_CACHE_SECONDS=\(raw): expected seconds from 0 to 3600")
            }
        }
        let schema = environment["ZAYAVKA_DATABASE_SCHEMA"].flatMap { $0.isEmpty ? nil : $0 }
        if let schema, !schema.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
            problems.append("ZAYAVKA_DATABASE_SCHEMA=\(schema): letters, digits and _ only")
        }
        var autoCloseDays = 7.0
        if let raw = environment["ZAYAVKA_AUTOCLOSE_DAYS"], !raw.isEmpty {
            if let parsed = Double(raw), parsed > 0, parsed <= 365 { autoCloseDays = parsed } else {
                problems.append("ZAYAVKA_AUTOCLOSE_DAYS=\(raw): expected days from 0 to 365")
            }
        }
        var sessionHours = 12.0
        if let raw = environment["ZAYAVKA_SESSION_HOURS"], !raw.isEmpty {
            if let parsed = Double(raw), parsed > 0, parsed <= 24 * 90 { sessionHours = parsed } else {
                problems.append("ZAYAVKA_SESSION_HOURS=\(raw): expected hours from 0 to 2160")
            }
        }
        let publicURL = environment["ZAYAVKA_PUBLIC_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://127.0.0.1:8080"
        var secureCookies = publicURL.lowercased().hasPrefix("https://")
        if let raw = environment["ZAYAVKA_SECURE_COOKIES"], !raw.isEmpty, raw != "auto" {
            switch raw.lowercased() {
            case "true", "1", "yes": secureCookies = true
            case "false", "0", "no": secureCookies = false
            default: problems.append("ZAYAVKA_SECURE_COOKIES=\(raw): expected true, false or auto")
            }
        }
        if let password = environment["ZAYAVKA_ADMIN_PASSWORD"], !password.isEmpty, password.count < 8 {
            problems.append("ZAYAVKA_ADMIN_PASSWORD: at least 8 characters")
        }
        let mail = loadMail(environment, smtpPortOverride: smtpPortOverride, problems: &problems, int: int)
        var attachmentsInDatabase = false
        switch environment["ZAYAVKA_ATTACHMENTS"]?.lowercased() ?? "" {
        case "", "folder": break
        case "database": attachmentsInDatabase = true
        case let other: problems.append("ZAYAVKA_ATTACHMENTS=\(other): expected folder or database")
        }
        var configuration = AppConfiguration(
            dataDirectory: URL(fileURLWithPath: dataPath, isDirectory: true).standardizedFileURL,
            databaseURL: databaseURL,
            adminEmail: environment["ZAYAVKA_ADMIN_EMAIL"].flatMap { $0.isEmpty ? nil : $0.lowercased() },
            adminPassword: environment["ZAYAVKA_ADMIN_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 },
            bcryptCost: int("ZAYAVKA_BCRYPT_COST", 12, 4...31),
            maxAttachmentBytes: int("ZAYAVKA_MAX_ATTACHMENT_MB", 50, 1...4096) * 1_048_576,
            defaultLanguage: language,
            publicURL: publicURL,
            logFormat: format,
            tokenCacheSeconds: cacheSeconds,
            databaseSchema: schema,
            autoCloseDays: autoCloseDays,
            sessionIdleHours: sessionHours,
            secureCookies: secureCookies,
            mail: mail)
        configuration.attachmentsInDatabase = attachmentsInDatabase
        configuration.jobsIntervalSeconds = int("ZAYAVKA_JOBS_SECONDS", 30, 1...3600)
        var result = configuration
        if let step = environment["ZAYAVKA_CONTRACT_ENDED_STEP"], !step.isEmpty { result.contractEndedStep = step }
        if let step = environment["ZAYAVKA_QUOTA_EXCEEDED_STEP"], !step.isEmpty { result.quotaExceededStep = step }
        func list(_ raw: String) -> [String] { raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        if let raw = environment["ZAYAVKA_METRICS_ALLOW"], !raw.isEmpty { result.metricsAllowedAddresses = raw == "none" ? [] : list(raw) }
        if let token = environment["ZAYAVKA_METRICS_TOKEN"], !token.isEmpty {
            if token.count < 16 { problems.append("ZAYAVKA_METRICS_TOKEN: at least 16 characters") } else { result.metricsToken = token }
        }
        if let raw = environment["ZAYAVKA_MAIL_TRUSTED_AUTHSERV"], !raw.isEmpty { result.trustedAuthServers = list(raw).map { $0.lowercased() } }
        if let key = environment["ZAYAVKA_SECRET_KEY"], !key.isEmpty {
            if key.count < 32 { problems.append("ZAYAVKA_SECRET_KEY: at least 32 characters") } else { result.secretKey = key }
        }
        result.imapPollSeconds = int("ZAYAVKA_IMAP_POLL_SECONDS", 60, 1...3600)
        if let raw = environment["ZAYAVKA_WEBHOOK_ALLOWED_HOSTS"], !raw.isEmpty { result.webhookAllowedHosts = Set(list(raw).map { $0.lowercased() }) }
        switch environment["ZAYAVKA_WEBHOOK_ALLOW_PRIVATE"]?.lowercased() ?? "" {
        case "", "false", "0", "no": break
        case "true", "1", "yes": result.webhookAllowPrivate = true
        case let other: problems.append("ZAYAVKA_WEBHOOK_ALLOW_PRIVATE=\(other): expected true or false")
        }
        if let raw = environment["ZAYAVKA_WEBHOOK_RETRY_SECONDS"], !raw.isEmpty {
            if let value = Double(raw), value >= 0.1, value <= 86_400 { result.webhookRetrySeconds = value } else {
                problems.append("ZAYAVKA_WEBHOOK_RETRY_SECONDS=\(raw): expected seconds from 0.1 to 86400")
            }
        }
        result.webhookAttempts = int("ZAYAVKA_WEBHOOK_ATTEMPTS", 8, 1...50)
        result.webhookDisableAfter = int("ZAYAVKA_WEBHOOK_DISABLE_AFTER", 10, 1...10_000)
        result.imapIdleSeconds = int("ZAYAVKA_IMAP_IDLE_SECONDS", 30, 5...1500)
        for (name, keyPath) in [("ZAYAVKA_LIMIT_ADDRESS", \AppConfiguration.limitPerAddress), ("ZAYAVKA_LIMIT_ACCOUNT", \AppConfiguration.limitPerAccount)] {
            guard let raw = environment[name], !raw.isEmpty else { continue }
            switch RateLimit.parse(raw) {
            case .off: result[keyPath: keyPath] = nil
            case .limit(let limit): result[keyPath: keyPath] = limit
            case .invalid: problems.append("\(name)=\(raw): expected requests per second and burst, like 100/1000, or off")
            }
        }
        result.blockAfterRefusals = int("ZAYAVKA_BLOCK_AFTER", 3000, 0...10_000_000)
        result.blockMinutes = int("ZAYAVKA_BLOCK_MINUTES", 15, 1...10_080)
        if let raw = environment["ZAYAVKA_TRUSTED_PROXIES"], !raw.isEmpty {
            result.trustedProxies = list(raw)
            for entry in result.trustedProxies where AddressBlock(entry) == nil {
                problems.append("ZAYAVKA_TRUSTED_PROXIES: \(entry) is not an address or a CIDR block")
            }
        }
        if let raw = environment["ZAYAVKA_WIDGET_ORIGINS"], !raw.isEmpty {
            for entry in list(raw) {
                if let origin = WidgetRules.origin(entry) { result.widgetOrigins.append(origin) } else {
                    problems.append("ZAYAVKA_WIDGET_ORIGINS: \(entry) is not an origin like https://app.example.ru")
                }
            }
        }
        if let raw = environment["ZAYAVKA_WIDGET_SECRET"], !raw.isEmpty {
            if raw.utf8.count >= 32 { result.widgetSecret = raw } else { problems.append("ZAYAVKA_WIDGET_SECRET: at least 32 characters") }
        }
        switch environment["ZAYAVKA_WIDGET_ANONYMOUS"]?.lowercased() ?? "" {
        case "", "true", "1", "yes": break
        case "false", "0", "no": result.widgetAnonymous = false
        case let other: problems.append("ZAYAVKA_WIDGET_ANONYMOUS=\(other): expected true or false")
        }
        if !problems.isEmpty { throw ConfigurationError(problems: problems) }
        return result
    }

    public var usesPostgres: Bool { databaseURL != nil }

    private static func loadMail(_ environment: [String: String], smtpPortOverride: String?, problems: inout [String],
                                 int: (String, Int, ClosedRange<Int>) -> Int) -> MailConfiguration {
        func port(_ name: String, _ raw: String?, fallback: Int?) -> Int? {
            guard let raw, !raw.isEmpty else { return fallback }
            if raw == "off" || raw == "0" { return nil }
            guard let value = Int(raw), (1...65535).contains(value) else {
                problems.append("\(name)=\(raw): expected a port from 1 to 65535, or off")
                return fallback
            }
            return value
        }
        let smtpPort = port("ZAYAVKA_SMTP_PORT", smtpPortOverride ?? environment["ZAYAVKA_SMTP_PORT"], fallback: 2525)
        let lmtpPort = port("ZAYAVKA_LMTP_PORT", environment["ZAYAVKA_LMTP_PORT"], fallback: nil)
        let supportAddresses = (environment["ZAYAVKA_SUPPORT_ADDRESSES"] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        for address in supportAddresses where !address.contains("@") {
            problems.append("ZAYAVKA_SUPPORT_ADDRESSES: \(address) is not an email address")
        }
        var from = MailAddress(name: "Поддержка", address: supportAddresses.first ?? "support@zayavka.local")
        if let raw = environment["ZAYAVKA_MAIL_FROM"], !raw.isEmpty {
            if let parsed = MailAddress.list(raw).first { from = parsed } else { problems.append("ZAYAVKA_MAIL_FROM=\(raw): expected Name <address>") }
        }
        var relay: SMTPRelay?
        if let raw = environment["ZAYAVKA_MAIL_RELAY_URL"], !raw.isEmpty {
            switch SMTPRelay.parse(raw) {
            case .success(var parsed):
                parsed.heloName = from.domain.isEmpty ? "zayavka.local" : from.domain
                if let ca = environment["ZAYAVKA_MAIL_RELAY_CA"], !ca.isEmpty {
                    if FileManager.default.isReadableFile(atPath: ca) { parsed.caFile = ca } else {
                        problems.append("ZAYAVKA_MAIL_RELAY_CA=\(ca): no readable file there")
                    }
                }
                relay = parsed
            case .failure(let error):
                problems.append("ZAYAVKA_MAIL_RELAY_URL: \(error.reason)")
            }
        }
        var retrySeconds = 60.0
        if let raw = environment["ZAYAVKA_MAIL_RETRY_SECONDS"], !raw.isEmpty {
            if let value = Double(raw), value >= 0.1, value <= 86_400 { retrySeconds = value } else {
                problems.append("ZAYAVKA_MAIL_RETRY_SECONDS=\(raw): expected seconds from 0.1 to 86400")
            }
        }
        return MailConfiguration(
            smtpPort: smtpPort, lmtpPort: lmtpPort,
            listenHost: environment["ZAYAVKA_SMTP_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1",
            supportAddresses: supportAddresses, from: from,
            subjectTag: environment["ZAYAVKA_MAIL_SUBJECT_TAG"].flatMap { $0.isEmpty ? nil : $0 } ?? "Поддержка",
            relay: relay, retrySeconds: retrySeconds,
            attempts: int("ZAYAVKA_MAIL_ATTEMPTS", 8, 1...50),
            senderLimitPerHour: int("ZAYAVKA_MAIL_SENDER_LIMIT", 30, 1...1_000_000),
            maxMessageBytes: int("ZAYAVKA_MAIL_MAX_MB", 35, 1...1024) * 1_048_576)
    }
}

/// Every configuration problem at once, so a person fixes them in one go.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let problems: [String]
    public var description: String { "Configuration errors:\n" + problems.map { "  - " + $0 }.joined(separator: "\n") }
}
