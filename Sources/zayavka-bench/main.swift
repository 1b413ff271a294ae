import Foundation

// `zayavka-bench`                  working-time arithmetic figures
// `zayavka-bench smtp-load …`      an SMTP load generator for scripts/bench-mail
let arguments = CommandLine.arguments
if arguments.count > 1, arguments[1] == "smtp-load" {
    await smtpLoad(Array(arguments.dropFirst(2)))
} else {
    workingTimeBenchmark()
}
