// The MIME half (parsing, building, sanitizing) is its own Foundation-only target so the fuzzer
// builds it without the network stack; everyone who imports ZayavkaMail gets it too.
@_exported import ZayavkaMIME
