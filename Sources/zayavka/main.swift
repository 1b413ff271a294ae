import ZayavkaApp

try await Zayavka.main()
