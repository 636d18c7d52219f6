import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whether `tally serve` can listen on an address, checked by binding a socket there and
/// closing it at once, before anything (the ledger, its folder) is created.
enum ListenCheck {
    /// Why `host:port` cannot be listened on (the port taken, not allowed, or an address this
    /// machine does not have), as the server would say it; nil when it can, or when the host
    /// does not resolve (the server then reports that itself).
    static func failure(host: String, port: Int) -> String? {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let first = results else { return nil }
        defer { freeaddrinfo(results) }
        // Free when any resolved address binds (the server binds one of them).
        var reason: String?
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let entry = next {
            let address = entry.pointee
            next = address.ai_next
            let socket = Glibc.socket(address.ai_family, address.ai_socktype, address.ai_protocol)
            guard socket >= 0 else { return nil }
            defer { close(socket) }
            // As the server binds: SO_REUSEADDR, so only a live listener makes the port taken.
            var on: Int32 = 1
            _ = setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
            guard bind(socket, address.ai_addr, address.ai_addrlen) != 0 else { return nil }
            let code = errno
            guard [EADDRINUSE, EACCES, EADDRNOTAVAIL].contains(code) else { return nil }
            reason = reason ?? String(cString: strerror(code)).lowercased()
        }
        return reason
    }
}
