import AgentCacheCore
import NIOCore

/// Writes one flat-or-nested JSON object straight into a `ByteBuffer`, so responses on the
/// hit path cost no Foundation encoder and no intermediate dictionary.
struct JSONObjectWriter {
    private(set) var buffer: ByteBuffer
    private var needsComma = false

    /// Starts an object in a buffer of `capacity` bytes from `allocator`.
    init(allocator: ByteBufferAllocator, capacity: Int = 256) {
        buffer = allocator.buffer(capacity: capacity)
        buffer.writeInteger(UInt8(ascii: "{"))
    }

    private mutating func key(_ name: StaticString) {
        if needsComma { buffer.writeInteger(UInt8(ascii: ",")) }
        needsComma = true
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeStaticString(name)
        buffer.writeStaticString("\":")
    }

    /// `"name":"value"` for a value known to need no escaping (hex, ISO-8601, enum names).
    mutating func field(_ name: StaticString, ascii value: String) {
        key(name)
        buffer.writeInteger(UInt8(ascii: "\""))
        buffer.writeString(value)
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    /// `"name":"value"` with JSON string escaping.
    mutating func field(_ name: StaticString, string value: String) {
        key(name)
        var escaped = [UInt8]()
        escaped.reserveCapacity(value.utf8.count + 2)
        CanonicalJSON.writeString(value, into: &escaped)
        buffer.writeBytes(escaped)
    }

    /// `"name":["a","b"]` with JSON string escaping.
    mutating func field(_ name: StaticString, strings values: some Sequence<String>) {
        key(name)
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            CanonicalJSON.writeString(value, into: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
        buffer.writeBytes(bytes)
    }

    /// `"name":[1,2.5]`; a value that is not finite is written as 0.
    mutating func field(_ name: StaticString, numbers values: some Sequence<Double>) {
        key(name)
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for (index, value) in values.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            CanonicalJSON.writeNumber(value.isFinite ? value : 0, into: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
        buffer.writeBytes(bytes)
    }

    /// `"name":null`.
    mutating func null(_ name: StaticString) {
        key(name)
        buffer.writeStaticString("null")
    }

    mutating func field(_ name: StaticString, _ value: Bool) {
        key(name)
        buffer.writeStaticString(value ? "true" : "false")
    }

    mutating func field(_ name: StaticString, _ value: some BinaryInteger) {
        key(name)
        buffer.writeString(String(value))
    }

    /// A number in the shortest form that round-trips (integers print without a fraction).
    mutating func field(_ name: StaticString, number value: Double) {
        key(name)
        var bytes = [UInt8]()
        CanonicalJSON.writeNumber(value.isFinite ? value : 0, into: &bytes)
        buffer.writeBytes(bytes)
    }

    /// `"name":<bytes>` where `bytes` are already valid JSON.
    mutating func field(_ name: StaticString, rawJSON bytes: some Sequence<UInt8>) {
        key(name)
        buffer.writeBytes(bytes)
    }

    /// `"name":{...}` with the nested members written by `body`.
    mutating func object(_ name: StaticString, _ body: (inout JSONObjectWriter) -> Void) {
        key(name)
        var nested = JSONObjectWriter(continuing: buffer)
        buffer = ByteBuffer()
        body(&nested)
        buffer = nested.finish()
    }

    /// `"name":[{...},...]` with one object per element, written by `body`.
    mutating func array<Element>(_ name: StaticString, _ elements: some Sequence<Element>, _ body: (inout JSONObjectWriter, Element) -> Void) {
        key(name)
        buffer.writeInteger(UInt8(ascii: "["))
        var first = true
        for element in elements {
            if !first { buffer.writeInteger(UInt8(ascii: ",")) }
            first = false
            var nested = JSONObjectWriter(continuing: buffer)
            buffer = ByteBuffer()
            body(&nested, element)
            buffer = nested.finish()
        }
        buffer.writeInteger(UInt8(ascii: "]"))
    }

    private init(continuing buffer: ByteBuffer) {
        self.buffer = buffer
        self.buffer.writeInteger(UInt8(ascii: "{"))
    }

    /// Closes the object and hands back the bytes.
    consuming func finish() -> ByteBuffer {
        buffer.writeInteger(UInt8(ascii: "}"))
        return buffer
    }
}
