import Foundation

// `zayavka-bench`                  working-time arithmetic figures
// `zayavka-bench smtp-load …`      an SMTP load generator for scripts/bench-mail
// `zayavka-bench mime-parse …`     the MIME parser's throughput over the corpus
let arguments = CommandLine.arguments
if arguments.count > 1, arguments[1] == "smtp-load" {
    await smtpLoad(Array(arguments.dropFirst(2)))
} else if arguments.count > 1, arguments[1] == "mime-parse" {
    mimeParseBenchmark(Array(arguments.dropFirst(2)))
} else {
    workingTimeBenchmark()
}
