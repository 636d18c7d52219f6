internal import CCurl
import HTTPTypes

/// One libcurl easy handle and what the curl thread tracks about it. Created, used and
/// destroyed on the curl thread only; never shared (see `CurlLoop`).
final class EasyTransfer {
    let state: TransferState
    let easy: UnsafeMutableRawPointer
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private let followsRedirects: Bool

    /// The last time a byte arrived or went out (or the transfer started or was resumed).
    var lastActivity: ContinuousClock.Instant
    /// Request-body bytes sent so far, as libcurl's progress callback last reported: when it
    /// grows, the upload is activity, so a large body still going out is never idle.
    var uploadedBytes: curl_off_t = 0
    /// Whether the write callback last told libcurl to pause.
    var pausedForBackpressure = false
    /// Whether the read callback told libcurl to pause because the body is held back.
    var pausedForHeldBody = false
    /// A held-back request body, sent through the read callback once released.
    private var upload: [UInt8] = []
    private var uploadOffset = 0

    // The header block being read.
    private var blockStatus: Int?
    private var blockVersion = ""
    private var blockFields: [HTTPField] = []
    /// A redirect's head, held back in case libcurl follows it; delivered if it does not.
    private var heldRedirect: TransferState.Head?
    private var headDelivered = false

    init(state: TransferState, request: Transport.Request, configuration: Transport.Configuration) throws(TransportError) {
        guard let easy = curl_easy_init() else {
            throw TransportError(code: .other, url: request.url, message: "libcurl could not create a transfer for \(request.url)")
        }
        self.easy = easy
        self.state = state
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        self.followsRedirects = configuration.maximumRedirects > 0
        self.lastActivity = .now
        try configure(request: request, configuration: configuration)
    }

    deinit {
        curl_easy_cleanup(easy)
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
    }

    private func configure(request: Transport.Request, configuration: Transport.Configuration) throws(TransportError) {
        var failed: CURLcode = CURLE_OK
        func set(_ option: CURLoption, _ value: Int) {
            let code = tally_curl_easy_setopt_long(easy, option, value)
            if code != CURLE_OK, failed == CURLE_OK { failed = code }
        }
        func set(_ option: CURLoption, string: String) {
            let code = string.withCString { tally_curl_easy_setopt_pointer(easy, option, $0) }  // libcurl copies strings
            if code != CURLE_OK, failed == CURLE_OK { failed = code }
        }
        func set(_ option: CURLoption, offset: Int) {
            let code = tally_curl_easy_setopt_off_t(easy, option, curl_off_t(offset))
            if code != CURLE_OK, failed == CURLE_OK { failed = code }
        }
        func set(_ option: CURLoption, pointer: UnsafeRawPointer?) {
            let code = tally_curl_easy_setopt_pointer(easy, option, pointer)
            if code != CURLE_OK, failed == CURLE_OK { failed = code }
        }

        set(CURLOPT_URL, string: request.url)
        // HTTP only, redirects included: a URL from a caller must never read file:// or speak FTP.
        set(CURLOPT_PROTOCOLS_STR, string: "http,https")
        set(CURLOPT_REDIR_PROTOCOLS_STR, string: "http,https")
        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_HTTP_VERSION, tally_curl_http_version_2tls)
        set(CURLOPT_PIPEWAIT, 1)
        set(CURLOPT_TCP_KEEPALIVE, 1)
        set(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1)
        set(CURLOPT_CONNECTTIMEOUT_MS, configuration.connectTimeout.milliseconds)
        if let total = configuration.totalTimeout {
            set(CURLOPT_TIMEOUT_MS, total.milliseconds)
        }
        if let file = configuration.certificateAuthoritiesFile {
            set(CURLOPT_CAINFO, string: file)
        }
        if followsRedirects {
            set(CURLOPT_FOLLOWLOCATION, 1)
            set(CURLOPT_MAXREDIRS, configuration.maximumRedirects)
        }
        set(CURLOPT_ERRORBUFFER, pointer: errorBuffer)
        let me = Unmanaged.passUnretained(self).toOpaque()
        set(CURLOPT_PRIVATE, pointer: me)
        set(CURLOPT_WRITEDATA, pointer: me)
        set(CURLOPT_HEADERDATA, pointer: me)
        _ = tally_curl_easy_setopt_write_callback(easy, CURLOPT_WRITEFUNCTION, curlWriteCallback)
        _ = tally_curl_easy_setopt_write_callback(easy, CURLOPT_HEADERFUNCTION, curlHeaderCallback)
        // Upload progress, timed when it happens: the idle timer must not mistake a body sent
        // long ago for one still going out (which doubled the idle timeout).
        set(CURLOPT_XFERINFODATA, pointer: me)
        if tally_curl_easy_setopt_xferinfo_callback(easy, curlProgressCallback) != CURLE_OK { failed = CURLE_FAILED_INIT }
        set(CURLOPT_NOPROGRESS, 0)

        let method = request.method.uppercased()
        if let body = request.body, state.isBodyHeld {
            // Read through the callback, which pauses the upload until the body is released.
            upload = body
            set(CURLOPT_POST, 1)
            set(CURLOPT_POSTFIELDSIZE_LARGE, offset: body.count)
            set(CURLOPT_READDATA, pointer: me)
            set(CURLOPT_SEEKDATA, pointer: me)
            if tally_curl_easy_setopt_read_callback(easy, curlReadCallback) != CURLE_OK
                || tally_curl_easy_setopt_seek_callback(easy, curlSeekCallback) != CURLE_OK {
                failed = CURLE_FAILED_INIT
            }
            if method != "POST" { set(CURLOPT_CUSTOMREQUEST, string: method) }
        } else if let body = request.body {
            set(CURLOPT_POSTFIELDSIZE_LARGE, offset: body.count)
            // COPYPOSTFIELDS copies the bytes, so the array need not outlive this call.
            body.withUnsafeBytes { set(CURLOPT_COPYPOSTFIELDS, pointer: $0.baseAddress ?? UnsafeRawPointer(errorBuffer)) }
            if method != "POST" { set(CURLOPT_CUSTOMREQUEST, string: method) }
        } else {
            switch method {
            case "GET": set(CURLOPT_HTTPGET, 1)
            case "HEAD": set(CURLOPT_NOBODY, 1)
            case "POST":
                set(CURLOPT_POSTFIELDSIZE_LARGE, offset: 0)
                set(CURLOPT_COPYPOSTFIELDS, pointer: UnsafeRawPointer(errorBuffer))  // an empty C string
            default: set(CURLOPT_CUSTOMREQUEST, string: method)
            }
        }

        var list: UnsafeMutablePointer<curl_slist>?
        for field in request.headers {
            // An HTTPField's name is a token and its value holds no line break (HTTPTypes turns
            // CR and LF into spaces), so a field is always exactly one header line.
            // "Name:" alone would make libcurl drop the header; "Name;" sends it empty.
            let name = field.name.rawName
            let line = field.value.isEmpty ? "\(name);" : "\(name): \(field.value)"
            list = curl_slist_append(list, line)
        }
        if request.body != nil || method == "POST" {
            list = curl_slist_append(list, "Expect:")  // no 100-continue round trip
        }
        headerList = list
        if let list { set(CURLOPT_HTTPHEADER, pointer: list) }

        if failed != CURLE_OK {
            throw TransportError(
                code: .invalidRequest, url: request.url,
                message: "libcurl refused the request to \(request.url)",
                underlying: String(cString: curl_easy_strerror(failed)))
        }
    }

    // MARK: Callbacks (curl thread)

    func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        lastActivity = .now
        if headDelivered { return }  // trailers
        var line = String(decoding: bytes, as: UTF8.self)
        while line.last == "\n" || line.last == "\r" || line.last == "\r\n" { line.removeLast() }
        if line.hasPrefix("HTTP/") {
            let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
            blockVersion = parts.first.map { String($0.dropFirst(5)) } ?? ""
            blockStatus = parts.count > 1 ? Int(parts[1]) : nil
            blockFields = []
            heldRedirect = nil
            return
        }
        if line.isEmpty {
            endHeaderBlock()
            return
        }
        if line.first == " " || line.first == "\t", !blockFields.isEmpty {
            blockFields[blockFields.count - 1].value += " " + line.trimmingSpaces()
            return
        }
        // A line that is no field, or whose name is not a token, is not the upstream's to send.
        guard let colon = line.firstIndex(of: ":"), let name = HTTPField.Name(String(line[..<colon])) else { return }
        blockFields.append(HTTPField(name: name, value: String(line[line.index(after: colon)...]).trimmingSpaces()))
    }

    private func endHeaderBlock() {
        guard let status = blockStatus else { return }
        blockStatus = nil
        if (100..<200).contains(status) { return }  // 100 Continue, 103 Early Hints: not the answer
        let head = TransferState.Head(status: status, headers: HTTPFields(blockFields), httpVersion: blockVersion)
        let isRedirect = [301, 302, 303, 307, 308].contains(status)
        if isRedirect, followsRedirects, head.headers[.location] != nil {
            heldRedirect = head  // libcurl follows it; a new header block comes next
            return
        }
        deliver(head)
    }

    private func deliver(_ head: TransferState.Head) {
        headDelivered = true
        heldRedirect = nil
        state.deliverHead(head)
    }

    /// Fills libcurl's upload buffer from the held body, or pauses while it is still held.
    func sendBody(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        if state.isBodyHeld {
            pausedForHeldBody = true
            return tally_curl_readfunc_pause
        }
        let count = min(buffer.count, upload.count - uploadOffset)
        guard count > 0 else { return 0 }
        upload.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[uploadOffset..<(uploadOffset + count)]))
        }
        uploadOffset += count
        return count
    }

    /// Rewinds the held body (libcurl resends it on a fresh connection or a redirect).
    func seekBody(to offset: Int64, origin: Int32) -> Int32 {
        guard origin == SEEK_SET, offset >= 0, offset <= upload.count else { return Int32(tally_curl_seekfunc_cantseek) }
        uploadOffset = Int(offset)
        return Int32(tally_curl_seekfunc_ok)
    }

    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        lastActivity = .now
        if !headDelivered, let held = heldRedirect { deliver(held) }
        switch state.admit(bytes) {
        case .accepted:
            return bytes.count
        case .pause:
            pausedForBackpressure = true
            return tally_curl_writefunc_pause
        }
    }

    /// Called once libcurl is done with the transfer: delivers a held head, then the end.
    func complete(_ code: CURLcode) {
        if code == CURLE_OK {
            if !headDelivered, let held = heldRedirect { deliver(held) }
            state.finish(nil)
        } else {
            state.finish(error(for: code))
        }
    }

    func failIdle(after timeout: Duration) {
        state.finish(TransportError(
            code: .idleTimeout, url: state.url,
            message: "no byte to or from \(state.url) for \(timeout) (idle timeout)"))
    }

    /// Notes libcurl's count of request-body bytes sent: more than before is activity now.
    /// Returns whether it was more.
    @discardableResult
    func noteUploaded(_ sent: curl_off_t) -> Bool {
        guard sent > uploadedBytes else { return false }
        uploadedBytes = sent
        lastActivity = .now
        return true
    }

    /// Reads the bytes sent now (for bytes that went out since the progress callback last ran).
    func sampleUpload() -> Bool {
        var sent: curl_off_t = 0
        _ = tally_curl_easy_getinfo_off_t(easy, CURLINFO_SIZE_UPLOAD_T, &sent)
        return noteUploaded(sent)
    }

    var newConnections: Int {
        var count = 0
        _ = tally_curl_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &count)
        return count
    }

    private func error(for code: CURLcode) -> TransportError {
        let detail = errorBuffer.pointee != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        let url = state.url
        func make(_ errorCode: TransportError.Code, _ message: String) -> TransportError {
            TransportError(code: errorCode, url: url, message: message, underlying: detail)
        }
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return make(.couldNotResolve, "could not resolve the host of \(url)")
        case CURLE_COULDNT_CONNECT:
            return make(.couldNotConnect, "could not connect to \(url)")
        case CURLE_OPERATION_TIMEDOUT:
            var connectTime: curl_off_t = 0
            _ = tally_curl_easy_getinfo_off_t(easy, CURLINFO_CONNECT_TIME_T, &connectTime)
            if connectTime == 0, !headDelivered {
                return make(.connectTimeout, "could not connect to \(url) within the connect timeout")
            }
            return make(.totalTimeout, "request to \(url) exceeded its total timeout")
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ENGINE_NOTFOUND,
             CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE,
             CURLE_SSL_SHUTDOWN_FAILED, CURLE_USE_SSL_FAILED, CURLE_SSL_CLIENTCERT:
            return make(.tls, "TLS with \(url) failed")
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
             CURLE_HTTP2, CURLE_HTTP2_STREAM:
            return make(.connectionReset, "the connection to \(url) was closed before the response was complete")
        case CURLE_TOO_MANY_REDIRECTS:
            return make(.tooManyRedirects, "too many redirects from \(url)")
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return make(.invalidRequest, "cannot send a request to \(url)")
        case CURLE_WEIRD_SERVER_REPLY, CURLE_BAD_CONTENT_ENCODING:
            return make(.invalidResponse, "\(url) did not answer with valid HTTP")
        default:
            return make(.other, "request to \(url) failed")
        }
    }
}

// libcurl calls these on the curl thread, inside curl_multi_perform or curl_easy_pause.
private let curlWriteCallback: curl_write_callback = { data, size, count, userdata in
    guard let userdata else { return 0 }
    let transfer = Unmanaged<EasyTransfer>.fromOpaque(userdata).takeUnretainedValue()
    return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
}

private let curlReadCallback: curl_read_callback = { buffer, size, count, userdata in
    guard let userdata, let buffer else { return tally_curl_readfunc_abort }
    let transfer = Unmanaged<EasyTransfer>.fromOpaque(userdata).takeUnretainedValue()
    return transfer.sendBody(into: UnsafeMutableRawBufferPointer(start: buffer, count: size * count))
}

private let curlSeekCallback: curl_seek_callback = { userdata, offset, origin in
    guard let userdata else { return Int32(tally_curl_seekfunc_cantseek) }
    let transfer = Unmanaged<EasyTransfer>.fromOpaque(userdata).takeUnretainedValue()
    return transfer.seekBody(to: Int64(offset), origin: origin)
}

private let curlProgressCallback: curl_xferinfo_callback = { userdata, _, _, _, uploaded in
    guard let userdata else { return 0 }
    Unmanaged<EasyTransfer>.fromOpaque(userdata).takeUnretainedValue().noteUploaded(uploaded)
    return 0
}

private let curlHeaderCallback: curl_write_callback = { data, size, count, userdata in
    guard let userdata else { return 0 }
    let transfer = Unmanaged<EasyTransfer>.fromOpaque(userdata).takeUnretainedValue()
    transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: size * count))
    return size * count
}

extension Duration {
    /// Whole milliseconds, rounded up so a short positive duration never becomes "no limit" (0).
    var milliseconds: Int {
        let (seconds, attoseconds) = components
        let millis = seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int(max(millis, 1))
    }
}

extension String {
    func trimmingSpaces() -> String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice.removeFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
