import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why a file cannot be read, in the words of the system ("no such file or directory", "is a
/// directory"), for a one-line failure that names the file once.
enum FileProblem {
    static func reason(path: String) -> String {
        var info = stat()
        guard stat(path, &info) == 0 else { return String(cString: strerror(errno)).lowercased() }
        if (info.st_mode & S_IFMT) == S_IFDIR { return "is a directory" }
        guard access(path, R_OK) == 0 else { return String(cString: strerror(errno)).lowercased() }
        return "cannot be read"
    }
}
