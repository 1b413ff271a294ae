import Foundation
import ZayavkaCore

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
    public var defaultLanguage: Language
    public var publicURL: String
    public var logFormat: LogFormat
    /// How long a verified token is trusted without asking the database again.
    public var tokenCacheSeconds: Double
    /// PostgreSQL schema to keep Zayavka's tables in (created when missing); nil means the server's default.
    public var databaseSchema: String?
    /// Days after which a solved ticket closes by itself.
    public var autoCloseDays: Double
    /// A browser session ends after this many hours without a request.
    public var sessionIdleHours: Double
    /// Whether session cookies carry `Secure` (sent over HTTPS only).
    public var secureCookies: Bool

    public enum LogFormat: String, Sendable { case json, text }

    public static let variables: [(name: String, meaning: String, fallback: String)] = [
        ("ZAYAVKA_DATA_DIR", "folder for the SQLite database and attachments (also `--data-dir`)", "./data"),
        ("DATABASE_URL", "`postgres://user:pass@host:5432/db` to use PostgreSQL instead of SQLite", "unset (SQLite)"),
        ("ZAYAVKA_ADMIN_EMAIL", "email of the admin created on first start", "admin@zayavka.local"),
        ("ZAYAVKA_ADMIN_PASSWORD", "password of that admin; printed once when generated", "generated"),
        ("ZAYAVKA_BCRYPT_COST", "Bcrypt cost for password hashes (4…31)", "12"),
        ("ZAYAVKA_MAX_ATTACHMENT_MB", "largest attachment accepted, in MiB (larger: 413)", "50"),
        ("ZAYAVKA_DEFAULT_LANGUAGE", "`ru` or `en`, for people with no setting and no Accept-Language", "ru"),
        ("ZAYAVKA_PUBLIC_URL", "the address people use to reach this server (for links)", "http://127.0.0.1:8080"),
        ("ZAYAVKA_LOG_FORMAT", "`json` (one object a line) or `text`", "json"),
        ("ZAYAVKA_LOG_LEVEL", "trace, debug, info, notice, warning, error, critical", "info"),
        ("ZAYAVKA_TOKEN_CACHE_SECONDS", "how long a checked API token is trusted before the database is asked again", "10"),
        ("ZAYAVKA_AUTOCLOSE_DAYS", "days after which a solved ticket closes by itself (a later reply opens a new ticket)", "7"),
        ("ZAYAVKA_SESSION_HOURS", "a web session ends after this many hours without activity", "12"),
        ("ZAYAVKA_SECURE_COOKIES", "`true`/`false`: mark session cookies Secure (HTTPS only); by default true when ZAYAVKA_PUBLIC_URL is https", "auto"),
        ("ZAYAVKA_DATABASE_SCHEMA", "PostgreSQL schema for Zayavka's tables (created if missing)", "public"),
    ]

    /// Reads the environment; throws one error naming every bad value.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment,
                            dataDirectoryOverride: String? = nil) throws -> AppConfiguration {
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
        let configuration = AppConfiguration(
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
            secureCookies: secureCookies)
        if !problems.isEmpty { throw ConfigurationError(problems: problems) }
        return configuration
    }

    public var usesPostgres: Bool { databaseURL != nil }
}

/// Every configuration problem at once, so a person fixes them in one go.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let problems: [String]
    public var description: String { "Configuration errors:\n" + problems.map { "  - " + $0 }.joined(separator: "\n") }
}
