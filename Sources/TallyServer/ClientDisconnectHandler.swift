import NIOCore
import Synchronization

/// Notices that a client has left (closed its side of the connection, or the connection
/// dropped) while one of its requests still waits for the upstream, so the wait can end then
/// rather than at the idle timeout. One per connection, in its channel pipeline; reads pass
/// through untouched.
final class ClientDisconnectHandler: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny

    private struct State {
        var left = false
        var nextToken = 0
        var onLeave: [Int: @Sendable () -> Void] = [:]
    }

    private let state = Mutex(State())

    /// The handler of each open connection, by channel, for the requests on it to find.
    private static let open = Mutex<[ObjectIdentifier: ClientDisconnectHandler]>([:])

    init() {}

    /// The handler watching `channel`, when it has one.
    static func watching(_ channel: any Channel) -> ClientDisconnectHandler? {
        open.withLock { $0[ObjectIdentifier(channel)] }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        Self.open.withLock { $0[ObjectIdentifier(context.channel)] = self }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        let id = ObjectIdentifier(context.channel)
        Self.open.withLock { open in
            if open[id] === self { open[id] = nil }
        }
        clientLeft()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { clientLeft() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        clientLeft()
        context.fireChannelInactive()
    }

    private func clientLeft() {
        let actions = state.withLock { state -> [@Sendable () -> Void] in
            guard !state.left else { return [] }
            state.left = true
            defer { state.onLeave = [:] }
            return Array(state.onLeave.values)
        }
        for action in actions { action() }
    }

    /// Runs `work` in a task of its own, cancelled when the client leaves (at once if it already
    /// has) or when the calling task is cancelled; returns or throws what `work` does.
    func cancellingWhenClientLeaves<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let task = Task { try await work() }
        let token: Int? = state.withLock { state in
            guard !state.left else { return nil }
            defer { state.nextToken += 1 }
            state.onLeave[state.nextToken] = { task.cancel() }
            return state.nextToken
        }
        if token == nil { task.cancel() }
        defer {
            if let token { _ = state.withLock { $0.onLeave.removeValue(forKey: token) } }
        }
        return try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    }
}
