import NIOCore
import NIOPosix
import ZayavkaApp

// Run Swift concurrency on NIO's event loops: a request's awaits then stay on the loop that
// serves it instead of hopping to the global pool and back (about a third of the CPU under load).
_ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()

try await Zayavka.main()
