import AgentCacheCore
#if canImport(Glibc)
import Glibc
#endif
import HTTPTypes
import NIOCore
import NIOHTTP1

/// The HTTP/1.1 connection rules of RFC 9112 §9 and the connection deadlines, for every
/// request of a connection whichever handler answers it (the fast path or the router). Sits
/// right after NIO's HTTP/1 codec; `RequestBytesObserver` (before the decoder) reports raw
/// bytes, so a head that trickles in is timed from its first byte.
///
/// - A request that does not keep the connection alive (HTTP/1.0 without `keep-alive`,
///   `Connection: close`) and every answer while shutting down end the connection: the answer
///   says `Connection: close`, the output is closed after it, and what the client still sends
///   is read and dropped until it stops for `lingerTimeout` (nginx's lingering close), so it
///   reads the answer instead of a reset. So does an answer sent before its request's body was
///   read (an early 413 or 401), unless the rest of the body had arrived by the time the answer
///   is flushed (a client that sent it in one write keeps its connection). HTTP/1.0 keep-alive
///   is acknowledged.
/// - Answers to `HEAD` carry the GET answer's headers and no body (RFC 9110 §9.3.2).
/// - A transfer coding other than `chunked` is 501 (RFC 9112 §6.1), answered here.
/// - Deadlines: `idleTimeout` with no request in progress, `headerTimeout` from a head's first
///   byte, `bodyTimeout` without body progress (408), `shutdownGrace` after the server starts
///   shutting down; a request being answered has none of its own.
///
/// Not Sendable: NIO confines a handler to its channel's event loop.
final class ConnectionRules: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// A request whose answer is not complete yet, oldest first.
    private struct Exchange {
        /// A `HEAD` request: its answer's body is dropped.
        let isHead: Bool
        /// The request lets the connection stay open after its answer.
        let keepAlive: Bool
        /// HTTP/1.0 with `Connection: keep-alive`: the answer says so.
        let acknowledgesKeepAlive: Bool
        /// The request's end has been read.
        var requestEnded = false
        /// The answer's head has been written.
        var answerStarted = false
        /// The connection closes after this answer.
        var closeAfterAnswer = false
    }

    private let configuration: ConnectionConfiguration
    private let serverName: String
    private var exchanges = CircularBuffer<Exchange>(initialCapacity: 2)
    /// The newest request's body is still arriving.
    private var readingBody = false
    /// Bytes of a head not yet decoded arrived, first at this time.
    private var headStartedAt: NIODeadline?
    private var lastProgress = NIODeadline.now()
    private var idleSince = NIODeadline.now()
    /// Dropping the current answer's body (an answer to HEAD).
    private var droppingAnswerBody = false
    /// Set once the server began shutting down: close when the answers in progress are sent,
    /// at the latest at `shutdownGrace` after this time.
    private var drainingSince: NIODeadline?
    /// The output is closed; the input is read and dropped until this deadline moves past.
    private var lingeringUntil: NIODeadline?
    /// When lingering ends whatever the client still sends.
    private var lingerEnd = NIODeadline.distantFuture
    /// An upgrade or CONNECT head was read: NIO's parser stops after it and would keep every
    /// byte that follows, so nothing more is read and the connection ends after the answer.
    private var stopReading = false
    /// Our own answer (501) waiting for earlier answers on this connection.
    private var ownAnswer: Answer?
    /// A request that ends the connection has been read whole: what follows is dropped.
    private var lastRequestRead = false
    /// An answer went out before its request's body was read; decided at the flush.
    private var earlyAnswer = false
    /// The head being read names `Transfer-Encoding`.
    private var headNamesTransferCoding = false
    /// The request line of the head being read has ended (a line feed arrived), after this
    /// many bytes: longer than a field may be, it is what overflowed (414, not 431).
    private var requestLineEnded = false
    private var requestLineBytes = 0
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?
    private var date = HTTPDate()

    init(configuration: ConnectionConfiguration, serverName: String) {
        self.configuration = configuration
        self.serverName = serverName
    }

    // MARK: - Inbound

    func handlerAdded(context: ChannelHandlerContext) {
        idleSince = .now()
        schedule(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    /// Raw request bytes arrived (from `RequestBytesObserver`).
    func bytesArrived(_ bytes: ByteBuffer, context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        if lingeringUntil != nil {
            // Each byte extends the wait, never past `lingerTime` from its start.
            lingeringUntil = min(now + .init(configuration.lingerTimeout), lingerEnd)
            return
        }
        lastProgress = now
        guard !readingBody else { return }
        // Head bytes: NIO's parser reports a transfer coding it cannot frame only as `.unknown`,
        // and a request target or header fields over its limits both as `.headerOverflow`, so
        // what the head holds is noted here to answer 501, 414 or 431 rather than 400.
        if !headNamesTransferCoding { headNamesTransferCoding = Self.mentionsTransferEncoding(bytes) }
        if !requestLineEnded {
            if let end = bytes.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                requestLineBytes += end - bytes.readerIndex
                requestLineEnded = true
            } else {
                requestLineBytes += bytes.readableBytes
            }
        }
        if headStartedAt == nil {
            headStartedAt = now
            schedule(context: context)
        }
    }

    /// Whether a line of `bytes` (or `bytes` itself, which may continue a head) starts with
    /// `transfer-encoding` in any letter case: a header field name starts a line (RFC 9112
    /// §5). O(n): `memchr` finds the line starts.
    private static func mentionsTransferEncoding(_ bytes: ByteBuffer) -> Bool {
        let name = "transfer-encoding".utf8
        return bytes.withUnsafeReadableBytes { raw in
            guard let base = raw.baseAddress else { return false }
            var start = 0
            while raw.count - start >= name.count {
                if zip(name, raw[start...]).allSatisfy({ $1 | 0x20 == $0 }) { return true }
                guard let found = memchr(base + start, Int32(UInt8(ascii: "\n")), raw.count - start) else { return false }
                start = base.distance(to: UnsafeRawPointer(found)) + 1
            }
            return false
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parseError = error as? HTTPParserError else { return context.fireErrorCaught(error) }
        // A request NIO's parser refused: answered here (never an error-level log), then the
        // connection ends, since the framing of what follows is unknown.
        guard lingeringUntil == nil, ownAnswer == nil, !lastRequestRead else { return }
        let refusal: CacheError
        switch parseError {
        case .unknown where headNamesTransferCoding:
            refusal = CacheError(.notImplemented, "the request's transfer coding is not supported; send the body with Content-Length or Transfer-Encoding: chunked")
        case .headerOverflow where requestLineBytes > configuration.maxHeaderFieldSize:
            refusal = CacheError(.uriTooLong, "the request target is longer than \(configuration.maxHeaderFieldSize) bytes")
        case .headerOverflow:
            refusal = CacheError(
                .headerFieldsTooLarge,
                "the request's header fields exceed the server's limits (\(configuration.maxHeaderFieldCount) fields, \(configuration.maxHeaderListSize) bytes)"
            )
        default:
            refusal = CacheError.invalidRequest("malformed HTTP request (\(parseError))")
        }
        readingBody = false
        if let newest = exchanges.last, !newest.requestEnded {
            // The request being read cannot be finished: its answer is this one, unless its
            // answer has already begun.
            if newest.answerStarted { return context.close(promise: nil) }
            exchanges.removeLast()
        }
        // After the answers still owed for earlier requests, in order.
        ownAnswer = Answer.error(refusal)
        if exchanges.isEmpty { writeOwnAnswer(context: context) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // After a request that ends the connection nothing more is processed (RFC 9112 §9.6).
        if lingeringUntil != nil || ownAnswer != nil || lastRequestRead { return }
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let head):
            // Progress is `bytesArrived`'s: the bytes of every part arrived just before it.
            headStartedAt = nil
            headNamesTransferCoding = false
            requestLineEnded = false
            requestLineBytes = 0
            if let coding = Self.unsupportedCoding(head) {
                // The body cannot be framed: answered here, then the connection ends.
                let error = CacheError(.notImplemented, "transfer coding '\(coding)' is not supported; send the body with Content-Length or Transfer-Encoding: chunked")
                ownAnswer = Answer.error(error)
                if exchanges.isEmpty { writeOwnAnswer(context: context) }
                return
            }
            if let problem = Self.hostProblem(head) {
                // RFC 9112 §3.2: 400, and the connection ends (what follows is not trusted).
                ownAnswer = Answer.error(CacheError.invalidRequest(problem))
                if exchanges.isEmpty { writeOwnAnswer(context: context) }
                return
            }
            if head.method == .CONNECT {
                stopReading = true
                ownAnswer = Answer.error(CacheError(.notImplemented, "CONNECT is not supported: this is a cache, not a proxy"))
                if exchanges.isEmpty { writeOwnAnswer(context: context) }
                return
            }
            // An upgrade is ignored (RFC 9110 §7.8): the request is answered as HTTP/1.1 and
            // the connection closed after it, since NIO's parser reads no further.
            stopReading = stopReading || Self.asksUpgrade(head)
            readingBody = true
            // HTTP/1.0 with a chunked body must be closed after it (RFC 9112 §6.1).
            let chunked10 = head.version == .http1_0 && head.headers.contains(name: "Transfer-Encoding")
            let keepAlive = head.isKeepAlive && drainingSince == nil && !stopReading && !chunked10
            exchanges.append(Exchange(isHead: head.method == .HEAD, keepAlive: keepAlive, acknowledgesKeepAlive: keepAlive && head.version == .http1_0))
        case .body:
            break
        case .end:
            readingBody = false
            if !exchanges.isEmpty {
                let newest = exchanges.index(before: exchanges.endIndex)
                exchanges[newest].requestEnded = true
                lastRequestRead = !exchanges[newest].keepAlive
            }
        }
        context.fireChannelRead(data)
        schedule(context: context)
    }

    func read(context: ChannelHandlerContext) {
        if stopReading { return }
        context.read()
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if lingeringUntil != nil {
            context.read()
            return
        }
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case is ChannelShouldQuiesceEvent:
            // Not passed on: Hummingbird's state handler sees only the router's requests.
            drainingSince = .now()
            if exchanges.isEmpty && !readingBody {
                context.close(promise: nil)
            } else {
                schedule(context: context)
            }
        case ChannelEvent.inputClosed:
            if lingeringUntil != nil { context.close(promise: nil) } else { context.fireUserInboundEventTriggered(event) }
        default:
            context.fireUserInboundEventTriggered(event)
        }
    }

    // MARK: - Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where head.status.code < 200:
            context.write(data, promise: promise)
        case .head(var head):
            guard var exchange = exchanges.first else { return context.write(data, promise: promise) }
            droppingAnswerBody = exchange.isHead
            exchange.answerStarted = true
            exchange.closeAfterAnswer = !exchange.keepAlive || drainingSince != nil
            exchanges[exchanges.startIndex] = exchange
            if exchange.closeAfterAnswer {
                head.headers.replaceOrAdd(name: "Connection", value: "close")
            } else if exchange.acknowledgesKeepAlive {
                head.headers.replaceOrAdd(name: "Connection", value: "keep-alive")
            }
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .body:
            if droppingAnswerBody {
                promise?.succeed()
            } else {
                context.write(data, promise: promise)
            }
        case .end:
            droppingAnswerBody = false
            let exchange = exchanges.isEmpty ? nil : exchanges.removeFirst()
            context.write(data, promise: promise)
            if exchange?.closeAfterAnswer == true {
                linger(context: context)
            } else if exchange?.requestEnded == false {
                // Answered before its body was read (413, 401): unless the rest of the body was
                // already received by the time this answer is flushed, the connection ends.
                earlyAnswer = true
            } else if exchanges.isEmpty {
                if ownAnswer != nil {
                    writeOwnAnswer(context: context)
                } else if drainingSince != nil && !readingBody {
                    context.flush()
                    context.close(promise: nil)
                } else {
                    idleSince = .now()
                    schedule(context: context)
                }
            }
        }
    }

    func flush(context: ChannelHandlerContext) {
        if earlyAnswer {
            earlyAnswer = false
            if readingBody { return linger(context: context) }
        }
        context.flush()
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        // Hummingbird half-closes the output after a `Connection: close` answer; the lingering
        // close already did, and reads until the client stops.
        if mode == .output, lingeringUntil != nil {
            promise?.succeed()
            return
        }
        context.close(mode: mode, promise: promise)
    }

    // MARK: - Closing

    /// Writes the answer made here and ends the connection after it.
    private func writeOwnAnswer(context: ChannelHandlerContext) {
        guard let answer = ownAnswer else { return }
        let headers = answer.nioHeaders(adding: [
            ("Content-Length", String(answer.body.readableBytes)), ("Date", date.now()), ("Server", serverName), ("Connection", "close"),
        ])
        let status = HTTPResponseStatus(statusCode: answer.status.code)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(answer.body))), promise: nil)
        context.write(wrapOutboundOut(.end(nil)), promise: nil)
        linger(context: context)
    }

    /// Sends what is written, closes the output, and reads and drops input until the client
    /// stops sending for `lingerTimeout` or closes.
    private func linger(context: ChannelHandlerContext) {
        guard lingeringUntil == nil else { return }
        if stopReading {
            // Nothing more is parsed after an upgrade or CONNECT head: nothing to drain.
            context.flush()
            return context.close(promise: nil)
        }
        let now = NIODeadline.now()
        lingerEnd = now + .init(configuration.lingerTime)
        lingeringUntil = min(now + .init(configuration.lingerTimeout), lingerEnd)
        context.flush()
        context.close(mode: .output, promise: nil)
        context.read()
        schedule(context: context)
    }

    /// Why `head`'s `Host` is refused (RFC 9112 §3.2: missing in HTTP/1.1, or sent more than
    /// once), or nil.
    private static func hostProblem(_ head: HTTPRequestHead) -> String? {
        var count = 0
        for field in head.headers where field.name.utf8.count == 4 && field.name.utf8.elementsEqual("host".utf8, by: { $0 | 0x20 == $1 }) {
            count += 1
        }
        if count > 1 { return "the Host header was sent more than once; send it once" }
        if count == 0 && head.version == .http1_1 { return "an HTTP/1.1 request must carry a Host header" }
        return nil
    }

    /// Whether `head` asks to switch protocols (`Connection: upgrade` with `Upgrade`).
    private static func asksUpgrade(_ head: HTTPRequestHead) -> Bool {
        head.headers.contains(name: "Upgrade")
            && head.headers["Connection"].contains { $0.lowercased().split(separator: ",").contains { String($0).trimmingSpaces == "upgrade" } }
    }

    /// The transfer coding of `head` that is not `chunked`, if any (`chunked` alone is framed).
    private static func unsupportedCoding(_ head: HTTPRequestHead) -> String? {
        for value in head.headers["Transfer-Encoding"] {
            for coding in value.split(separator: ",") {
                let name = String(coding).trimmingSpaces.lowercased()
                if name != "chunked" { return name }
            }
        }
        return nil
    }

    // MARK: - Deadlines

    /// The next deadline of this connection, and what happens at it.
    private func nextDeadline() -> (NIODeadline, Expiry)? {
        var next: (NIODeadline, Expiry)?
        func consider(_ deadline: NIODeadline, _ expiry: Expiry) {
            if next == nil || deadline < next!.0 { next = (deadline, expiry) }
        }
        if let drainingSince { consider(drainingSince + .init(configuration.shutdownGrace), .close) }
        if let lingeringUntil {
            consider(lingeringUntil, .close)
            return next
        }
        if readingBody {
            consider(lastProgress + .init(configuration.bodyTimeout), .requestTimeout)
        } else if exchanges.isEmpty {
            if let headStartedAt {
                consider(headStartedAt + .init(configuration.headerTimeout), .requestTimeout)
            } else {
                consider(idleSince + .init(configuration.idleTimeout), .close)
            }
        }
        return next
    }

    private enum Expiry {
        /// Close without a word (idle, lingering, shutdown grace).
        case close
        /// 408 `REQUEST_TIMEOUT` when no answer has begun, then close.
        case requestTimeout
    }

    /// Makes sure a timer fires no later than the next deadline. Deadlines mostly move later,
    /// so a timer already set earlier is kept and re-checked when it fires.
    private func schedule(context: ChannelHandlerContext) {
        guard let (deadline, _) = nextDeadline() else { return }
        if let timerDeadline, timerDeadline <= deadline, timer != nil { return }
        timer?.cancel()
        timerDeadline = deadline
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = bound.value
            handler.timer = nil
            handler.timerDeadline = nil
            handler.deadlineFired(context: context)
        }
    }

    private func deadlineFired(context: ChannelHandlerContext) {
        guard context.channel.isActive, let (deadline, expiry) = nextDeadline() else { return }
        guard deadline <= .now() else { return schedule(context: context) }
        switch expiry {
        case .close:
            context.close(promise: nil)
        case .requestTimeout:
            if exchanges.count <= 1 && exchanges.first?.answerStarted != true {
                let error = CacheError(.requestTimeout, readingBody
                    ? "the request body stopped arriving for \(configuration.bodyTimeout) (--body-timeout)"
                    : "the request head did not arrive within \(configuration.headerTimeout) (--header-timeout)")
                exchanges.removeAll()
                readingBody = false
                ownAnswer = Answer.error(error)
                writeOwnAnswer(context: context)
            } else {
                context.close(promise: nil)
            }
        }
    }
}

/// Reports raw request bytes to `ConnectionRules` before NIO's decoder turns them into parts,
/// so a head that arrives byte by byte is timed from its first byte. Passes everything on.
final class RequestBytesObserver: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let rules: ConnectionRules
    private var rulesContext: ChannelHandlerContext?

    init(rules: ConnectionRules) {
        self.rules = rules
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if rulesContext == nil { rulesContext = try? context.pipeline.syncOperations.context(handler: rules) }
        if let rulesContext { rules.bytesArrived(unwrapInboundIn(data), context: rulesContext) }
        context.fireChannelRead(data)
    }
}
