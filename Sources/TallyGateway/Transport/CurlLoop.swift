internal import CCurl
import Foundation
import Synchronization

/// The one thread that drives libcurl's multi handle, and the command queue other threads use
/// to reach it.
///
/// `@unchecked Sendable` is safe because the multi handle, every easy handle and `transfers`
/// are touched only on the loop thread (inside `run()`); other threads only append to
/// `queue` (a `Mutex`) and call `curl_multi_wakeup`, which libcurl documents as callable from
/// any thread, under that same lock so it never races with `curl_multi_cleanup`.
final class CurlLoop: @unchecked Sendable {
    enum Command {
        case start(TransferState, Transport.Request)
        case cancel(UInt64)
        case resume(UInt64)
        case releaseBody(UInt64)
        case shutdown
    }

    private struct Queue {
        var commands: [Command] = []
        var closed = false
    }

    private let multi: UnsafeMutableRawPointer
    private let queue = Mutex(Queue())
    private let configuration: Transport.Configuration
    private let counters: TransportCounters
    private let idleTimeout: Duration?

    // Loop thread only.
    private var transfers: [UInt64: EasyTransfer] = [:]
    private var nextIdleScan: ContinuousClock.Instant?

    init(configuration: Transport.Configuration, counters: TransportCounters) throws(TransportError) {
        _ = curlGlobalInitialization
        guard let multi = curl_multi_init() else {
            throw TransportError(code: .other, url: "", message: "libcurl could not create a multi handle")
        }
        self.multi = multi
        self.configuration = configuration
        self.counters = counters
        self.idleTimeout = configuration.idleTimeout
        _ = tally_curl_multi_setopt_long(multi, CURLMOPT_PIPELINING, tally_curlpipe_multiplex)
        if configuration.maximumCachedConnections > 0 {
            _ = tally_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, configuration.maximumCachedConnections)
        }
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "tally-curl"
        thread.start()
    }

    /// Queues a command and wakes the loop. Returns false once the loop has shut down.
    @discardableResult
    func enqueue(_ command: Command) -> Bool {
        queue.withLock { queue in
            guard !queue.closed else { return false }
            queue.commands.append(command)
            curl_multi_wakeup(multi)
            return true
        }
    }

    // MARK: Loop thread

    private func run() {
        var running: Int32 = 0
        while true {
            let commands = queue.withLock { queue in
                defer { queue.commands.removeAll(keepingCapacity: true) }
                return queue.commands
            }
            for command in commands {
                switch command {
                case .start(let state, let request): add(state, request)
                case .cancel(let id): remove(id, failingWith: nil)
                case .resume(let id): resume(id)
                case .releaseBody(let id): releaseBody(id)
                case .shutdown:
                    shutDown()
                    return
                }
            }
            curl_multi_perform(multi, &running)
            readCompletions()
            scanForIdleTransfers()
            var timeout = 1000
            if let nextIdleScan {
                let wait = ContinuousClock.now.duration(to: nextIdleScan)
                timeout = wait <= .zero ? 0 : min(timeout, wait.milliseconds)
            }
            curl_multi_poll(multi, nil, 0, Int32(timeout), nil)
        }
    }

    private func add(_ state: TransferState, _ request: Transport.Request) {
        let transfer: EasyTransfer
        do {
            transfer = try EasyTransfer(state: state, request: request, configuration: configuration)
        } catch {
            state.finish(error)
            counters.completedTransfers.add(1, ordering: .relaxed)
            return
        }
        let code = curl_multi_add_handle(multi, transfer.easy)
        guard code == CURLM_OK else {
            state.finish(TransportError(
                code: .other, url: state.url, message: "libcurl could not start the request to \(state.url)",
                underlying: String(cString: curl_multi_strerror(code))))
            counters.completedTransfers.add(1, ordering: .relaxed)
            return
        }
        transfers[state.id] = transfer
        counters.liveTransfers.add(1, ordering: .relaxed)
        if let idleTimeout, nextIdleScan == nil {
            nextIdleScan = transfer.lastActivity + idleTimeout
        }
    }

    /// Takes a transfer out of the multi handle and destroys its easy handle, ending its state
    /// with `error` (a cancelled state has already ended).
    private func remove(_ id: UInt64, failingWith error: TransportError?) {
        guard let transfer = transfers.removeValue(forKey: id) else { return }
        curl_multi_remove_handle(multi, transfer.easy)
        counters.newConnections.add(transfer.newConnections, ordering: .relaxed)
        counters.liveTransfers.subtract(1, ordering: .relaxed)
        counters.completedTransfers.add(1, ordering: .relaxed)
        if let error { transfer.state.finish(error) }
        // `transfer` is released here: its deinit calls curl_easy_cleanup on this thread.
    }

    private func resume(_ id: UInt64) {
        guard let transfer = transfers[id], transfer.pausedForBackpressure else { return }
        transfer.pausedForBackpressure = false
        transfer.lastActivity = .now
        // May call the write callback at once with the chunk refused when pausing.
        curl_easy_pause(transfer.easy, tally_curlpause_cont)
        if let idleTimeout, nextIdleScan == nil {
            nextIdleScan = transfer.lastActivity + idleTimeout
        }
    }

    /// Unpauses the upload of a transfer whose held body was released (receiving stays paused
    /// if its reader is behind).
    private func releaseBody(_ id: UInt64) {
        guard let transfer = transfers[id], transfer.pausedForHeldBody else { return }
        transfer.pausedForHeldBody = false
        transfer.lastActivity = .now
        curl_easy_pause(transfer.easy, transfer.pausedForBackpressure ? tally_curlpause_recv : tally_curlpause_cont)
    }

    private func readCompletions() {
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let result = tally_curl_msg_result(message)
            var pointer: UnsafeMutableRawPointer?
            _ = tally_curl_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &pointer)
            guard let pointer else { continue }
            let transfer = Unmanaged<EasyTransfer>.fromOpaque(pointer).takeUnretainedValue()
            remove(transfer.state.id, failingWith: nil)
            transfer.complete(result)  // after the removal, so a woken caller sees the counters settled
        }
    }

    /// Fails transfers that sent and received no byte for the idle timeout, measured from the
    /// last byte either way (an upload in progress counts as it happens, through libcurl's
    /// progress callback). Paused transfers are waiting for their consumer, not for the
    /// upstream, so they are never idle.
    private func scanForIdleTransfers() {
        guard let idleTimeout, let scanAt = nextIdleScan else { return }
        let now = ContinuousClock.now
        guard now >= scanAt else { return }
        var earliest: ContinuousClock.Instant?
        var idle: [UInt64] = []
        for (id, transfer) in transfers where !transfer.pausedForBackpressure {
            var deadline = transfer.lastActivity + idleTimeout
            if deadline <= now, transfer.sampleUpload() {
                // Bytes went out since the last progress report: a slow upload, not idle. (The
                // count is kept current by the progress callback, so a body sent long ago is not.)
                deadline = transfer.lastActivity + idleTimeout
            }
            if deadline <= now {
                idle.append(id)
            } else if earliest.map({ deadline < $0 }) ?? true {
                earliest = deadline
            }
        }
        for id in idle {
            let transfer = transfers[id]
            remove(id, failingWith: nil)
            transfer?.failIdle(after: idleTimeout)
        }
        // Paused transfers get a deadline again when resumed (see `resume`).
        nextIdleScan = earliest
    }

    private func shutDown() {
        queue.withLock { $0.closed = true }
        for id in Array(transfers.keys) {
            let url = transfers[id]?.state.url ?? ""
            remove(id, failingWith: TransportError(
                code: .shutdown, url: url, message: "the transport shut down during the request to \(url)"))
        }
        // Commands queued after the last drain: fail starts so no caller waits forever.
        let late = queue.withLock { queue in
            defer { queue.commands.removeAll() }
            return queue.commands
        }
        for case .start(let state, _) in late {
            state.finish(TransportError(
                code: .shutdown, url: state.url, message: "the transport shut down before the request to \(state.url)"))
        }
        curl_multi_cleanup(multi)
    }
}

/// `curl_global_init` must run once before any other libcurl call; a global is initialised
/// exactly once, thread-safely.
private let curlGlobalInitialization: Void = {
    _ = curl_global_init(tally_curl_global_all)
}()
