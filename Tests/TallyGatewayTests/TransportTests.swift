import HTTPTypes
import Testing
import TallyTestSupport
@testable import TallyGateway

@Suite(.timeLimit(.minutes(1)))
struct TransportTests {
    @Test func aGETReturnsTheStatusHeadersAndBody() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/v1/models", with: .json(#"{"data":[]}"#, headers: [("X-Request-Id", "req-1")]))
        let transport = try Transport()

        let response = try await transport.execute(.init(url: upstream.baseURL + "/v1/models?limit=2"))

        #expect(response.status == 200)
        #expect(response.httpVersion == "1.1")
        #expect(response.headers[.xRequestID] == "req-1")
        #expect(try await response.text == #"{"data":[]}"#)
        #expect(upstream.requests.map(\.method) == ["GET"])
        #expect(upstream.requests.first?.path == "/v1/models?limit=2")
    }

    @Test func aPOSTSendsItsBodyAndHeadersUpstreamWithoutExpectContinue() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/v1/chat/completions", with: .openAIChatCompletion())
        let transport = try Transport()
        let body = Array(#"{"model":"gpt-4o-mini","messages":[]}"#.utf8) + Array(repeating: UInt8(ascii: " "), count: 4000)

        let response = try await transport.execute(.init(
            method: "POST", url: upstream.baseURL + "/v1/chat/completions",
            headers: .named(["Authorization": "Bearer sk-test", "Content-Type": "application/json"]), body: body))

        #expect(response.status == 200)
        #expect(try await response.text.contains(#""prompt_tokens":12"#))
        let received = try #require(upstream.requests.first)
        #expect(received.method == "POST")
        #expect(received.body == body)
        #expect(received.header("authorization") == "Bearer sk-test")
        #expect(received.header("expect") == nil)
    }

    @Test func aHundredConcurrentTransfersAllComplete() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/stream", with: .openAIChatStream(pieces: ["a", "b", "c"], delay: .milliseconds(5)))
        let transport = try Transport()
        let expected = try await transport.execute(.init(url: upstream.baseURL + "/stream")).text

        let bodies = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<100 {
                group.addTask { try await transport.execute(.init(url: upstream.baseURL + "/stream")).text }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }

        #expect(bodies.count == 100)
        #expect(bodies.allSatisfy { $0 == expected })
        #expect(await eventually { transport.statistics.liveTransfers == 0 })
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/v1/models", with: .json("{}"))
        let transport = try Transport()

        for _ in 0..<20 {
            _ = try await transport.execute(.init(url: upstream.baseURL + "/v1/models")).text
        }

        #expect(upstream.requests.count == 20)
        #expect(upstream.connectionsAccepted == 1)
        #expect(await eventually { transport.statistics.newConnections == 1 })
    }

    @Test func aSlowReaderKeepsTheBufferBoundedByPausingAndResumingTheTransfer() async throws {
        let upstream = try FakeUpstream()
        let part = Array(repeating: UInt8(ascii: "x"), count: 16 * 1024)
        upstream.respond(to: "/big", with: .init(status: 200, parts: Array(repeating: part, count: 256), chunked: true))
        let limit = 64 * 1024
        // The idle timeout is shorter than the reader's stall: a paused transfer is not idle.
        // (Seconds, not milliseconds, so a loaded machine's scheduling never looks idle.)
        let transport = try Transport(configuration: .init(
            idleTimeout: .seconds(2), maximumBufferedBytesPerTransfer: limit))

        let response = try await transport.execute(.init(url: upstream.baseURL + "/big"))
        var total = 0
        var chunks = 0
        for try await chunk in response.body {
            total += chunk.count
            chunks += 1
            #expect(transport.statistics.bufferedBytes <= limit + 16 * 1024)
            if chunks == 10 { try await Task.sleep(for: .seconds(3)) }
            if chunks % 16 == 0 { try await Task.sleep(for: .milliseconds(2)) }
        }

        #expect(total == 256 * 16 * 1024)
        let statistics = transport.statistics
        #expect(statistics.peakTransferBufferedBytes <= limit + 16 * 1024)
        #expect(statistics.pauses > 0)
        #expect(statistics.resumes > 0)
        #expect(statistics.bufferedBytes == 0)
    }

    @Test func cancellingTheReadingTaskRemovesTheTransferAndClosesTheConnection() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/endless", with: .endless())
        let transport = try Transport()
        let firstChunks = AsyncStream<Void>.makeStream()

        let reader = Task {
            let response = try await transport.execute(.init(url: upstream.baseURL + "/endless"))
            var count = 0
            for try await _ in response.body {
                count += 1
                if count == 3 { firstChunks.continuation.yield() }
            }
        }
        for await _ in firstChunks.stream { break }
        #expect(transport.statistics.liveTransfers == 1)
        reader.cancel()

        let error = await transportError { try await reader.value }
        #expect(error?.code == .cancelled)
        #expect(await eventually { transport.statistics.liveTransfers == 0 })
        #expect(await eventually { upstream.abandonedResponses == 1 })
        #expect(await eventually { transport.statistics.bufferedBytes == 0 })
    }

    @Test func droppingAResponseMidStreamRemovesTheTransfer() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/endless", with: .endless())
        let transport = try Transport()

        do {
            let response = try await transport.execute(.init(url: upstream.baseURL + "/endless"))
            for try await _ in response.body { break }
        }

        #expect(await eventually { transport.statistics.liveTransfers == 0 })
        #expect(await eventually { upstream.abandonedResponses == 1 })
    }

    @Test func cancellingBeforeTheHeadArrivesRemovesTheTransfer() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/silent", with: .silent)
        let transport = try Transport()

        let request = Task { try await transport.execute(.init(url: upstream.baseURL + "/silent")) }
        #expect(await eventually { upstream.requests.count == 1 })
        request.cancel()

        let error = await transportError { _ = try await request.value }
        #expect(error?.code == .cancelled)
        #expect(error?.receivedResponseBytes == false)
        #expect(await eventually { transport.statistics.liveTransfers == 0 })
    }

    @Test func aHeldBodyIsNotSentUntilReleasedAndThenArrivesWhole() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/v1/chat/completions", with: .openAIChatCompletion())
        let transport = try Transport()
        // Larger than libcurl's upload buffer, so the read callback is called more than once.
        let body = Array(#"{"model":"gpt-4o-mini","messages":[]}"#.utf8) + Array(repeating: UInt8(ascii: " "), count: 300_000)

        let started = transport.start(
            .init(method: "POST", url: upstream.baseURL + "/v1/chat/completions", headers: [.contentType: "application/json"], body: body),
            holdingBody: true)
        #expect(await eventually { upstream.connectionsAccepted == 1 })
        try await Task.sleep(for: .milliseconds(100))
        #expect(upstream.requests.isEmpty, "no complete request before the body is released")

        started.releaseBody()
        let response = try await started.response()
        #expect(response.status == 200)
        _ = try await response.text
        #expect(upstream.requests.map(\.body) == [body])
    }

    @Test func aHeldRequestThatIsCancelledNeverReachesTheUpstream() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/v1/chat/completions", with: .openAIChatCompletion())
        let transport = try Transport()

        let started = transport.start(
            .init(method: "POST", url: upstream.baseURL + "/v1/chat/completions", body: Array(#"{"model":"m"}"#.utf8)),
            holdingBody: true)
        #expect(await eventually { upstream.connectionsAccepted == 1 })
        started.cancel()

        let error = await transportError { _ = try await started.response() }
        #expect(error?.code == .cancelled)
        #expect(await eventually { transport.statistics.liveTransfers == 0 })
        try await Task.sleep(for: .milliseconds(100))
        #expect(upstream.requests.isEmpty)
    }

    @Test func aHeldBodyIsSentAgainWhenARedirectIsFollowed() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/old", with: .json("moved", status: 308, headers: [("Location", "/new")]))
        upstream.respond(to: "/new", with: .json(#"{"ok":true}"#))
        let transport = try Transport()
        let body = Array(#"{"model":"m","input":"hello"}"#.utf8)

        let started = transport.start(.init(method: "POST", url: upstream.baseURL + "/old", body: body), holdingBody: true)
        started.releaseBody()
        let response = try await started.response()

        #expect(response.status == 200)
        #expect(try await response.text == #"{"ok":true}"#)
        #expect(upstream.requests.map(\.path) == ["/old", "/new"])
        #expect(upstream.requests.map(\.body) == [body, body])
    }

    @Test func aClosedPortFailsWithCouldNotConnect() async throws {
        let closed = try ClosedPort()
        defer { withExtendedLifetime(closed) {} }  // the port stays refused until the test ends
        let url = closed.baseURL + "/v1/models"
        let transport = try Transport()

        let error = await transportError { _ = try await transport.execute(.init(url: url)) }

        #expect(error?.code == .couldNotConnect)
        #expect(error?.message.contains(url) == true)
        #expect(error?.underlying != nil)
        #expect(transport.statistics.liveTransfers == 0)
    }

    @Test func anUnresolvableHostFailsWithCouldNotResolve() async throws {
        let transport = try Transport()
        let url = "http://\(unresolvableHost)/v1/models"

        let error = await transportError { _ = try await transport.execute(.init(url: url)) }

        #expect(error?.code == .couldNotResolve)
        #expect(error?.message.contains(unresolvableHost) == true)
    }

    @Test func aConnectionThatIsNeverAcceptedHitsTheConnectTimeout() async throws {
        let blackHole = try BlackHoleListener()
        let transport = try Transport(configuration: .init(connectTimeout: .milliseconds(200)))
        let started = ContinuousClock.now

        let error = await transportError {
            _ = try await transport.execute(.init(url: "http://127.0.0.1:\(blackHole.port)/v1/models"))
        }

        #expect(error?.code == .connectTimeout)
        // Not libcurl's default of minutes (a loaded machine may take seconds to notice).
        #expect(ContinuousClock.now - started < .seconds(15))
    }

    @Test func httpsToAPlainHTTPServerFailsWithATLSError() async throws {
        let upstream = try FakeUpstream()
        let transport = try Transport(configuration: .init(connectTimeout: .seconds(5)))

        let error = await transportError {
            _ = try await transport.execute(.init(url: "https://127.0.0.1:\(upstream.port)/v1/models"))
        }

        #expect(error?.code == .tls)
        #expect(error?.message.contains("https://127.0.0.1") == true)
    }

    @Test func anUpstreamThatSendsHeadersThenNothingHitsTheIdleTimeout() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/idle", with: .idle)
        let transport = try Transport(configuration: .init(idleTimeout: .milliseconds(300)))
        let started = ContinuousClock.now

        let response = try await transport.execute(.init(url: upstream.baseURL + "/idle"))
        let error = await transportError { for try await _ in response.body {} }

        #expect(response.status == 200)
        #expect(error?.code == .idleTimeout)
        #expect(error?.receivedResponseBytes == true)
        #expect(ContinuousClock.now - started < .seconds(15))
        #expect(await eventually { transport.statistics.liveTransfers == 0 })
        #expect(await eventually { upstream.abandonedResponses == 1 })
    }

    @Test func anUpstreamThatNeverAnswersHitsTheIdleTimeoutBeforeTheHead() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/silent", with: .silent)
        let transport = try Transport(configuration: .init(idleTimeout: .milliseconds(300)))

        let error = await transportError { _ = try await transport.execute(.init(url: upstream.baseURL + "/silent")) }

        #expect(error?.code == .idleTimeout)
        #expect(error?.receivedResponseBytes == false)
    }

    @Test func anIdleTimeoutBeforeTheHeadFiresAfterItsDurationNotTwice() async throws {
        // A POST: its body went out at once, which must not count as activity when the deadline comes.
        let upstream = try FakeUpstream()
        upstream.respond(to: "/silent", with: .silent)
        // Three seconds, so that twice the timeout (6 s) stays far from the one expected even
        // when the whole suite runs in parallel on two cores and a wake-up comes a second late.
        let transport = try Transport(configuration: .init(idleTimeout: .seconds(3)))
        let started = ContinuousClock.now

        let error = await transportError {
            _ = try await transport.execute(.init(method: "POST", url: upstream.baseURL + "/silent", body: Array(#"{"model":"m"}"#.utf8)))
        }
        let elapsed = ContinuousClock.now - started

        #expect(error?.code == .idleTimeout)
        #expect(elapsed >= .milliseconds(2900))
        #expect(elapsed < .milliseconds(5400))
    }

    @Test func anIdleTimeoutMidStreamFiresAfterItsDurationNotTwice() async throws {
        // The head at once, one event half a second later, then nothing.
        let upstream = try FakeUpstream()
        var reply = FakeUpstream.Reply.sse(["data: {\"a\":1}\n\n"]).ending(.hang)
        reply.firstPartDelay = .milliseconds(500)
        upstream.respond(to: "/stall", with: reply)
        let transport = try Transport(configuration: .init(idleTimeout: .seconds(3)))
        let started = ContinuousClock.now

        let response = try await transport.execute(.init(method: "POST", url: upstream.baseURL + "/stall", body: Array(#"{"model":"m"}"#.utf8)))
        var lastByte = ContinuousClock.now
        var chunks = 0
        let error = await transportError {
            for try await _ in response.body {
                lastByte = .now
                chunks += 1
            }
        }
        let end = ContinuousClock.now

        #expect(error?.code == .idleTimeout)
        #expect(chunks == 1)
        // At least the event's delay plus the timeout from the start; well under twice the
        // timeout after the event (which reached the reader no earlier than it arrived).
        #expect(end - started >= .milliseconds(3400))
        #expect(end - lastByte < .milliseconds(5400))
    }

    @Test func aSlowUploadIsNotIdleWhileItsBodyIsStillGoingOut() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/upload", with: .json(#"{"ok":true}"#))
        upstream.bodyReadPause = .milliseconds(12)  // 64 KiB per 12 ms: about 3 s for 16 MiB
        let transport = try Transport(configuration: .init(idleTimeout: .seconds(2)))
        let body = [UInt8](repeating: UInt8(ascii: "u"), count: 16 * 1024 * 1024)

        let response = try await transport.execute(.init(method: "POST", url: upstream.baseURL + "/upload", body: body))

        #expect(response.status == 200)
        #expect(upstream.requests.first?.body.count == body.count)
    }

    @Test func aResetBeforeTheResponseIsAConnectionResetWithNoResponseBytes() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/reset", with: .resetBeforeResponse)
        let transport = try Transport()

        let error = await transportError { _ = try await transport.execute(.init(url: upstream.baseURL + "/reset")) }

        #expect(error?.code == .connectionReset)
        #expect(error?.receivedResponseBytes == false)
    }

    @Test func aResetMidStreamDeliversTheBytesBeforeItThenFails() async throws {
        let upstream = try FakeUpstream()
        let stream = FakeUpstream.Reply.openAIChatStream()
        upstream.respond(to: "/reset", with: stream.resetting(afterBytes: 300))
        let transport = try Transport()

        let response = try await transport.execute(.init(url: upstream.baseURL + "/reset"))
        var received: [UInt8] = []
        let error = await transportError {
            for try await chunk in response.body { received += chunk }
        }

        #expect(response.status == 200)
        #expect(error?.code == .connectionReset)
        #expect(error?.receivedResponseBytes == true)
        #expect(!received.isEmpty)
        #expect(await eventually { transport.statistics.liveTransfers == 0 })
    }

    @Test func aStreamWrittenOneByteAtATimeArrivesWhole() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/whole", with: .anthropicStream())
        upstream.respond(to: "/bytes", with: FakeUpstream.Reply.anthropicStream().bytePerWrite(delay: .microseconds(50)))
        let transport = try Transport()

        let whole = try await transport.execute(.init(url: upstream.baseURL + "/whole")).text
        let trickled = try await transport.execute(.init(url: upstream.baseURL + "/bytes")).text

        #expect(trickled == whole)
        #expect(whole.hasSuffix("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"))
    }

    @Test func aStreamPacedLikeAModelSendsItsFirstEventAtOnce() async throws {
        let upstream = try FakeUpstream()
        let events = ["data: 1\n\n", "data: 2\n\n", "data: 3\n\n"]
        // Long enough that "at once" and "after an interval" stay apart on a loaded machine.
        let interval = Duration.seconds(3)
        upstream.respond(to: "/paced", with: FakeUpstream.Reply.sse(events).streamed(every: interval))
        let transport = try Transport()

        let start = ContinuousClock.now
        let response = try await transport.execute(.init(url: upstream.baseURL + "/paced"))
        let head = ContinuousClock.now
        var arrivals: [(ContinuousClock.Instant, String)] = []
        for try await chunk in response.body {
            arrivals.append((.now, String(decoding: chunk, as: UTF8.self)))
        }

        #expect(arrivals.map(\.1).joined() == events.joined())
        // The first event follows the head without a pause (paced(_:) would wait an interval);
        // the other two come an interval apart, so the last no sooner than two after the start.
        #expect(arrivals.first.map { $0.0 - head < interval } == true)
        #expect(arrivals.last.map { $0.0 - start >= interval * 2 } == true)
    }

    @Test func aRedirectIsFollowedAndOnlyTheFinalHeadIsDelivered() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/old", with: .json("moved", status: 308, headers: [("Location", "/new")]))
        upstream.respond(to: "/new", with: .json(#"{"ok":true}"#, headers: [("X-Final", "yes")]))
        let transport = try Transport()

        let response = try await transport.execute(.init(url: upstream.baseURL + "/old"))

        #expect(response.status == 200)
        #expect(response.headers[HTTPField.Name("x-final")!] == "yes")
        #expect(response.headers[.location] == nil)
        #expect(try await response.text == #"{"ok":true}"#)
    }

    @Test func aRedirectLoopFailsWithTooManyRedirects() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/loop", with: .json("again", status: 302, headers: [("Location", "/loop")]))
        let transport = try Transport(configuration: .init(maximumRedirects: 3))

        let error = await transportError { _ = try await transport.execute(.init(url: upstream.baseURL + "/loop")) }

        #expect(error?.code == .tooManyRedirects)
        #expect(upstream.requests.count == 4)
    }

    @Test func aURLThatIsNotHTTPIsRefused() async throws {
        let transport = try Transport()

        let error = await transportError { _ = try await transport.execute(.init(url: "file:///etc/hostname")) }

        #expect(error?.code == .invalidRequest)
    }

    @Test func aRedirectToANonHTTPURLIsNotFollowed() async throws {
        let upstream = try FakeUpstream()
        upstream.respond(to: "/sneaky", with: .json("", status: 302, headers: [("Location", "file:///etc/hostname")]))
        let transport = try Transport()

        let error = await transportError { _ = try await transport.execute(.init(url: upstream.baseURL + "/sneaky")) }

        #expect(error?.code == .invalidRequest)
    }

    @Test func aHeaderValueWithALineBreakIsSentAsOneFieldNeverASecond() async throws {
        let upstream = try FakeUpstream()
        let transport = try Transport()
        var headers = HTTPFields()
        headers[try #require(HTTPField.Name("X-Bad"))] = "a\r\nInjected: 1"

        let response = try await transport.execute(.init(url: upstream.baseURL + "/", headers: headers))
        _ = try await response.collectBody(upTo: 1 << 20)

        let received = try #require(upstream.requests.first)
        #expect(received.header("injected") == nil)
        #expect(received.header("x-bad") == "a  Injected: 1")
    }
}
