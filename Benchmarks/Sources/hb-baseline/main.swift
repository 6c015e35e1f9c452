// hb-baseline: the HTTP floor for `scripts/bench --scenarios floor`.
//
// Bare Hummingbird, one route, no middleware: `POST /baseline` reads the request body (as the
// cache's get does) and answers with the same prebuilt JSON body every time. The ratio of
// agentcache's get throughput to this server's is what the cache logic costs on top of the
// HTTP stack they share.
//
// Usage: hb-baseline PORT [BODY_FILE]
//   PORT       TCP port on 127.0.0.1.
//   BODY_FILE  optional file whose bytes become the response body (scripts/bench passes the
//              exact body of an agentcache hit, so both servers send the same number of bytes);
//              without it, a built-in 1 KiB JSON body is served.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Hummingbird

/// Reads a whole file with libc (no Foundation); nil when it cannot be read.
func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes = [UInt8]()
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count > 0 { bytes.append(contentsOf: chunk[0..<count]) }
        if count < chunk.count { break }
    }
    return ferror(file) == 0 ? bytes : nil
}

/// A 1024-byte JSON object, the size of the cached answer scripts/bench stores.
func defaultBody() -> [UInt8] {
    let head = Array(#"{"answer":""#.utf8)
    let tail = Array(#""}"#.utf8)
    let filler = Array("The quick brown fox jumps over the lazy dog. ".utf8)
    var body = head
    while body.count < 1024 - tail.count { body.append(filler[(body.count - head.count) % filler.count]) }
    return body + tail
}

func fail(_ message: String) -> Never {
    // write(2) rather than fputs(stderr): the C global is not concurrency-safe in Swift 6.
    let line = Array("hb-baseline: \(message)\nusage: hb-baseline PORT [BODY_FILE]\n".utf8)
    _ = line.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    exit(2)
}

let arguments = CommandLine.arguments
guard arguments.count == 2 || arguments.count == 3, let port = Int(arguments[1]), (1...65535).contains(port) else {
    fail("expected a port between 1 and 65535")
}
let bodyBytes: [UInt8]
if arguments.count == 3 {
    guard let bytes = readFile(arguments[2]) else { fail("cannot read \(arguments[2])") }
    bodyBytes = bytes
} else {
    bodyBytes = defaultBody()
}

// Built once: every response shares this buffer (ByteBuffer is copy-on-write), so the handler
// does no serialisation or copying of its own.
let body = ByteBuffer(bytes: bodyBytes)
let router = Router()
router.post("baseline") { request, _ -> Response in
    // Drain the body like a real handler would; 1 MiB is far above what wrk sends.
    _ = try await request.body.collect(upTo: 1 << 20)
    return Response(
        status: .ok,
        headers: [.contentType: "application/json"],
        body: ResponseBody(byteBuffer: body)
    )
}
let app = Application(
    router: router,
    configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "hb-baseline")
)
try await app.runService()
